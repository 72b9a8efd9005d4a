"""`ltrain generate`: decode prompts from a checkpoint with KV compression; print text and measured stats.

The decoding flags are the fields of `ltrain.generate.GenerationConfig` (documented once, there).
Heavy imports (torch, transformers) happen in `run`, so `ltrain --help` stays fast.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ltdata.cli.flags import add_config_flags, given_config
from ltdata.errors import ConfigError, Origin, RecordError
from ltrain.generate.config import GenerationConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="checkpoint directory (model, tokenizer, ltrain.json)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--prompt", help="one prompt text")
    source.add_argument("--prompts", metavar="FILE.jsonl", help='one {"prompt": TEXT[, "id": ..., "system": ...]} '
                                                                "per line")
    parser.add_argument("--system", help="system turn for prompts that carry none")
    parser.add_argument("--preamble", default="", help="text forced after the template and kept uncompressed "
                                                       "(Bespoke-trained models: '<|begin_of_thought|>\\n\\n')")
    parser.add_argument("--raw", action="store_true", help="use the prompt text as is, without the template")
    parser.add_argument("--device", help="torch device, e.g. cuda:0; None = where the model loads (the CPU)")
    parser.add_argument("--dtype", help="model dtype: float32, bfloat16, float16 or auto; None = the library's default")
    parser.add_argument("--out", metavar="FILE.jsonl", help="also write one JSON line per prompt")
    add_config_flags(parser, GenerationConfig)


def run(args: argparse.Namespace) -> int:
    from ltrain.generate import Generator

    config = GenerationConfig.from_dict(given_config(args, GenerationConfig), source="command line")
    prompts = _read_prompts(args)
    generator = Generator.from_checkpoint(args.model, config, device=args.device, dtype=args.dtype)
    ids = [generator.encode(p["prompt"], system=p.get("system", args.system), preamble=args.preamble, raw=args.raw)
           for p in prompts]
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    try:
        for prompt, generation in zip(prompts, generator.generate(ids)):
            _show(prompt, generation, config.method)
            if out is not None:
                out.write(json.dumps(_record(prompt, generation, config.method), ensure_ascii=False) + "\n")
    finally:
        if out is not None:
            out.close()
    return 0


def _read_prompts(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.prompt is not None:
        return [{"id": "0", "prompt": args.prompt}]
    path = Path(args.prompts)
    if not path.is_file():
        raise ConfigError(f"--prompts: file not found: {path}")
    prompts = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            origin = Origin(file=str(path), index=len(prompts), line=number)
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(f"invalid JSON: {exc.msg}", origin=origin, reason="invalid_json") from None
            if not isinstance(record, dict) or not isinstance(record.get("prompt"), str):
                raise RecordError("must be a string", origin=origin, field="prompt", reason="missing_field")
            prompts.append({"id": str(record.get("id", len(prompts))), **record})
    if not prompts:
        raise ConfigError(f"--prompts: {path} holds no prompts")
    return prompts


def _record(prompt: dict[str, Any], generation, method: str) -> dict[str, Any]:
    return {"id": prompt["id"], "prompt": prompt["prompt"], "method": method, "text": generation.text,
            "output_ids": generation.output_ids, "finished": generation.finished, **generation.stats.to_dict()}


def _show(prompt: dict[str, Any], generation, method: str) -> None:
    s = generation.stats
    end = "EOS" if generation.finished else "budget"
    print(f"=== {prompt['id']} ({method})\n{generation.text}")
    print(f"--- {s.output_tokens} tokens (stopped: {end}) · peak KV {s.peak_tokens} · Dep {s.dep} · "
          f"{s.compressions} compressions · {s.seconds:.3f} s · {s.tokens_per_second:.1f} tok/s", file=sys.stdout)
