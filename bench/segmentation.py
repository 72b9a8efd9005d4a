"""Build the same traces once per splitter setting and compare the builds side by side (`ltdata stats A B ...`).

This makes the segmentation tables of docs/segmentation.md: per setting, tokens per thought (p10/p50/p90),
thoughts per record, the overhead share of splitter + cache + continue tokens, peak KV and Dep
against vanilla, and the build's CPU seconds (one worker thread, so comparable between rows). All
builds keep every record (`max_length` none) and skip malformed ones, so the rows hold the same text.

    .venv/bin/python -m bench.segmentation --out /tmp/seg-sample                           # the bundled traces
    .venv/bin/python -m bench.segmentation --input traces.jsonl --format sharegpt --out /tmp/seg-real --spacy-model M
"""
from __future__ import annotations

import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

# (directory name, BuildConfig keywords); K = 36 is 4x the 9 cache tokens of a Qwen-family build
SETTINGS = [("thought", {"splitter": "thought"}), ("sentence", {"splitter": "sentence"}),
            ("tokens-64", {"splitter": "tokens"}),
            ("thought-K36", {"splitter": "thought", "min_thought_tokens": 36}),
            ("balanced", {"splitter": "balanced"}),
            ("balanced-K36-M256", {"splitter": "balanced", "min_thought_tokens": 36, "max_thought_tokens": 256})]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", nargs="+", default=[], help="traces to build (default: the bundled sample data)")
    parser.add_argument("--out", required=True, help="a directory for the builds (one sub-directory per setting)")
    parser.add_argument("--format", default="auto", help="the input record format (as `ltdata build --format`)")
    parser.add_argument("--spacy-model", help="also a `sentence` row with this installed spaCy pipeline")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="build only these settings")
    parser.add_argument("--png", help="also overlay the thought-length histograms in this PNG")
    args = parser.parse_args(argv)

    from ltdata.config import BuildConfig
    from ltdata.pipeline.build import build
    from ltdata.views.compare import compare_builds, comparison_png, format_comparison

    settings = list(SETTINGS)
    if args.spacy_model:
        settings.insert(2, (f"sentence-{args.spacy_model}", {"splitter": "sentence",
                                                               "splitter_options": {"model": args.spacy_model}}))
    if args.only:
        settings = [s for s in settings if s[0] in args.only]
    out = Path(args.out)
    seconds = {}
    for name, options in settings:
        cfg = BuildConfig(input=args.input, format=args.format, output=str(out / name), max_length=None,
                          on_error="skip", workers=1,
                          processes=False, progress=False, overwrite=(out / name).exists(), **options)
        start = time.process_time()
        build(cfg)
        seconds[name] = time.process_time() - start
        print(f"built {name} in {seconds[name]:.1f} CPU s", file=sys.stderr)
    directories = [out / name for name, _ in settings]
    print(format_comparison(compare_builds(directories)))
    print("build CPU s (1 worker): " + ", ".join(f"{name} {s:.1f}" for name, s in seconds.items()))
    if args.png:
        comparison_png(directories, args.png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
