"""Rows (plain or packed) to a padded batch with the LightThinker mask in the form the model needs.

Padding is dynamic (to the longest row, optionally rounded up) and always on the right; the mask is
built for the whole batch at once from the interval columns, so it costs one pass over B*L*L
elements instead of the reference's per-sample dense construction.
"""
from __future__ import annotations

from typing import Literal, Mapping, Sequence

import numpy as np
import torch

from ltdata.errors import SchemaError
from ltdata.masks import additive_mask, block_mask, bool_mask
from ltdata.shards.schema import IGNORE_INDEX, MODEL_COLUMNS

MaskKind = Literal["additive", "bool", "block", "none"]


class Collator:
    """`DataLoader(collate_fn=Collator(pad_id))`: a list of rows -> a batch of tensors.

    Output: `input_ids`, `labels` (-100 on padding), `position_ids` (0 on padding): long [B, L];
    `attention_mask`: [B, 1, L, L] (`additive`: 0 / dtype-min, for sdpa and eager; `bool`: True =
    attend, sdpa only) or a FlexAttention `BlockMask` (`block`), absent for `none`; and
    `num_label_tokens`: the number of trained targets after the causal shift (labels[:, 1:] != -100),
    the divisor of a token-mean loss (`count_labels=False` leaves it out, for trainers such as HF
    `Trainer` and TRL that pass every batch key to the model).

    `columns=True` adds `attend_from`, `visible_until` (int32 [B, L]) and `lengths` [B] for trainers
    that build the mask on the device: with DataLoader workers every dense mask (B*L*L elements)
    crosses into the main process through shared memory, so for long rows collate with
    `mask="none", columns=True` and call `ltdata.masks.additive_mask` on the device instead.
    """

    def __init__(self, pad_token_id: int, *, mask: MaskKind = "additive", dtype: torch.dtype = torch.float32,
                 pad_to_multiple_of: int | None = None, columns: bool = False, count_labels: bool = True,
                 block_size: int = 128, device: str | torch.device = "cpu"):
        if mask not in ("additive", "bool", "block", "none"):
            raise ValueError(f"mask: expected additive, bool, block or none, got {mask!r}")
        if pad_to_multiple_of is not None and pad_to_multiple_of < 1:
            raise ValueError(f"pad_to_multiple_of: must be a positive integer, got {pad_to_multiple_of}")
        self.pad_token_id = pad_token_id
        self.mask = mask
        self.dtype = dtype
        self.pad_to_multiple_of = pad_to_multiple_of
        self.columns = columns
        self.count_labels = count_labels
        self.block_size = block_size
        self.device = device

    def __call__(self, rows: Sequence[Mapping]) -> dict:
        batch = pad_rows(rows, self.pad_token_id, self.pad_to_multiple_of)
        lengths = batch.pop("lengths")
        attend_from, visible_until = batch.pop("attend_from"), batch.pop("visible_until")
        if self.mask == "additive":
            batch["attention_mask"] = additive_mask(attend_from, visible_until, lengths, dtype=self.dtype)
        elif self.mask == "bool":
            batch["attention_mask"] = bool_mask(attend_from, visible_until, lengths)
        elif self.mask == "block":
            batch["attention_mask"] = block_mask(attend_from, visible_until, lengths, device=self.device,
                                                 block_size=self.block_size)
        if self.count_labels:
            batch["num_label_tokens"] = (batch["labels"][:, 1:] != IGNORE_INDEX).sum()
        if self.columns:
            batch.update(attend_from=attend_from, visible_until=visible_until, lengths=lengths)
        return batch


def pad_rows(rows: Sequence[Mapping], pad_token_id: int, multiple: int | None = None) -> dict[str, torch.Tensor]:
    """Right-pad the five model columns of `rows` into [B, L] tensors (plus `lengths` [B])."""
    if not rows:
        raise ValueError("cannot collate an empty list of rows")
    arrays = [_model_columns(row, k) for k, row in enumerate(rows)]
    lengths = np.array([len(a["input_ids"]) for a in arrays], dtype=np.int64)
    width = int(lengths.max())
    if multiple:
        width = -(-width // multiple) * multiple
    fill = {"input_ids": pad_token_id, "labels": IGNORE_INDEX, "position_ids": 0, "attend_from": 0,
            "visible_until": 0}
    dtypes = {"input_ids": np.int64, "labels": np.int64, "position_ids": np.int64, "attend_from": np.int32,
              "visible_until": np.int32}
    out = {}
    for name in MODEL_COLUMNS:
        block = np.full((len(rows), width), fill[name], dtype=dtypes[name])
        for k, a in enumerate(arrays):
            block[k, :lengths[k]] = a[name]
        out[name] = torch.from_numpy(block)
    out["lengths"] = torch.from_numpy(lengths)
    return out


def _model_columns(row: Mapping, k: int) -> dict[str, np.ndarray]:
    where = f"row {k}" + (f" (id={row['record_id']!r})" if "record_id" in row else "")
    missing = [c for c in MODEL_COLUMNS if c not in row]
    if missing:
        raise SchemaError(f"{where}: missing column(s) {', '.join(missing)}; "
                          f"rows must carry {', '.join(MODEL_COLUMNS)}")
    arrays = {c: np.asarray(row[c]) for c in MODEL_COLUMNS}
    length = len(arrays["input_ids"])
    uneven = [c for c in MODEL_COLUMNS if len(arrays[c]) != length]
    if uneven:
        raise SchemaError(f"{where}: column(s) {', '.join(uneven)} do not have input_ids' length {length}")
    return arrays
