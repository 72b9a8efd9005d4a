"""Benchmark compressed generation: LightThinker vs vanilla (and H2O at LightThinker's peak), one run.

A real Bespoke-Stratos trace (bs-00002: 117 thoughts, ~5k output tokens with the BPE below) is laid
out by `ltdata build` in lightthinker and vanilla mode, then teacher-forced through the decode loop
on a random Qwen2-shaped model (4 layers, hidden 256, GQA 4/2 heads, fp32), so splitters come at
the trace's real intervals. Prints measured peak KV / Dep against the layout's closed form, speed
overall and per quarter of the output (attention and cache copies grow with the cache), and what
one compression costs: the forced block's forward beyond a one-token step, plus the compaction of
every layer. One thread; speed is per CPU-second of this process (wall time is shown too, but on a
machine shared with other jobs it measures the neighbours as much as us).

    .venv/bin/python -m bench.generate               # ~2 minutes of CPU (wall: 2-4 on 2 shared cores)
    .venv/bin/python -m bench.generate --quick       # a smoke run (first 600 output tokens)
    .venv/bin/python -m bench.generate --device cuda --shape 7b --dtype bfloat16   # on a GPU
"""
from __future__ import annotations

import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.report import Figure, print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "generate"
RECORD = "bs-00002"
SHAPES = {"small": dict(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
                        num_key_value_heads=2),
          "7b": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                     num_key_value_heads=4)}


def prepare_rows() -> tuple[dict, dict, object, dict]:
    """(lightthinker row, vanilla row, tokenizer, special ids) for RECORD, built with a BPE trained here."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    from ltdata.config import BuildConfig
    from ltdata.pipeline.build import SAMPLE_DATA, build

    OUT.mkdir(parents=True, exist_ok=True)
    corpus = (ROOT / "tests" / "data" / "bpe_corpus.txt").read_text(encoding="utf-8").split("\n\n")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer, bpe.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=1000, special_tokens=["<|endoftext|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>",
                            pad_token="<|endoftext|>").save_pretrained(str(OUT / "bpe"))
    lines = (SAMPLE_DATA / "bespoke_sky-t1.jsonl").read_text(encoding="utf-8").splitlines()
    (OUT / "trace.jsonl").write_text(next(x for x in lines if json.loads(x)["id"] == RECORD) + "\n")
    rows = {}
    for mode in ("lightthinker", "vanilla"):
        result = build(BuildConfig(input=[str(OUT / "trace.jsonl")], output=str(OUT / mode), tokenizer=str(OUT / "bpe"),
                                   mode=mode, workers=1, processes=False, progress=False, max_length=None,
                                   overwrite=True))
        import pyarrow as pa
        import pyarrow.ipc as ipc
        with pa.memory_map(str(OUT / mode / result.manifest["shards"][0]["file"])) as source:
            rows[mode] = ipc.open_file(source).read_all().to_pylist()[0]
        ids = result.manifest["special_tokens"]
    tokenizer = AutoTokenizer.from_pretrained(str(OUT / "lightthinker" / "tokenizer"))
    return rows["lightthinker"], rows["vanilla"], tokenizer, ids


def split_row(row: dict, limit: int | None) -> tuple[list[int], list[int], int]:
    """(prompt incl. the Bespoke preamble, emitted tokens, preamble length) of a row, forced tokens left out."""
    from ltdata.records import Role

    ids, role = np.asarray(row["input_ids"]), np.asarray(row["role"])
    first_thought = int(np.flatnonzero(role == Role.THOUGHT)[0])
    spoken = np.isin(role[first_thought:], [Role.THOUGHT, Role.SPLITTER, Role.ANSWER, Role.EOS])
    emitted = ids[first_thought:][spoken].tolist()
    preamble = first_thought - int((role == Role.PROMPT).sum())
    return ids[:first_thought].tolist(), emitted[:limit] if limit else emitted, preamble


def closed_form(row: dict, prompt_len: int) -> tuple[int, int]:
    """ltdata's peak and Dep for the row, Dep without the preamble rows (fed as prompt here)."""
    from ltdata.masks import visible_counts
    from ltdata.metrics import generated_rows, peak_tokens

    counts = visible_counts(row["attend_from"], row["visible_until"])
    generated = generated_rows(row["role"], row["labels"])
    generated[:prompt_len] = False
    return peak_tokens(row["visible_until"], row["role"]), int(counts[generated].sum())


class Probe:
    """Per-forward times (by feed width) and cache-compaction times, via hooks and a wrapper.

    On the CPU it reads this process's CPU time (one thread: our work, not the neighbours' share of
    the cores); on a GPU, wall time after a device synchronisation.
    """

    def __init__(self, model, device: torch.device):
        from ltrain.generate.cache import KVState

        self.steps: list[tuple[int, float]] = []
        self.compactions: list[float] = []
        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        clock = time.perf_counter if device.type == "cuda" else time.process_time
        start = {}

        def before(module, args, kwargs):
            sync()
            start["t"] = clock()

        def after(module, args, kwargs, output):
            sync()
            self.steps.append((int(kwargs["input_ids"].shape[1]), clock() - start["t"]))

        self.handles = [model.register_forward_pre_hook(before, with_kwargs=True),
                        model.register_forward_hook(after, with_kwargs=True)]
        original = KVState._select

        def timed(state, rows, dead):
            sync()
            t = clock()
            original(state, rows, dead)
            sync()
            self.compactions.append(clock() - t)

        KVState._select, self._restore = timed, (KVState, original)

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()
        cls, original = self._restore
        cls._select = original


def run(model, method: str, prompt, emitted, ids, *, budget: int | None, device) -> tuple[object, Probe]:
    from ltdata.sequence.special_tokens import SpecialTokenIds
    from ltrain.generate.loop import Budget, decode
    from ltrain.generate.methods import make_method
    from ltrain.generate.sampling import TeacherForcing

    special = SpecialTokenIds.from_manifest(ids)
    if method == "h2o":
        model.set_attn_implementation("eager")
    probe = Probe(model, device)
    cpu = time.process_time()
    try:
        (done,) = decode(model, [prompt], make_method(method, special, see_current=False), TeacherForcing([emitted]),
                         max_new_tokens=len(emitted), eos_id=special.eos,
                         budget=Budget(budget, budget // 2) if budget else None)
    finally:
        probe.close()
        model.set_attn_implementation("sdpa")
    probe.cpu_seconds = time.process_time() - cpu
    return done, probe


def quarter_rates(probe: Probe) -> list[float]:
    """Emitted tokens per (CPU) second of forward passes in each quarter of the output (a block: one token)."""
    times = [t for _, t in probe.steps[1:]]                      # drop the prefill
    edges = np.linspace(0, len(times), 5).astype(int)
    return [(b - a) / sum(times[a:b]) for a, b in zip(edges, edges[1:])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only the first 600 output tokens")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="small")
    parser.add_argument("--no-h2o", action="store_true", help="skip the H2O run (eager attention, slower)")
    args = parser.parse_args(argv)
    from transformers import Qwen2Config, Qwen2ForCausalLM

    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    torch.set_num_threads(1)
    lt_row, va_row, tokenizer, ids = prepare_rows()
    limit = 600 if args.quick else None
    lt_prompt, lt_out, preamble = split_row(lt_row, limit)
    va_prompt, va_out, _ = split_row(va_row, limit)
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), max_position_embeddings=32768, attn_implementation="sdpa",
                         **SHAPES[args.shape])
    model = Qwen2ForCausalLM(config).to(device=device, dtype=dtype).eval()
    print(f"model: Qwen2 {args.shape} {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M params, {args.dtype}, "
          f"{args.device}; trace {RECORD}: prompt {len(lt_prompt)} (preamble {preamble} included), "
          f"{lt_row['num_thoughts']} thoughts, vanilla output {len(va_out)} tokens")
    run(model, "vanilla", va_prompt, va_out[:64], ids, budget=None, device=device)      # warm-up

    results = {"vanilla": run(model, "vanilla", va_prompt, va_out, ids, budget=None, device=device),
               "lightthinker": run(model, "lightthinker", lt_prompt, lt_out, ids, budget=None, device=device)}
    if not args.no_h2o:
        peak = results["lightthinker"][0].stats.peak_tokens
        results["h2o"] = run(model, "h2o", va_prompt, va_out, ids, budget=peak, device=device)
    report(results, lt_row, va_row, len(lt_prompt), full=limit is None, n_cache=len(ids["cache"]))
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return 0


def report(results: dict, lt_row: dict, va_row: dict, prompt_len: int, *, full: bool, n_cache: int) -> None:
    base = results["vanilla"][0].stats
    base_cpu = results["vanilla"][1].cpu_seconds
    print(f"\n{'method':<13} {'emitted':>7} {'peak KV':>8} {'Dep':>11} {'wall s':>7} {'cpu s':>7} {'tok/cpu-s':>9} "
          f"{'tok/cpu-s by output quarter':>31}   peak, Dep, cpu time vs vanilla")
    for name, (done, probe) in results.items():
        s = done.stats
        rates = " ".join(f"{r:7.1f}" for r in quarter_rates(probe))
        print(f"{name:<13} {s.output_tokens:>7} {s.peak_tokens:>8} {s.dep:>11,} {s.seconds:>7.2f} "
              f"{probe.cpu_seconds:>7.2f} {s.output_tokens / probe.cpu_seconds:>9.1f} {rates:>31}   "
              f"{base.peak_tokens / s.peak_tokens:.2f}x, {base.dep / s.dep:.2f}x, {probe.cpu_seconds / base_cpu:.2f}")
    print()
    lt = results["lightthinker"][0].stats
    figures = closed_form_figures(lt, base, lt_row, va_row, prompt_len) if full else []
    print_table(figures + speed_figures(results, n_cache))


def closed_form_figures(lt, base, lt_row: dict, va_row: dict, prompt_len: int) -> list[Figure]:
    """Measured peak/Dep against ltdata's closed form from the shard columns (the layout's prediction)."""
    lt_peak, lt_dep = closed_form(lt_row, prompt_len)
    va_peak, va_dep = closed_form(va_row, prompt_len)
    return [Figure("LightThinker peak KV = closed form", f"{lt.peak_tokens} / {lt_peak}", "equal",
                   lt.peak_tokens == lt_peak),
            Figure("LightThinker Dep = closed form", f"{lt.dep} / {lt_dep}", "equal", lt.dep == lt_dep),
            Figure("vanilla peak KV, Dep = closed form", f"{base.peak_tokens}, {base.dep}", "equal",
                   (base.peak_tokens, base.dep) == (va_peak, va_dep)),
            Figure("peak ratio vanilla/LT (layout)", f"{base.peak_tokens / lt.peak_tokens:.2f}x "
                   f"({va_peak / lt_peak:.2f}x)", "", None),
            Figure("Dep ratio vanilla/LT (layout)", f"{base.dep / lt.dep:.2f}x ({va_dep / lt_dep:.2f}x)", "", None)]


def speed_figures(results: dict, n_cache: int) -> list[Figure]:
    """Tokens/s against vanilla, and what one compression costs beyond a one-token step."""
    (lt, lt_probe), (va, va_probe) = results["lightthinker"], results["vanilla"]
    one = statistics.median(t for w, t in lt_probe.steps[1:] if w == 1)
    block = statistics.median(t for w, t in lt_probe.steps[1:] if w == n_cache + 2)
    compaction = statistics.median(lt_probe.compactions[1:])       # the first one drops the prompt's padding
    extra = block - one + compaction
    rate, base = lt.stats.output_tokens / lt_probe.cpu_seconds, va.stats.output_tokens / va_probe.cpu_seconds
    wall = lt.stats.tokens_per_second / va.stats.tokens_per_second
    last = quarter_rates(lt_probe)[-1] / quarter_rates(va_probe)[-1]
    return [Figure("emitted tok/cpu-s LT vs vanilla", f"{rate:.1f} vs {base:.1f}", ">= 1x", rate >= base),
            Figure("the same in wall time (shared machine)", f"{wall:.2f}x", "", None),
            Figure("last-quarter tok/cpu-s LT / vanilla", f"{last:.2f}x", "> 1x", last > 1),
            Figure("one-token step (median cpu ms)", f"{one * 1e3:.2f}", "", None),
            Figure(f"forced block of {n_cache + 2} (median cpu ms)", f"{block * 1e3:.2f}", "", None),
            Figure("cache compaction, all layers (median cpu ms)", f"{compaction * 1e3:.3f}", "", None),
            Figure("overhead per compression: cpu ms (steps)", f"{extra * 1e3:.2f} ({extra / one:.2f})", "", None),
            Figure("compressions", str(lt.stats.compressions), "", None)]


if __name__ == "__main__":
    sys.exit(main())
