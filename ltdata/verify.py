"""`ltdata verify`: re-derive every layout invariant of a finished build, row by row, from its own files.

A shard can come from another ltdata version, a hand edit or a third-party writer; training on a
subtly wrong mask fails silently. So each row is checked against rules re-derived from its roles
and the manifest alone: column lengths, roles in layout order with the special ids in place, labels
per role, position ids, the exact mask columns, and lossless text through the saved tokenizer.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ltdata.errors import SchemaError
from ltdata.loading.shards import Batch, open_shard
from ltdata.records import Example, Role
from ltdata.sequence.special_tokens import SpecialTokenIds
from ltdata.shards.reader import read_manifest, shard_paths
from ltdata.shards.remote import local_build
from ltdata.shards.schema import COLUMN_NAMES, TOKEN_COLUMNS
from ltdata.shards.validate import ExampleError, Rules, check_example
from ltdata.storage import shown

TEXT_ROLES = frozenset(int(r) for r in (Role.PROMPT, Role.THOUGHT, Role.ANSWER))
ANSWER = int(Role.ANSWER)


@dataclass(frozen=True, slots=True)
class MaskRules:
    """The mask options a build was made with (from its manifest; defaults for older manifests)."""

    mode: str
    see_current: bool
    exclude_continue: bool

    @classmethod
    def from_manifest(cls, manifest: dict) -> "MaskRules":
        mode = manifest.get("mode", "lightthinker")
        see_current = manifest.get("see_current")
        return cls(mode=mode, see_current=mode == "anllm" if see_current is None else bool(see_current),
                   exclude_continue=bool(manifest.get("config", {}).get("exclude_continue", False)))


@dataclass(frozen=True, slots=True)
class VerifyReport:
    directory: str              # as given (a URL is read from its local copy)
    shards: int
    rows: int
    tokens: int
    thoughts: int
    mode: str

    def summary(self) -> str:
        return (f"{self.directory}: OK: {self.rows:,} rows, {self.tokens:,} tokens, {self.thoughts:,} thoughts in "
                f"{self.shards} shard(s), mode {self.mode}; lengths, roles, labels, positions, masks and text check out")


def verify_build(directory: str | Path, *, storage_options: Mapping[str, Any] | None = None,
                 progress: bool = False) -> VerifyReport:
    """Check every row; raise `SchemaError` naming shard, row and record id at the first violation."""
    from transformers import AutoTokenizer

    local = local_build(directory, storage_options, progress=progress)
    manifest = read_manifest(local)
    tokenizer_dir = local / manifest.get("tokenizer", {}).get("path", "tokenizer")
    if not tokenizer_dir.is_dir():
        raise SchemaError(f"{shown(str(directory))}: the build's tokenizer directory {tokenizer_dir} is missing")
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    mask_rules = MaskRules.from_manifest(manifest)
    rules = Rules(ids=SpecialTokenIds.from_manifest(manifest["special_tokens"]), mode=mask_rules.mode,
                  vocab_size=len(tokenizer))
    paths = shard_paths(local)
    rows = tokens = thoughts = 0
    for path in paths:
        first_row = 0
        for batch in open_shard(path):
            for r in range(batch.rows):
                row = batch.row(r, COLUMN_NAMES)
                _check_row(row, rules, mask_rules, where=_where(path, first_row + r, row))
                tokens += len(row["input_ids"])
                thoughts += int(row["num_thoughts"])
            _check_text(batch, tokenizer, path, first_row)
            first_row += batch.rows
        rows += first_row
    return VerifyReport(directory=shown(str(directory)), shards=len(paths), rows=rows, tokens=tokens, thoughts=thoughts,
                        mode=mask_rules.mode)


def _where(path: Path, index: int, row: dict) -> str:
    return f"{path.name} row {index} (id={row['record_id']!r})"


def _check_row(row: dict, rules: Rules, mask_rules: MaskRules, *, where: str) -> None:
    length = len(row["input_ids"])
    if row["num_tokens"] != length:
        raise SchemaError(f"{where}: num_tokens is {row['num_tokens']} but the row has {length} tokens")
    example = Example(record_id=row["record_id"], source=row["source"], truncated=bool(row["truncated"]),
                      **{c: row[c] for c in TOKEN_COLUMNS})
    try:
        check_example(example, rules, index=0)
    except ExampleError as exc:
        column = f"column {exc.column!r} " if exc.column else ""
        raise SchemaError(f"{where}: {column}{exc.message}") from None
    if row["num_thoughts"] != example.num_thoughts:
        raise SchemaError(f"{where}: num_thoughts is {row['num_thoughts']} but the row has {example.num_thoughts}")
    problem = mask_problem(np.asarray(row["role"]), np.asarray(row["thought_index"]), np.asarray(row["attend_from"]),
                           np.asarray(row["visible_until"]), mask_rules)
    if problem:
        raise SchemaError(f"{where}: {problem}")


def expected_mask_columns(role: np.ndarray, thought: np.ndarray, rules: MaskRules) -> tuple[np.ndarray, np.ndarray]:
    """(attend_from, visible_until) as the LightThinker rules define them, from roles and thought numbers."""
    length = len(role)
    attend_from = np.zeros(length, dtype=np.int64)
    visible_until = np.full(length, length, dtype=np.int64)
    if rules.mode == "vanilla":
        return attend_from, visible_until
    closing_role = Role.CONTINUE if rules.mode == "lightthinker" else Role.CACHE
    closings = []
    for k in range(int(thought.max()) + 1 if length else 0):
        block = thought == k
        closing = int(np.flatnonzero(block & (role == closing_role))[0])
        hidden_from = closing if rules.mode == "lightthinker" else closing + 1
        visible_until[block & np.isin(role, [Role.THOUGHT, Role.SPLITTER])] = hidden_from
        if rules.see_current:
            attend_from[block & (role == Role.CACHE)] = int(np.flatnonzero(block & (role == Role.THOUGHT))[0])
        closings.append(closing)
    if rules.exclude_continue and rules.mode == "lightthinker":
        for here, nxt in zip(closings, closings[1:]):
            visible_until[here] = nxt
    return attend_from, visible_until


def mask_problem(role, thought, attend_from, visible_until, rules: MaskRules) -> str | None:
    """The first token whose mask columns differ from the rules, described; None when all agree."""
    want_from, want_until = expected_mask_columns(role, thought, rules)
    for name, got, want, rule in (
            ("visible_until", visible_until, want_until,
             "a thought and its splitter are hidden from their block's " +
             ("<|continue|>" if rules.mode == "lightthinker" else "anchor's next token") + " on, other keys never"),
            ("attend_from", attend_from, want_from,
             "0, or the thought's first token for cache rows under see_current")):
        bad = np.flatnonzero(got != want)
        if len(bad):
            j = int(bad[0])
            block = f", thought {thought[j]}" if thought[j] >= 0 else ""
            return (f"column {name!r}: token {j} ({Role(int(role[j])).name.lower()}{block}) has {got[j]}, expected "
                    f"{want[j]} ({rule})")
    return None


def _check_text(batch: Batch, tokenizer, path: Path, first_row: int) -> None:
    """Each text segment decodes and re-encodes to the same ids with the saved tokenizer."""
    segments: list[tuple[int, int, int, bool]] = []        # (row, start, stop, exact)
    pieces: list[np.ndarray] = []
    for r in range(batch.rows):
        row = batch.row(r, ("input_ids", "role", "thought_index"))
        role, thought = np.asarray(row["role"]), np.asarray(row["thought_index"])
        key = role.astype(np.int64) * 100_000 + thought
        starts = [0, *(np.flatnonzero(np.diff(key)) + 1).tolist()]
        no_thoughts = thought.max(initial=-1) < 0
        for start, stop in zip(starts, [*starts[1:], len(role)]):
            kind = int(role[start])
            if kind in TEXT_ROLES:
                # With no thought between them, preamble and answer are one run of two tokenizer calls:
                # only the text round trip is exact there, not the ids.
                exact = not (kind == ANSWER and no_thoughts)
                segments.append((r, start, stop, exact))
                pieces.append(np.asarray(row["input_ids"][start:stop]))
    if not pieces:
        return
    texts = tokenizer.batch_decode([p.tolist() for p in pieces], skip_special_tokens=False,
                                   clean_up_tokenization_spaces=False)
    again = tokenizer(texts, add_special_tokens=False)["input_ids"]
    for (r, start, stop, exact), ids, text, back in zip(segments, pieces, texts, again):
        same = back == ids.tolist() if exact else tokenizer.decode(back, skip_special_tokens=False,
                                                                   clean_up_tokenization_spaces=False) == text
        if not same:
            row = batch.row(r, ("record_id",))
            what = Role(int(batch.row(r, ("role",))["role"][start])).name.lower()
            raise SchemaError(f"{_where(path, first_row + r, row)}: the {what} text at tokens {start}..{stop - 1} "
                              f"does not survive decoding and re-encoding with the saved tokenizer (a different "
                              f"tokenizer, or ids that no tokenizer call produces)")
