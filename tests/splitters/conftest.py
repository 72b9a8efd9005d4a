"""Fixtures for the splitter tests: every real trace, the real tokenizers loaded, a tiny spaCy pipeline."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

TRACES = Path(__file__).resolve().parents[2] / "data" / "traces"


def _trace_texts() -> list[tuple[str, str]]:
    """(label, text) for every generation under data/traces (Sky-T1, Marco-o1, SkyThought tools)."""
    texts = []
    for path in sorted((TRACES / "skythought_sky-t1_eval_outputs").glob("*.jsonl")):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            texts.append((f"{path.name}:{line_no}", json.loads(line)["code"][0]))
    for k, record in enumerate(json.loads((TRACES / "marco-o1_CoT_demo.json").read_text(encoding="utf-8"))):
        texts.append((f"marco-o1_CoT_demo.json[{k}]", record["response"]))
    tools = TRACES / "skythought_tools_qwen2.5-32b-instruct_aime_still2-sys-one-long.json"
    for problem, record in json.loads(tools.read_text(encoding="utf-8")).items():
        texts.append((f"{tools.name}[{record['id']}]", record["responses"]["0.0"]["content"]))
    return texts


@pytest.fixture(scope="session")
def trace_texts() -> list[tuple[str, str]]:
    texts = _trace_texts()
    assert len(texts) == 456, "data/traces changed; see data/README.md"
    return texts


@pytest.fixture(scope="session")
def qwen(qwen_tokenizer_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(qwen_tokenizer_path)


@pytest.fixture(scope="session")
def llama(llama_tokenizer_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(llama_tokenizer_path)


@pytest.fixture(scope="session")
def spacy_pipelines(tmp_path_factory) -> Path:
    """Two spaCy pipelines saved here: `full/` = tagger + parser + senter (senter disabled, as in
    en_core_web_sm) and `no_senter/` = tagger + parser.

    Initialised (not trained) from one example, enough to load and run: the sentence boundaries it
    finds do not matter to the tests, only which components the splitter keeps and that spans tile.
    """
    import spacy
    from spacy.training import Example

    nlp = spacy.blank("en")
    nlp.add_pipe("tagger")
    nlp.add_pipe("parser")
    nlp.add_pipe("senter")
    words = ["We", "add", "two", ".", "Then", "stop", "."]
    reference = {"words": words, "tags": ["P", "V", "N", "X", "A", "V", "X"],
                 "heads": [1, 1, 1, 1, 5, 5, 5],
                 "deps": ["nsubj", "ROOT", "dobj", "punct", "advmod", "ROOT", "punct"]}
    examples = [Example.from_dict(nlp.make_doc(" ".join(words)), reference)]
    nlp.initialize(lambda: examples)
    nlp.disable_pipe("senter")
    out = tmp_path_factory.mktemp("spacy_pipelines")
    nlp.to_disk(out / "full")
    nlp.remove_pipe("senter")
    nlp.to_disk(out / "no_senter")
    return out
