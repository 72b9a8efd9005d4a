"""Rebuild `ltdata/sample_data/` from the real traces in `data/traces` (deterministic).

Selects closed Sky-T1 traces round-robin over the eval-output files and converts them to the
Bespoke-Stratos and OpenAI-messages layouts; copies Marco-o1 records verbatim. No text is invented:
the only added strings are the Bespoke-Stratos system prompt, its user prefix and the `<think>` tags.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ltdata.sequence.special_tokens import MARKERS
from ltdata.sequence.template import BESPOKE_SYSTEM_PROMPT as SYSTEM, INSTRUCTION as USER_PREFIX

REPO = Path(__file__).resolve().parents[1]
N_BESPOKE, N_MESSAGES, N_MARCO = 40, 10, 15


def closed(text: str) -> bool:
    """Starts with the thought marker and has all four markers in order, ending the text."""
    positions = [text.find(marker) for marker in MARKERS]
    return (positions[0] == 0 and all(b > a for a, b in zip(positions, positions[1:]))
            and text.rstrip().endswith(MARKERS[3]))


def select_sky_t1(folder: Path, count: int) -> list[dict]:
    """`count` closed 4k-20k-char traces with distinct questions, taken round-robin over the files."""
    queues = []
    for path in sorted(folder.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        queues.append([r for r in rows if closed(r["code"][0]) and 4000 <= len(r["code"][0]) <= 20000])
    chosen, seen = [], set()
    while len(chosen) < count and any(queues):
        for queue in queues:
            while queue and len(chosen) < count:
                row = queue.pop(0)
                if row["question"] not in seen:
                    seen.add(row["question"])
                    chosen.append(row)
                    break
    return chosen


def to_bespoke(row: dict, number: int) -> dict:
    return {"id": f"bs-{number:05d}", "system": SYSTEM, "conversations": [
        {"from": "user", "value": USER_PREFIX + row["question"]},
        {"from": "assistant", "value": row["code"][0]}]}


def to_messages(row: dict, number: int) -> dict:
    text = row["code"][0]
    thinking = text[len(MARKERS[0]):text.index(MARKERS[1])].strip()
    start = text.index(MARKERS[2]) + len(MARKERS[2])
    solution = text[start:text.index(MARKERS[3], start)].strip()
    return {"id": f"r1-{number:05d}", "messages": [
        {"role": "user", "content": row["question"]},
        {"role": "assistant", "content": f"<think>\n{thinking}\n</think>\n\n{solution}"}]}


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data")
    parser.add_argument("--out", type=Path, default=REPO / "ltdata" / "sample_data")
    args = parser.parse_args()
    rows = select_sky_t1(args.data / "traces" / "skythought_sky-t1_eval_outputs", N_BESPOKE + N_MESSAGES)
    if len(rows) < N_BESPOKE + N_MESSAGES:
        raise SystemExit(f"only {len(rows)} usable Sky-T1 traces found")
    args.out.mkdir(parents=True, exist_ok=True)
    bespoke, messages = rows[:N_BESPOKE], rows[N_BESPOKE:]
    write_jsonl(args.out / "bespoke_sky-t1.jsonl", [to_bespoke(r, i) for i, r in enumerate(bespoke, start=1)])
    write_jsonl(args.out / "r1_messages.jsonl", [to_messages(r, i) for i, r in enumerate(messages, start=1)])
    marco = json.loads((args.data / "traces" / "marco-o1_CoT_demo.json").read_text(encoding="utf-8"))
    marco = [r for r in marco
             if "</Thought>" in r["response"] and r["response"].rstrip().endswith("</Output>")]
    (args.out / "marco-o1_cot.json").write_text(
        json.dumps(marco[:N_MARCO], ensure_ascii=False, indent=4) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
