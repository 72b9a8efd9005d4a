"""Real shards built with `ltdata build` (the session's BPE, plain template) for the generation tests."""
from __future__ import annotations

import json

import pytest

from generate_support import BESPOKE, TRACES, Built
from ltdata.config import BuildConfig
from ltdata.pipeline.build import build


@pytest.fixture(scope="session")
def builds(byte_tokenizer_path, tmp_path_factory) -> dict[str, Built]:
    """lightthinker, lightthinker with see_current, anllm and vanilla shards of the same traces."""
    root = tmp_path_factory.mktemp("generate_builds")
    source = root / "traces.jsonl"
    source.write_text("".join(json.dumps(t) + "\n" for t in TRACES), encoding="utf-8")
    out = {}
    for name, options in {"lightthinker": {}, "see_current": {"see_current": True},
                          "anllm": {"mode": "anllm"}, "vanilla": {"mode": "vanilla"}}.items():
        cfg = BuildConfig(input=[str(source)], output=str(root / name), tokenizer=byte_tokenizer_path,
                          format="plain", workers=1, processes=False, progress=False, max_length=None,
                          mode=options.get("mode", "lightthinker"), see_current=options.get("see_current"))
        build(cfg)
        out[name] = Built(root / name)
    bespoke = root / "bespoke.jsonl"
    bespoke.write_text("".join(json.dumps(t) + "\n" for t in BESPOKE), encoding="utf-8")
    build(BuildConfig(input=[str(bespoke)], output=str(root / "bespoke"), tokenizer=byte_tokenizer_path,
                      format="bespoke", workers=1, processes=False, progress=False, max_length=None))
    out["bespoke"] = Built(root / "bespoke")
    return out
