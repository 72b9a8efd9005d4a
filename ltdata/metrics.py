"""Peak KV tokens and Dep in closed form from a sample's columns.

They follow from the same interval columns as the mask, so the numbers cannot drift from what the
model was trained to see. Conventions follow LightThinker's definitions (arXiv:2502.15589, Sec. 4.1 metrics): Dep sums, over
the tokens the model emits and feeds back, the context each attends to (itself included); peak is the
largest KV cache seen right after tokens are appended and before the finished thought is evicted.
`ltrain generate` measures the same two numbers while decoding, and the tests hold them equal.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ltdata.masks import visible_counts
from ltdata.records import Role
from ltdata.shards.reader import flat_tokens, record_batches
from ltdata.shards.schema import IGNORE_INDEX

OUTPUT_ROLES = (Role.THOUGHT, Role.ANSWER)


def generated_rows(role: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """bool [L]: tokens the model emits and feeds back: trained ones (thoughts, splitters, answer, and
    AnLLM's anchors), except EOS, which ends decoding and never enters the cache. Forced tokens (cache
    and continue blocks) carry no label, so they are never counted."""
    return (np.asarray(labels) != IGNORE_INDEX) & (np.asarray(role) != Role.EOS)


def dependency(attend_from: np.ndarray, visible_until: np.ndarray, role: np.ndarray, labels: np.ndarray) -> int:
    """Dep: the sum of visible keys over the generated rows."""
    counts = visible_counts(attend_from, visible_until)
    return int(counts[generated_rows(role, labels)].sum())


def peak_tokens(visible_until: np.ndarray, role: np.ndarray) -> int:
    """Largest KV cache over the steps, counted after each feed and before eviction.

    After row i is fed the cache holds every key j <= i that some row from i on may still see
    (visible_until[j] > i), plus, at a <|continue|> row, the thought and splitter it hides: the forced
    block [splitter, cache..., continue] is fed in one pass and its thought is evicted only after it.
    An AnLLM anchor is fed alone, so its thought is gone before the next token. The EOS row is left
    out: EOS is generated but never fed back, so it never enters the cache.
    """
    visible_until = np.asarray(visible_until, dtype=np.int64)
    role = np.asarray(role)
    length = len(visible_until)
    index = np.arange(length)
    # key j counts for rows j .. end_j - 1, where end_j = visible_until[j] (+1 if that row is a continue)
    lasts = visible_until + (role[np.minimum(visible_until, length - 1)] == Role.CONTINUE) * (visible_until < length)
    delta = np.zeros(length + 1, dtype=np.int64)
    np.add.at(delta, index, 1)
    np.add.at(delta, np.minimum(lasts, length), -1)
    alive = np.cumsum(delta)[:length]
    fed = role != Role.EOS
    return int(alive[fed].max()) if fed.any() else 0


def record_metrics(attend_from: np.ndarray, visible_until: np.ndarray, role: np.ndarray,
                   labels: np.ndarray) -> tuple[int, int, int, int]:
    """(peak KV tokens, Dep) under the built mask, then the same two for the record's vanilla baseline.

    Vanilla is what `--mode vanilla` lays out for the same record: its |P| prompt tokens and |O| thought
    and answer tokens, without splitter, cache or continue tokens, under a causal mask. Every output
    token is generated and cached, so its peak is |P| + |O| and its Dep |P|·|O| + |O|(|O|+1)/2.
    """
    role = np.asarray(role)
    prompt = int(np.count_nonzero(role == Role.PROMPT))
    output = int(np.count_nonzero(np.isin(role, OUTPUT_ROLES)))
    return (peak_tokens(visible_until, role), dependency(attend_from, visible_until, role, labels),
            prompt + output, prompt * output + output * (output + 1) // 2)


def batch_metrics(offsets: np.ndarray, tokens: dict[str, np.ndarray]) -> np.ndarray:
    """int64 [rows, 4]: `record_metrics` of each row of a record batch's flat token columns."""
    rows = [record_metrics(tokens["attend_from"][s:e], tokens["visible_until"][s:e], tokens["role"][s:e],
                           tokens["labels"][s:e])
            for s, e in zip(offsets[:-1], offsets[1:])]
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


def per_record_metrics(paths: list[Path]) -> np.ndarray:
    """int64 [records, 4] in shard order: peak, Dep, vanilla peak, vanilla Dep (see `record_metrics`)."""
    parts = [batch_metrics(*flat_tokens(batch)) for batch in record_batches(paths)]
    return np.concatenate([np.zeros((0, 4), dtype=np.int64), *parts])
