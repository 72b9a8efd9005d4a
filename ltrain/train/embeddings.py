"""Rows for the tokens a build added: resize the embeddings, then start each new row (input and
output) as the mean of the rows of its description's tokens (as the LightThinker reference initialises its added tokens).

Unlike the reference we never shrink a checkpoint's spare rows (Qwen2.5 ships 152064 rows for
~151.7k tokens): the larger size is kept and said. Under ZeRO-3 the rows are gathered to write them.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from ltdata.errors import ConfigError


@dataclass(frozen=True, slots=True)
class EmbeddingReport:
    rows_before: int
    rows_after: int
    tokenizer_size: int
    initialised: dict[str, list[int]]   # new token -> the description ids its rows were averaged from

    def summary(self) -> str:
        if self.rows_after > self.rows_before:
            size = f"embeddings resized {self.rows_before} -> {self.rows_after} rows"
        elif self.rows_before > self.tokenizer_size:
            size = (f"embeddings kept at {self.rows_before} rows, {self.rows_before - self.tokenizer_size} more "
                    f"than the tokenizer's {self.tokenizer_size} (spare checkpoint rows are never cut)")
        else:
            size = f"embeddings unchanged at {self.rows_before} rows"
        return f"{size}; {len(self.initialised)} new token rows set to the mean of their descriptions"


def description_ids(tokenizer, new_tokens: list[str], descriptions: dict[str, str]) -> dict[int, list[int]]:
    """new token id -> the ids of its description text (which must be made of pre-existing tokens)."""
    vocab = tokenizer.get_vocab()
    new_ids = {vocab[t] for t in new_tokens if t in vocab}
    out: dict[int, list[int]] = {}
    for token in new_tokens:
        if token not in vocab:
            raise ConfigError(f"data: manifest lists added token {token!r}, but the data's tokenizer lacks it")
        if token not in descriptions:
            raise ConfigError(f"data: manifest token_descriptions has no entry for {token!r}")
        ids = tokenizer(descriptions[token], add_special_tokens=False)["input_ids"]
        if not ids or new_ids.intersection(ids):
            raise ConfigError(f"data: description {descriptions[token]!r} of {token!r} must tokenise to "
                              f"pre-existing tokens, got {ids}")
        out[vocab[token]] = ids
    return out


def _gathered(params: list[torch.nn.Parameter]):
    """All ranks see full weights inside; rank 0's edits are kept (ZeRO-3), or a no-op otherwise."""
    if any(hasattr(p, "ds_id") for p in params):
        import deepspeed

        return deepspeed.zero.GatheredParameters(params, modifier_rank=0)
    return contextlib.nullcontext()


def embedding_rows(model) -> int:
    return model.get_input_embeddings().num_embeddings


def prepare_embeddings(model, tokenizer, new_tokens: list[str], descriptions: dict[str, str]) -> EmbeddingReport:
    """Grow the embeddings to the tokenizer if needed, then initialise the rows of `new_tokens`."""
    size = len(tokenizer)
    before = embedding_rows(model)
    base_tokens = size - len(new_tokens)
    if before < base_tokens:
        raise ConfigError(f"model: has {before} embedding rows but the data's tokenizer has {base_tokens} "
                          f"tokens before the added ones; the model and the data use different vocabularies")
    if before < size:
        model.resize_token_embeddings(size, mean_resizing=False)
    sources = description_ids(tokenizer, new_tokens, descriptions)
    initialise_rows(model, sources)
    names = {tokenizer.convert_tokens_to_ids(t): t for t in new_tokens}
    return EmbeddingReport(rows_before=before, rows_after=embedding_rows(model), tokenizer_size=size,
                           initialised={names[i]: ids for i, ids in sources.items()})


def initialise_rows(model, sources: dict[int, list[int]]) -> None:
    """Set row i of the input and output embeddings to the mean of rows `sources[i]` (computed in fp32)."""
    if not sources:
        return
    weights = [model.get_input_embeddings().weight]
    output = model.get_output_embeddings()
    if output is not None and output.weight is not weights[0]:
        weights.append(output.weight)
    with _gathered(weights), torch.no_grad():
        for weight in weights:
            means = {i: weight[ids].float().mean(dim=0) for i, ids in sources.items()}
            for i, mean in means.items():
                weight[i] = mean.to(weight.dtype)
