"""Benchmark `ltdata build`: start-up, throughput against the raw tokenizer, scaling, in one run.

Prints, on the corpus of `bench/corpus.py` (real traces, 2k-8k tokens each, the bundled Qwen tokenizer):
- start-up: a 4-record build and the README quick start as a user runs them (`ltdata build` in a fresh
  process; the library call too), with the tokenizer already prepared, and a build that prepares it;
- the raw batched tokenizer on the same text: one thread (whole records, and the build's segments), and
  all cores (TOKENIZERS_PARALLELISM=true, 256 texts a batch, a fresh process);
- whole builds with 1 worker and with one worker per core, each in a fresh process (start-up included),
  and their steady state: the marginal rate over a tiny build with the same workers;
- the reference-style construction of `bench/reference_style.py`, and the bytes per token of the shards;
each against the targets of issues 3 and 15. Throughputs count one unit everywhere: tokens of the
records' text (prompt + output) as the raw tokenizer gives them, so ratios are ratios of time on
identical input. The builds run as users run them (their processes choose their own threads); this
process keeps to one thread (TOKENIZERS_PARALLELISM=false) for the one-thread ceilings, which, like the
baseline, run `--repeats` times on `--ceiling-records` records and keep their best.

    .venv/bin/python -m bench.build              # 20,000 records, ~70M tokens (about 10 minutes on 2 cores)
    .venv/bin/python -m bench.build --quick      # a smoke run (seconds; figures not meaningful)
    .venv/bin/python -m bench.build --records 1000 --profile 200   # one worker task's CPU split by stage
"""
from __future__ import annotations

import os
import sys

# One thread here (set before any import); the fresh process measuring the all-cores ceiling uses all,
# and a fresh build process keeps the user's setting, as `ltdata build` would.
if "--all-cores" in sys.argv:
    os.environ["TOKENIZERS_PARALLELISM"] = "true"
elif "--run-build" not in sys.argv:
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.corpus import Corpus, make_corpus  # noqa: E402
from bench.reference_style import ReferenceStyleBuilder  # noqa: E402
from bench.report import Figure, Stopwatch, Timing, print_table  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
REPO = Path(__file__).resolve().parents[1]
BATCH, WIDE_BATCH = 64, 256


def fresh(args: list[str], *, out: Path, parallel: bool | None = None) -> tuple[Timing, str]:
    """Run `args` in a fresh process as a user would (their environment, this benchmark's tokenizer store)."""
    env = {k: v for k, v in os.environ.items() if k != "TOKENIZERS_PARALLELISM"}
    env["LTDATA_CACHE"] = str(out / "cache")
    if parallel is not None:
        env["TOKENIZERS_PARALLELISM"] = "true" if parallel else "false"
    with Stopwatch() as clock:
        done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return clock.timing, done.stdout


def cli_build(out: Path, output: Path, *flags: str) -> Timing:
    shutil.rmtree(output, ignore_errors=True)
    return fresh([str(Path(sys.executable).parent / "ltdata"), "build", "--output", str(output), "--no-progress",
                  *flags], out=out)[0]


def library_build(out: Path, output: Path, **options) -> tuple[Timing, dict]:
    """`ltdata.build` in a fresh process: (timing, manifest counts)."""
    shutil.rmtree(output, ignore_errors=True)
    config = {"output": str(output), "progress": False, "max_length": None, **options}
    timing, stdout = fresh([sys.executable, "-m", "bench.build", "--run-build", json.dumps(config)], out=out)
    return timing, json.loads(stdout.strip().splitlines()[-1])


def _run_build(config: str) -> None:
    from ltdata.config import BuildConfig
    from ltdata.pipeline.build import build

    print(json.dumps(build(BuildConfig.from_dict(json.loads(config))).manifest["counts"]))


def segments(corpus: Corpus, n: int) -> list[tuple[str, str, list[str], str]]:
    """(prompt, preamble, thoughts, answer) of the first `n` records, as the build cuts them (not timed)."""
    from ltdata.readers.formats import resolve_format
    from ltdata.readers.sources import SourceSlice, read_slice
    from ltdata.splitters import make_splitter

    fmt, splitter = resolve_format("bespoke"), make_splitter("thought", {})
    out = []
    for index, raw in enumerate(read_slice(SourceSlice(path=str(corpus.path), kind="jsonl", start=0, stop=n))):
        trace = fmt.to_trace(raw.value, raw.origin)
        thoughts = [trace.reasoning[s:e] for s, e in splitter.split(trace.reasoning)]
        prompt = corpus.texts[index][:len(corpus.texts[index]) - len(trace.output)]
        out.append((prompt, trace.preamble, thoughts, trace.answer))
    return out


def raw_tokenizer(tokenizer, texts: list[str], batch: int = BATCH) -> tuple[Timing, list[int]]:
    """The ceiling: batched encode of each record's whole text, no special tokens added."""
    lengths: list[int] = []
    with Stopwatch() as clock:
        for i in range(0, len(texts), batch):
            lengths += map(len, tokenizer(texts[i:i + batch], add_special_tokens=False)["input_ids"])
    return clock.timing, lengths


def raw_tokenizer_on_segments(tokenizer, records: list[tuple[str, str, list[str], str]]) -> Timing:
    """The same ceiling on the exact strings the build encodes (every segment on its own)."""
    batches = [[text for prompt, preamble, thoughts, answer in records[i:i + BATCH]
                for text in (prompt, preamble, answer, *thoughts)] for i in range(0, len(records), BATCH)]
    with Stopwatch() as clock:
        for batch in batches:
            tokenizer(batch, add_special_tokens=False)
    return clock.timing


def _run_all_cores(corpus_path: str, n: str, repeats: str) -> None:
    """(In a fresh process with TOKENIZERS_PARALLELISM=true.) The best all-cores ceiling, as JSON."""
    from transformers import AutoTokenizer

    from bench.corpus import full_text
    from ltdata.config import BuildConfig
    from ltdata.pipeline.tokenizer import bundled_tokenizer_path
    from ltdata.sequence.prepare import prepare_layout

    tokenizer = AutoTokenizer.from_pretrained(bundled_tokenizer_path())
    prepare_layout(tokenizer, BuildConfig())          # as the main process counts
    with open(corpus_path, encoding="utf-8") as f:
        texts = [full_text(json.loads(line)) for _, line in zip(range(int(n)), f)]
    runs = [raw_tokenizer(tokenizer, texts, WIDE_BATCH)[0] for _ in range(int(repeats))]
    print(json.dumps(asdict(min(runs, key=lambda t: t.wall))))


def reference_style(tokenizer, records: list[tuple[str, str, list[str], str]], chosen: list[int],
                    n_cache: int) -> tuple[Timing, object]:
    """Build the `chosen` records reference-style; returns the timing and the first sample."""
    builder = ReferenceStyleBuilder(tokenizer, n_cache=n_cache)
    with Stopwatch() as clock:
        first = builder.build(*records[chosen[0]])
        for index in chosen[1:]:
            builder.build(*records[index])
    return clock.timing, first


def same_as_shards(output: Path, record_id: str, sample) -> bool:
    """The baseline does the same job: its tokens, labels and dense mask equal our shard row's."""
    import numpy as np
    import pyarrow.dataset as ds

    from ltdata.masks import dense_mask

    shards = ds.dataset(sorted(map(str, output.glob("shard-*.arrow"))), format="arrow")
    row = shards.to_table(filter=ds.field("record_id") == record_id).to_pylist()[0]
    return (row["input_ids"] == sample.input_ids and row["labels"] == sample.labels
            and bool(np.array_equal(dense_mask(row), sample.mask)))


def shard_bytes(output: Path) -> int:
    return sum(p.stat().st_size for p in output.glob("shard-*.arrow"))


class StageClock:
    """CPU seconds spent in each stage: wrapped calls, each minus the wrapped calls made inside it."""

    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self._inner: list[float] = []

    def call(self, stage: str, function, *args, **kwargs):
        start = time.process_time()
        self._inner.append(0.0)
        try:
            return function(*args, **kwargs)
        finally:
            spent, inner = time.process_time() - start, self._inner.pop()
            self.own[stage] = self.own.get(stage, 0.0) + spent - inner
            if self._inner:
                self._inner[-1] += spent

    def wrap(self, stage: str, function):
        return lambda *args, **kwargs: self.call(stage, function, *args, **kwargs)

    def iterate(self, stage: str, iterable):
        items = iter(iterable)
        while True:
            try:
                yield self.call(stage, next, items)
            except StopIteration:
                return


def profile_task(corpus: Corpus, records: int) -> list[Figure]:
    """One build task as a worker runs it (tokenizer loaded), its CPU timed by stage; and its rate."""
    from ltdata.config import BuildConfig
    from ltdata.pipeline import task as worker
    from ltdata.pipeline.destination import Destination
    from ltdata.pipeline.saved import saved_tokenizer
    from ltdata.pipeline.stages import Options, SplitterChoice
    from ltdata.readers.sources import plan_slices
    from ltdata.sequence.codec import load_rust_codec

    out = Destination.of(str(corpus.path.parent / "profile"))
    saved = saved_tokenizer(BuildConfig(max_length=None), scratch=corpus.path.parent / "profile-tokenizer")
    out.put_tree(saved.directory, "tokenizer")          # where a worker finds the build's tokenizer
    job = worker.BuildJob(key="profile", output=out.absolute(), splitter=SplitterChoice("thought"),
                          fields=Options(), layout=saved.settings, on_error="raise", specials=saved.specials)
    tasks = [worker.BuildTask(index=i, piece=piece, format_name="bespoke")
             for i, piece in enumerate(plan_slices([str(corpus.path)], records)[:3])]
    with Stopwatch() as load:
        load_rust_codec(saved.directory, saved.specials)
    worker.run_task(tasks[2], job)                         # the worker's tokenizer, splitter and formats load
    with Stopwatch() as plain:
        worker.run_task(tasks[1], job)
    clock = StageClock()
    with Stopwatch() as timed:
        _run_timed(clock, worker, tasks[0], job)
    own = dict(clock.own)
    own["task loop, part file"] = timed.timing.cpu - sum(own.values())
    tokens = sum(corpus.lengths[records:2 * records])
    return [*(Figure(stage, f"{100 * seconds / timed.timing.cpu:5.1f} %", "", None)
              for stage, seconds in sorted(own.items(), key=lambda item: -item[1])),
            Figure(f"one task of {records} records, not timed by stage", f"{tokens / plain.timing.cpu:,.0f} tok/cpu-s",
                   "", None),
            Figure("tokenizer.json load, once per worker", f"{load.timing.cpu:.2f} cpu s", "", None)]


def _run_timed(clock: StageClock, worker, task, job) -> None:
    """`worker.run_task` with its stages wrapped in `clock` (and put back afterwards)."""
    from ltdata.pipeline import stages

    _, layouter = worker._worker_state(job)
    fmt = worker._format(task.format_name, job.fields)

    class TimedFormat:
        def to_trace(self, record, origin):
            return clock.call("formats (record to Trace)", fmt.to_trace, record, origin)

    saved = {name: getattr(worker, name) for name in ("read_slice", "write_shard", "_format")}
    spans = stages.thought_spans
    methods = {"lay_out_many": layouter.lay_out_many, "encode": layouter.codec.encode, "decode": layouter.codec.decode}
    worker.read_slice = lambda piece, **options: clock.iterate("reading and parsing JSON",
                                                           saved["read_slice"](piece, **options))
    stages.thought_spans = clock.wrap("splitting into thoughts (and checking the spans)", spans)
    worker.write_shard = clock.wrap("Arrow writing, chunking", saved["write_shard"])
    worker._format = lambda *args: TimedFormat()
    layouter.lay_out_many = clock.wrap("layout (ids, labels, mask columns, checks)", methods["lay_out_many"])
    layouter.codec.encode = clock.wrap("tokenising (Rust encode, ids to lists)", methods["encode"])
    layouter.codec.decode = clock.wrap("lossless check (Rust decode)", methods["decode"])
    try:
        worker.run_task(task, job)
    finally:
        for name, value in saved.items():
            setattr(worker, name, value)
        stages.thought_spans = spans
        for name in methods:
            delattr(layouter if name == "lay_out_many" else layouter.codec, name)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.run_build:
        _run_build(args.run_build)
        return 0
    if args.all_cores:
        _run_all_cores(*args.all_cores.split(","))
        return 0
    from transformers import AutoTokenizer

    from ltdata.config import BuildConfig
    from ltdata.pipeline.tokenizer import bundled_tokenizer_path
    from ltdata.sequence.prepare import prepare_layout

    load_before = os.getloadavg()
    counting = AutoTokenizer.from_pretrained(bundled_tokenizer_path())
    prepare_layout(counting, BuildConfig())          # count lengths with the build's added tokens
    corpus = make_corpus(args.records, args.out, counting)
    if args.profile:
        print(f"one build task's CPU by stage (load {load_before[0]:.2f})")
        print_table(profile_task(corpus, args.profile))
        return 0
    m = _measure(args, corpus, counting)
    tokens = sum(corpus.lengths)
    per_token = shard_bytes(args.out / "build-1w") / m.shard_tokens
    print(f"ltdata build benchmark: {len(corpus.records):,} records, {tokens:,} text tokens "
          f"({min(corpus.lengths):,}-{max(corpus.lengths):,} per record), {m.shard_tokens:,} shard tokens, "
          f"shard_size {args.shard_size}, {os.cpu_count()} cores, ceilings on {m.ceiling_records:,} records "
          f"(best of {args.repeats}), load {load_before[0]:.2f} before / {os.getloadavg()[0]:.2f} after")
    print_table(_figures(m, tokens, per_token, args))
    print("tok/s = text tokens (the records' prompt + output, as the raw tokenizer counts them) per wall "
          "second and per CPU second (child processes included); cores = CPU / wall seconds, what the "
          "machine gave the step. Builds and start-ups run in fresh processes, as a user runs them, with the "
          "tokenizer prepared by an earlier build unless said; steady state = the extra tokens over the extra "
          "seconds against a tiny build with the same workers. All-cores ratios are judged on wall time, "
          "the per-core ones on CPU time")
    print(f"reference-style sample {m.ref_id} equals its shard row (ids, labels, mask): {m.equivalent}")
    if args.quick:
        print("(--quick: a smoke run; the figures are not meaningful)")
    results = {"records": len(corpus.records), "text_tokens": tokens, "shard_tokens": m.shard_tokens,
               "timings": m.timings, "probe_tokens": m.probe_tokens, "ceiling_records": m.ceiling_records,
               "ceiling_tokens": m.ceiling_tokens, "reference_tokens": m.reference_tokens,
               "bytes_per_token": per_token, "load": load_before}
    (args.out / "build-results.json").write_text(json.dumps(results, indent=2, default=asdict) + "\n",
                                                 encoding="utf-8")
    return 0 if m.equivalent else 1


@dataclass(frozen=True, slots=True)
class Measured:
    timings: dict[str, Timing]      # see _measure
    probe_tokens: dict[int, int]    # text tokens of the tiny build, per worker count
    shard_tokens: int               # tokens written by the 1-worker build
    ceiling_records: int            # records the ceilings and the baseline ran on
    ceiling_tokens: int
    reference_tokens: int
    ref_id: str
    equivalent: bool                # the baseline's first sample equals its shard row


def _measure(args: argparse.Namespace, corpus: Corpus, tokenizer) -> Measured:
    """Start-ups, then the builds, with the ceilings and the baseline before and after them (best kept)."""
    timings = _start_ups(args, corpus)
    n = min(args.ceiling_records, len(corpus.records))
    records, texts = segments(corpus, n), corpus.texts[:n]
    chosen = list(range(0, n, max(1, n // args.baseline_records)))
    ceilings: dict[str, list[Timing]] = {"raw_whole": [], "raw_segments": [], "raw_all_cores": [], "reference": []}
    all_cores = [sys.executable, "-m", "bench.build", "--all-cores", f"{corpus.path},{n},1"]

    def ceiling_round() -> object:
        ceilings["raw_whole"].append(raw_tokenizer(tokenizer, texts)[0])
        ceilings["raw_segments"].append(raw_tokenizer_on_segments(tokenizer, records))
        stdout = fresh(all_cores, out=args.out, parallel=True)[1]
        ceilings["raw_all_cores"].append(Timing(**json.loads(stdout.strip().splitlines()[-1])))
        n_cache = json.loads((args.out / "four" / "manifest.json").read_text())["cache_tokens"]
        timing, sample = reference_style(tokenizer, records, chosen, n_cache)
        ceilings["reference"].append(timing)
        return sample

    sample = ceiling_round()
    probe_tokens, counts = {}, {}
    for workers in sorted({1, args.workers}):
        probe = args.out / f"probe-{workers}w.jsonl"
        probe.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus.records[:2 * workers]))
        probe_tokens[workers] = sum(corpus.lengths[:2 * workers])
        timings[f"probe_{workers}w"] = library_build(args.out, args.out / f"probe-{workers}w", input=[str(probe)],
                                                     workers=workers, shard_size=1)[0]
        timings[f"build_{workers}w"], counts[workers] = library_build(
            args.out, args.out / f"build-{workers}w", input=[str(corpus.path)], workers=workers,
            shard_size=args.shard_size)
    if args.threads:              # the same build on threads of one process (--no-processes)
        timings["build_threads"] = library_build(args.out, args.out / "build-threads", input=[str(corpus.path)],
                                                 workers=args.workers, shard_size=args.shard_size, processes=False)[0]
    for _ in range(args.repeats - 1):
        ceiling_round()
    timings.update({name: min(runs, key=lambda t: t.wall if name == "raw_all_cores" else t.cpu)
                    for name, runs in ceilings.items()})
    ref_id = corpus.records[chosen[0]]["id"]
    return Measured(timings, probe_tokens, counts[1]["tokens"], n, sum(corpus.lengths[:n]),
                    sum(corpus.lengths[i] for i in chosen), ref_id, same_as_shards(args.out / "build-1w", ref_id, sample))


def _start_ups(args: argparse.Namespace, corpus: Corpus) -> dict[str, Timing]:
    """A first build (the store emptied: it prepares the tokenizer), then the best of `repeats` warm start-ups."""
    four = args.out / "four.jsonl"
    four.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus.records[:4]))
    shutil.rmtree(args.out / "cache", ignore_errors=True)
    timings = {"first_build": cli_build(args.out, args.out / "four-first", "--input", str(four))}
    runs: dict[str, list[Timing]] = {"start_up_cli": [], "start_up_library": [], "quick_start": []}
    for _ in range(args.repeats):
        runs["start_up_cli"].append(cli_build(args.out, args.out / "four", "--input", str(four)))
        runs["start_up_library"].append(library_build(args.out, args.out / "four-library", input=[str(four)],
                                                      max_length=4096)[0])
        runs["quick_start"].append(cli_build(args.out, args.out / "quick-start", "--splitter", "thought"))
    return {**timings, **{name: min(found, key=lambda t: t.wall) for name, found in runs.items()}}


def _figures(m: Measured, tokens: int, per_token: float, args: argparse.Namespace) -> list[Figure]:
    t, w = m.timings, args.workers

    def rate(timing: Timing, n: int) -> str:
        return (f"{n / timing.wall:>9,.0f} wall  {n / timing.cpu:>9,.0f} cpu  "
                f"({timing.wall:6.1f} s, {timing.cpu / timing.wall:.2f} cores)")

    def seconds(timing: Timing, limit: float | None) -> tuple[str, str, bool | None]:
        value = f"{timing.wall:.2f} s  ({timing.cpu:.2f} cpu s)"
        return value, (f"<= {limit:g} s" if limit else ""), (timing.wall <= limit if limit else None)

    steady = {k: (tokens - m.probe_tokens[k]) / (t[f"build_{k}w"].wall - t[f"probe_{k}w"].wall)
              for k in m.probe_tokens}
    all_cores = m.ceiling_tokens / t["raw_all_cores"].wall
    ceiling = min(t["raw_whole"], t["raw_segments"], key=lambda timing: timing.cpu)
    per_core = (tokens / t["build_1w"].cpu) / (m.ceiling_tokens / ceiling.cpu)
    per_ref = (tokens / t["build_1w"].cpu) / (m.reference_tokens / t["reference"].cpu)
    speed_up = t["build_1w"].wall / t[f"build_{w}w"].wall
    end_to_end = tokens / t[f"build_{w}w"].wall / all_cores
    return [
        Figure("first build of a tokenizer (prepares it), 4 records, CLI", *seconds(t["first_build"], None)),
        Figure("start-up: 4-record build, CLI", *seconds(t["start_up_cli"], 2.5)),
        Figure("start-up: 4-record build, library, fresh process", *seconds(t["start_up_library"], None)),
        Figure("quick start: ltdata build --splitter thought", *seconds(t["quick_start"], 5)),
        Figure("raw tokenizer, whole records, 1 thread", rate(t["raw_whole"], m.ceiling_tokens), "", None),
        Figure("raw tokenizer, build's segments, 1 thread", rate(t["raw_segments"], m.ceiling_tokens), "", None),
        Figure("raw tokenizer, whole records, all cores", rate(t["raw_all_cores"], m.ceiling_tokens), "", None),
        *(Figure(f"build, {k} worker{'s' * (k > 1)}, end to end", rate(t[f"build_{k}w"], tokens), "", None)
          for k in sorted(m.probe_tokens)),
        *(Figure(f"build, {k} worker{'s' * (k > 1)}, steady state", f"{steady[k]:>9,.0f} wall", "", None)
          for k in sorted(m.probe_tokens)),
        *([Figure(f"build, {w} threads in one process (--no-processes), end to end",
                  rate(t["build_threads"], tokens), "", None)] if "build_threads" in t else []),
        Figure(f"reference-style, 1 thread ({len(range(0, m.ceiling_records, max(1, m.ceiling_records // args.baseline_records)))}"
               " records)", rate(t["reference"], m.reference_tokens), "", None),
        Figure(f"build {w} workers steady state / raw all cores", f"{steady[w] / all_cores:.2f}", ">= 0.80",
               steady[w] / all_cores >= 0.8),
        Figure(f"build {w} workers end to end / raw all cores", f"{end_to_end:.2f}", ">= 0.60", end_to_end >= 0.6),
        Figure("build 1 worker / faster raw tokenizer, per core", f"{per_core:.2f} cpu", ">= 0.50", per_core >= 0.5),
        Figure("build 1 worker / reference-style, per core", f"{per_ref:.2f}x cpu", ">= 5x", per_ref >= 5),
        Figure(f"speed-up 1 -> {w} workers (wall, end to end)",
               f"{speed_up:.2f}x  (steady {steady[w] / steady[1]:.2f}x)", ">= 1.8x", speed_up >= 1.8),
        Figure("bytes per token on disk", f"{per_token:.2f}", "<= 24", per_token <= 24),
    ]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20000, help="records in the corpus (issue 15: >= 20,000)")
    parser.add_argument("--shard-size", type=int, default=500, help="records per shard (one task each)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="the many-worker build (cores)")
    parser.add_argument("--ceiling-records", type=int, default=2000,
                        help="records the raw tokenizer and the baseline run on (rates, so a sample is enough)")
    parser.add_argument("--baseline-records", type=int, default=100,
                        help="records the (slow) reference-style baseline builds, spread over those")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of the start-ups, ceilings and baseline (around the builds; best kept)")
    parser.add_argument("--threads", action="store_true",
                        help="also build on threads of one process (--no-processes), to compare with processes")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 48 records, 2 workers, one repeat")
    parser.add_argument("--out", type=Path, default=OUT, help="working directory (default bench/out)")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="only time one task of N records in this process, by stage (its CPU split)")
    parser.add_argument("--run-build", help=argparse.SUPPRESS)     # internal: one build from JSON config
    parser.add_argument("--all-cores", help=argparse.SUPPRESS)     # internal: CORPUS,N,REPEATS
    args = parser.parse_args(argv)
    if args.quick:
        args.records, args.shard_size, args.baseline_records, args.repeats = 48, 16, 6, 1
        args.ceiling_records, args.workers = 48, 2
    args.workers = max(args.workers, 2)
    return args


if __name__ == "__main__":
    raise SystemExit(main())
