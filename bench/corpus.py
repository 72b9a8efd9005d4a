"""The benchmark corpus: >= 2,000 Bespoke-format records of 2k-8k tokens, made only from real traces.

How it is made (deterministic, no text invented):
- Sky-T1 generations from `data/traces/skythought_sky-t1_eval_outputs/*.jsonl` that close
  all four Bespoke markers, wrapped as `ltdata/sample_data/bespoke_sky-t1.jsonl` is (its Bespoke
  system prompt and user prefix, the generation verbatim), plus that sample file's own records.
- Shorter real chains of thought (Marco-o1 `<Thought>`/`<Output>` records and the SkyThought tools'
  CoT responses) recombined: consecutive ones are joined, blank-line separated, into one thought
  section until the sample reaches 2,000 tokens (the first record's question and output are kept).
- Only samples of 2,000-8,000 tokens (prompt + output, the build's tokenizer) enter the pool,
  which is then cycled, shuffled per cycle with a fixed seed, with ids `bench-00000`, ...
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRACES = REPO / "data" / "traces"
SAMPLE = REPO / "ltdata" / "sample_data" / "bespoke_sky-t1.jsonl"
MARKERS = ("<|begin_of_thought|>", "<|end_of_thought|>", "<|begin_of_solution|>", "<|end_of_solution|>")
MIN_TOKENS, MAX_TOKENS = 2000, 8000


@dataclass(frozen=True, slots=True)
class Corpus:
    path: Path              # the JSONL written
    texts: list[str]        # per record: the chat-templated prompt + the assistant text (for the raw ceiling)
    records: list[dict]
    lengths: list[int]      # per record: the tokens of its text, as the raw tokenizer counts them


def _closed(text: str) -> bool:
    positions = [text.find(m) for m in MARKERS]
    return (positions[0] == 0 and all(b > a for a, b in zip(positions, positions[1:]))
            and text.rstrip().endswith(MARKERS[3]))


def _bespoke(system: str, user: str, assistant: str) -> dict:
    return {"system": system, "conversations": [{"from": "user", "value": user},
                                                {"from": "assistant", "value": assistant}]}


def _sky_t1(system: str, prefix: str) -> list[dict]:
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    seen = {r["conversations"][1]["value"] for r in records}
    for path in sorted((TRACES / "skythought_sky-t1_eval_outputs").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            text = row["code"][0]
            if _closed(text) and text not in seen:
                seen.add(text)
                records.append(_bespoke(system, prefix + row["question"], text))
    return records


def _short_chains() -> list[tuple[str, str, str]]:
    """(question, thinking, output) of the real short CoTs, in file order."""
    chains = []
    for row in json.loads((TRACES / "marco-o1_CoT_demo.json").read_text(encoding="utf-8")):
        text = row["response"]
        if "</Thought>" in text and text.rstrip().endswith("</Output>"):
            thinking, _, output = text.partition("</Thought>")
            chains.append((row["instruction"], thinking.removeprefix("<Thought>").strip(),
                           output.strip().removeprefix("<Output>").removesuffix("</Output>").strip()))
    tools = json.loads((TRACES / "skythought_tools_qwen2.5-32b-instruct_aime_still2-sys-one-long.json")
                       .read_text(encoding="utf-8"))
    for value in tools.values():
        content = value["responses"]["0.0"]["content"].strip()
        chains.append((value["problem"], content, content.rsplit("\n\n", 1)[-1]))
    return chains


def _recombined(system: str, chains: list[tuple[str, str, str]], count_tokens) -> list[dict]:
    records, i = [], 0
    while i < len(chains):
        question, thinking, output = chains[i]
        parts, j = [thinking], i + 1
        while j < len(chains) and count_tokens(system + question + "\n\n".join(parts) + output) < MIN_TOKENS:
            parts.append(chains[j][1])
            j += 1
        assistant = (f"{MARKERS[0]}\n\n" + "\n\n".join(parts) + f"\n\n{MARKERS[1]}\n\n{MARKERS[2]}\n\n"
                     f"{output}\n\n{MARKERS[3]}")
        records.append(_bespoke(system, question, assistant))
        i = j
    return records


def make_corpus(n_records: int, directory: Path, tokenizer, *, seed: int = 0) -> Corpus:
    """Write `directory/traces-N.jsonl` with n_records records and return it with its texts."""
    first = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])
    system = first["system"]
    prefix = first["conversations"][0]["value"].split("}. ", 1)[0] + "}. "

    def count_tokens(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    candidates = _sky_t1(system, prefix) + _recombined(system, _short_chains(), count_tokens)
    texts = [full_text(r) for r in candidates]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    pool = [(r, n) for r, n in zip(candidates, lengths) if MIN_TOKENS <= n <= MAX_TOKENS]
    rng = random.Random(seed)
    chosen: list[tuple[dict, int]] = []
    while len(chosen) < n_records:
        cycle = list(pool)
        rng.shuffle(cycle)
        chosen += cycle[:n_records - len(chosen)]
    records = [{"id": f"bench-{i:05d}", **r} for i, (r, _) in enumerate(chosen)]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"traces-{n_records}.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return Corpus(path=path, texts=[full_text(r) for r in records], records=records, lengths=[n for _, n in chosen])


def full_text(record: dict) -> str:
    """The ChatML prompt and the assistant text, as one string (what a build tokenises, in pieces)."""
    user, assistant = (turn["value"] for turn in record["conversations"])
    return (f"<|im_start|>system\n{record['system']}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
            f"<|im_start|>assistant\n{assistant}")
