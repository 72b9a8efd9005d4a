"""Streaming check: a 10x larger input must not raise the build workers' peak RSS by more than ~20%.

Builds the benchmark corpus (`bench/corpus.py`) at X and 10X records with the same shard size, each
in a fresh Python process so its figures are its own, and reports the workers' peak RSS two ways:
sampled with psutil every 20 ms while the build runs, and the kernel's exact high-water mark of the
exited worker processes (`getrusage(RUSAGE_CHILDREN).ru_maxrss`, which also includes the short-lived
resource tracker, far smaller).

    .venv/bin/python -m bench.memory             # X = 100 records, 10X = 1,000 (about a minute)
    .venv/bin/python -m bench.memory --quick     # X = 8, 10X = 80 (a smoke run)
"""
from __future__ import annotations

import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.report import Figure, Stopwatch, print_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "memory"
MiB = 2 ** 20


class PeakSampler(threading.Thread):
    """Peak RSS of this process's worker children (the multiprocessing resource tracker left out)."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval, self.peak, self.workers = interval, 0, set()
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop_event.wait(self.interval):
            for child in me.children(recursive=True):
                try:
                    if "resource_tracker" in " ".join(child.cmdline()):
                        continue
                    self.peak = max(self.peak, child.memory_info().rss)
                    self.workers.add(child.pid)
                except psutil.Error:       # exited between listing and reading
                    continue

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def measure(corpus: Path, output: Path, *, workers: int, shard_size: int) -> dict:
    """One build of `corpus` with the sampler running (call in a fresh process)."""
    from ltdata.config import BuildConfig
    from ltdata.pipeline.build import build

    cfg = BuildConfig(input=[str(corpus)], output=str(output), workers=workers, shard_size=shard_size,
                      max_length=None, progress=False, overwrite=output.exists())
    sampler = PeakSampler()
    sampler.start()
    with Stopwatch() as clock:
        manifest = build(cfg).manifest
    sampler.stop()
    return {"sampled_peak": sampler.peak, "worker_pids": len(sampler.workers), "seconds": clock.timing.wall,
            "maxrss_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
            "records": manifest["counts"]["records_written"], "tokens": manifest["counts"]["tokens"],
            "shards": len(manifest["shards"])}


def _in_fresh_process(corpus: Path, output: Path, *, workers: int, shard_size: int) -> dict:
    command = [sys.executable, "-m", "bench.memory", "--measure", str(corpus), "--output", str(output),
               "--workers", str(workers), "--shard-size", str(shard_size)]
    done = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100, help="X, the smaller input (10X is the larger)")
    parser.add_argument("--shard-size", type=int, default=50, help="records per shard, the same for both")
    parser.add_argument("--workers", type=int, default=1, help="local cluster workers")
    parser.add_argument("--quick", action="store_true", help="a smoke run: X = 8 records, shard size 4")
    parser.add_argument("--out", type=Path, default=OUT, help="working directory (default bench/out/memory)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)   # internal: one build, JSON out
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.output, workers=args.workers, shard_size=args.shard_size)))
        return 0
    if args.quick:
        args.records, args.shard_size = 8, 4

    from transformers import AutoTokenizer

    from bench.corpus import make_corpus
    from ltdata.config import BuildConfig
    from ltdata.sequence.prepare import prepare_layout
    from ltdata.pipeline.tokenizer import bundled_tokenizer_path

    counting = AutoTokenizer.from_pretrained(bundled_tokenizer_path())
    prepare_layout(counting, BuildConfig())
    runs = {}
    for n in (args.records, 10 * args.records):
        corpus = make_corpus(n, args.out, counting).path
        runs[n] = _in_fresh_process(corpus, args.out / f"build-{n}", workers=args.workers,
                                    shard_size=args.shard_size)
    _report(runs, args)
    return 0


def _report(runs: dict[int, dict], args: argparse.Namespace) -> None:
    small, large = (runs[n] for n in sorted(runs))
    sampled = large["sampled_peak"] / small["sampled_peak"] if small["sampled_peak"] else float("nan")
    exact = large["maxrss_children"] / small["maxrss_children"]
    print(f"ltdata build memory: {args.workers} worker(s), shard_size {args.shard_size}, "
          f"load {os.getloadavg()[0]:.2f}")
    figures = []
    for n, run in sorted(runs.items()):
        name = f"{n:,} records ({run['tokens']:,} tokens, {run['shards']} shards, {run['seconds']:.0f} s)"
        value = f"{run['sampled_peak'] / MiB:,.0f} MiB sampled, {run['maxrss_children'] / MiB:,.0f} MiB max"
        figures.append(Figure(name, value, "", None))
    grew = {key: (large[key] - small[key]) / MiB for key in ("sampled_peak", "maxrss_children")}
    figures += [Figure("peak worker RSS 10X / X (sampled)", f"{sampled:.3f}  ({grew['sampled_peak']:+,.0f} MiB)",
                       "<= 1.20", sampled <= 1.2),
                Figure("peak worker RSS 10X / X (ru_maxrss)", f"{exact:.3f}  ({grew['maxrss_children']:+,.0f} MiB)",
                       "<= 1.20", exact <= 1.2)]
    print_table(figures)
    if args.quick:
        print("(--quick: a smoke run; the figures are not meaningful)")


if __name__ == "__main__":
    raise SystemExit(main())
