"""Benchmark the splitters against each other on real reasoning text, in one run, as ratios.

Times `split()` of every built-in splitter setting over the same texts (the generations vendored
under data/traces, every --step-th one), and, as the yardstick, the layout's own encode of the
resulting `thought` spans: the tokenizer pass every build makes anyway. Times are CPU seconds of
this process (one thread, TOKENIZERS_PARALLELISM=false), best of --repeats, so other jobs on a
shared machine do not inflate them. Target (issue 17): `balanced` runs at the speed of the other
splitters, i.e. within 1.5x the `tokens` splitter, the other one that reads the text's tokens.

    .venv/bin/python -m bench.splitters            # every 4th trace (about 1.5 MB of text; a minute or two)
    .venv/bin/python -m bench.splitters --quick    # 12 traces, one repeat (seconds; figures not meaningful)
"""
from __future__ import annotations

import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.report import Figure, print_table  # noqa: E402

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"
# (label, splitter, options, min_thought_tokens, max_thought_tokens); the first is the reference
SETTINGS = [("thought", "thought", {}, None, None), ("sentence", "sentence", {}, None, None),
            ("tokens (64)", "tokens", {}, None, None), ("thought K=36", "thought", {}, 36, None),
            ("thought K=36 M=256", "thought", {}, 36, 256), ("balanced", "balanced", {}, None, None),
            ("balanced K=36 M=256", "balanced", {}, 36, 256)]


def trace_texts() -> list[str]:
    """The generations of data/traces, in a fixed order (as tests/splitters reads them)."""
    texts = []
    for path in sorted((TRACES / "skythought_sky-t1_eval_outputs").glob("*.jsonl")):
        texts += [json.loads(line)["code"][0] for line in path.read_text(encoding="utf-8").splitlines()]
    texts += [r["response"] for r in json.loads((TRACES / "marco-o1_CoT_demo.json").read_text(encoding="utf-8"))]
    tools = json.loads((TRACES / "skythought_tools_qwen2.5-32b-instruct_aime_still2-sys-one-long.json")
                       .read_text(encoding="utf-8"))
    return texts + [r["responses"]["0.0"]["content"] for r in tools.values()]


def cpu_best(run, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", type=int, default=4, help="take every STEP-th trace")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="12 traces, one repeat")
    args = parser.parse_args(argv)

    from ltdata.pipeline.tokenizer import load_tokenizer
    from ltdata.sequence.builder import batch_encoder
    from ltdata.splitters import make_splitter

    texts = trace_texts()[::args.step]
    texts, repeats = (texts[:12], 1) if args.quick else (texts, args.repeats)
    tokenizer = load_tokenizer(None)
    chars = sum(map(len, texts))
    print(f"ltdata splitter benchmark: {len(texts)} traces, {chars:,} characters, bundled Qwen tokenizer, "
          f"CPU seconds, best of {repeats}")

    seconds = {}
    for label, spec, options, low, high in SETTINGS:
        splitter = make_splitter(spec, options, tokenizer=tokenizer, min_thought_tokens=low, max_thought_tokens=high)
        splitter.split(texts[0])                                     # loads what it loads lazily (spaCy)
        seconds[label] = cpu_best(lambda: [splitter.split(t) for t in texts], repeats)
    thought = make_splitter("thought", {})
    segments = [t[s:e] for t in texts for s, e in thought.split(t)]
    encode = batch_encoder(tokenizer)
    seconds["layout encode (yardstick)"] = cpu_best(lambda: [encode(segments[i:i + 512])
                                                            for i in range(0, len(segments), 512)], repeats)

    width = max(map(len, seconds))
    print(f"{'splitter':<{width}}  {'CPU s':>7}  {'MB/s':>7}  {'/ thought':>9}  {'/ tokens':>8}  {'/ encode':>8}")
    for label, value in seconds.items():
        print(f"{label:<{width}}  {value:>7.3f}  {chars / value / 1e6:>7.2f}  {value / seconds['thought']:>9.1f}  "
              f"{value / seconds['tokens (64)']:>8.2f}  {value / seconds['layout encode (yardstick)']:>8.2f}")
    print()
    ratio = seconds["balanced"] / seconds["tokens (64)"]
    bounded = seconds["thought K=36"] / seconds["layout encode (yardstick)"]
    print_table([Figure("balanced / tokens splitter", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5),
                 Figure("thought K=36 / layout encode", f"{bounded:.2f}x", "", None)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
