"""Encode and decode the layout's segments in batches, with the Rust tokenizer whenever that is exact.

For a plain fast tokenizer, `tokenizer(texts, add_special_tokens=False)` and `batch_decode` run the
Rust tokenizer's batch calls and only add a per-segment Python conversion; calling the Rust
tokenizer directly gives the same ids without it. A build's workers go further and load only the
saved `tokenizer.json` (no transformers, no torch): the ids the layout must never find in text, which
only transformers knows (`all_special_ids`), come from the driver as `SpecialIds`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ltdata.sequence.special_tokens import MARKERS

TOKENIZER_FILE = "tokenizer.json"


@dataclass(frozen=True, slots=True)
class SpecialIds:
    """What the layout checks text against: transformers' `all_special_ids` and the Bespoke markers' ids."""

    special: tuple[int, ...]
    markers: tuple[int, ...]

    @classmethod
    def of(cls, tokenizer: Any) -> "SpecialIds":
        """From a transformers tokenizer."""
        vocab = tokenizer.get_vocab()           # one call: it copies the whole vocabulary each time
        return cls(special=tuple(sorted(set(tokenizer.all_special_ids))),
                   markers=tuple(sorted({vocab[m] for m in MARKERS if m in vocab})))


class Codec(Protocol):
    """Batch encode (no added special tokens) and decode (nothing skipped, no clean-up)."""

    specials: SpecialIds
    tokenizer: Any          # the transformers tokenizer, for a template that needs one; None when not loaded

    def encode(self, texts: list[str]) -> list[list[int]]: ...

    def decode(self, ids: list[list[int]]) -> list[str]: ...

    def token(self, token_id: int) -> str: ...


class RustCodec:
    """A `tokenizers.Tokenizer`'s batch calls: what a plain fast tokenizer's `__call__` runs, minus its Python."""

    def __init__(self, backend: Any, specials: SpecialIds | None = None, *, tokenizer: Any = None):
        # transformers' __call__ switches truncation and padding off before every call without them
        if backend.truncation is not None:
            backend.no_truncation()
        if backend.padding is not None:
            backend.no_padding()
        self.backend, self.tokenizer, self._specials = backend, tokenizer, specials

    @property
    def specials(self) -> SpecialIds:
        """Given, or asked of the transformers tokenizer when first needed (splitters only encode)."""
        if self._specials is None:
            self._specials = SpecialIds.of(self.tokenizer)
        return self._specials

    def encode(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.backend.encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids: list[list[int]]) -> list[str]:
        return self.backend.decode_batch(ids, skip_special_tokens=False)

    def token(self, token_id: int) -> str:
        return self.backend.id_to_token(token_id)


class TransformersCodec:
    """Any other tokenizer, through its own API (a slow tokenizer, or a class that changes encoding)."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer

    @property
    def specials(self) -> SpecialIds:
        return SpecialIds.of(self.tokenizer)

    def encode(self, texts: list[str]) -> list[list[int]]:
        return self.tokenizer(texts, add_special_tokens=False)["input_ids"]

    def decode(self, ids: list[list[int]]) -> list[str]:
        return self.tokenizer.batch_decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def token(self, token_id: int) -> str:
        return self.tokenizer.convert_ids_to_tokens(token_id)


def codec_for(tokenizer: Any) -> Codec:
    """The codec of a transformers tokenizer (a codec is returned as is)."""
    if isinstance(tokenizer, (RustCodec, TransformersCodec)):
        return tokenizer
    if isinstance(tokenizer, LazyTokenizer):
        tokenizer = tokenizer.loaded
    if is_plain_fast(tokenizer):
        return RustCodec(tokenizer.backend_tokenizer, tokenizer=tokenizer)
    return TransformersCodec(tokenizer)


def load_rust_codec(directory: str | Path, specials: SpecialIds) -> RustCodec:
    """The codec of a saved tokenizer directory, from its `tokenizer.json` alone (imports only `tokenizers`)."""
    from tokenizers import Tokenizer

    return RustCodec(Tokenizer.from_file(str(Path(directory) / TOKENIZER_FILE)), specials)


def is_plain_fast(tokenizer: Any) -> bool:
    """Whether `tokenizer(texts)` and `batch_decode` are exactly its Rust tokenizer's batch calls.

    True for a `TokenizersBackend` (a fast tokenizer) whose class overrides none of the methods on the
    way to the Rust tokenizer and that does not split special tokens.
    """
    from transformers.tokenization_utils_base import PreTrainedTokenizerBase
    from transformers.tokenization_utils_tokenizers import TokenizersBackend

    cls = type(tokenizer)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return (isinstance(tokenizer, TokenizersBackend) and backend is not None
            and all(getattr(cls, name) is getattr(TokenizersBackend, name) for name in ("_encode_plus", "_decode"))
            and all(getattr(cls, name) is getattr(PreTrainedTokenizerBase, name)
                    for name in ("__call__", "batch_decode", "decode"))
            and not tokenizer.split_special_tokens and not backend.encode_special_tokens)


class LazyTokenizer:
    """A saved tokenizer directory as transformers loads it, loaded on first use.

    A build hands this to splitters that declare a `tokenizer` keyword, so a build whose splitter never
    touches the tokenizer never imports transformers (and torch).
    """

    def __init__(self, directory: str | Path):
        self.directory = str(directory)
        self._loaded: Any = None

    @property
    def loaded(self) -> Any:
        if self._loaded is None:
            from transformers import AutoTokenizer

            self._loaded = AutoTokenizer.from_pretrained(self.directory)
        return self._loaded

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.loaded, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.loaded(*args, **kwargs)

    def __len__(self) -> int:
        return len(self.loaded)
