"""`Generator`: a model, its tokenizer and special token ids, decoding prompts with one of the methods.

It loads checkpoints the trainer writes (`ltrain.json` names the special tokens, the template and
the mask settings) and plain Hugging Face directories (tokens looked up by name), batches prompts,
and turns the loop's results into `Generation`s with text and measured stats.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from ltdata.errors import ConfigError
from ltdata.sequence.special_tokens import CONTINUE, MARKERS, SPLITTER, SpecialTokenIds, cache_token
from ltdata.sequence.template import resolve_template
from ltrain.generate.config import GenerationConfig
from ltrain.generate.loop import Budget, Decoded, decode
from ltrain.generate.methods import Preamble, make_method
from ltrain.generate.sampling import Greedy, Sampler, TeacherForcing
from ltrain.generate.stats import GenerationStats
from ltrain.generate.tokenizer import load_checkpoint_tokenizer
from ltrain.meta import CHECKPOINT_META, read_checkpoint_meta

MISSING = -1


@dataclass
class Generation:
    prompt_ids: list[int]
    output_ids: list[int]      # what the model emitted (forced blocks excluded, EOS included if emitted)
    text: str                  # output_ids decoded without splitter/cache/continue/EOS tokens
    stats: GenerationStats
    finished: bool             # stopped on EOS (not the budget)


@dataclass
class Forced:
    """A teacher-forced output: the fed sequence and the logits at every fed position."""

    generation: Generation
    sequence: list[int]        # prompt + everything fed (forced blocks included), index = position id
    logits: torch.Tensor       # [len(sequence), V]


class Generator:
    def __init__(self, model, tokenizer, special_tokens: SpecialTokenIds, config: GenerationConfig, *,
                 template: str = "auto"):
        self.model, self.tokenizer, self.special_tokens, self.config = model.eval(), tokenizer, special_tokens, config
        self.template = template
        _check_tokens(special_tokens, config.method, model)
        self.method = make_method(config.method, special_tokens, see_current=config.see_current)
        self.preamble = Preamble(marker=tokenizer.get_vocab().get(MARKERS[0]), blank=self._is_blank)
        if config.method == "h2o" and model.config._attn_implementation != "eager":
            model.set_attn_implementation("eager")      # h2o ranks entries by their attention weights
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else max(special_tokens.eos, 0)
        self._hidden = {special_tokens.splitter, special_tokens.continue_, special_tokens.eos, *special_tokens.cache}

    @classmethod
    def from_checkpoint(cls, path: str, config: GenerationConfig, *, device=None, dtype=None) -> "Generator":
        """Load `path` (model + tokenizer); special ids from `path/ltrain.json`, else by token name.

        The tokenizer loads as the build loaded it and is checked against its tokenizer.json
        (`ltrain.generate.tokenizer`), so prompts tokenise as in the shards.
        """
        from transformers import AutoModelForCausalLM

        meta = read_checkpoint_meta(path)
        template = str(meta.get("template") or "auto")
        tokenizer = load_checkpoint_tokenizer(path, template=template)
        try:
            attn = {"attn_implementation": "eager"} if config.method == "h2o" else {}
            model = AutoModelForCausalLM.from_pretrained(path, dtype=_dtype(dtype), **attn)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"model: cannot load {path}: {str(exc).splitlines()[0]}") from None
        if device is not None:
            model = model.to(device)
        if meta and "special_tokens" in meta:
            try:
                ids = SpecialTokenIds.from_manifest(meta["special_tokens"])
            except (KeyError, TypeError) as exc:
                raise ConfigError(f"{Path(path) / CHECKPOINT_META}: field 'special_tokens' lacks {exc}") from None
        else:
            ids = lookup_special_tokens(tokenizer)
        if config.see_current is None and isinstance(meta.get("see_current"), bool):
            config = dataclasses.replace(config, see_current=meta["see_current"])
        return cls(model, tokenizer, ids, config, template=template)

    def encode(self, text: str, *, system: str | None = None, preamble: str = "", raw: bool = False) -> list[int]:
        """Token ids of a prompt in the checkpoint's template (`raw`: the text as is).

        `preamble` is appended after the template and kept uncompressed, like the uncompressed output
        preamble of a training sample (Bespoke: "<|begin_of_thought|>\\n\\n").
        """
        rendered = text if raw else resolve_template(self.template, self.tokenizer).render(
            self.tokenizer, system=system, prompt=text)
        return self.tokenizer(rendered + preamble, add_special_tokens=False)["input_ids"]

    def generate(self, prompts: list[list[int]]) -> list[Generation]:
        """Decode each prompt (token ids) in batches of `config.batch_size`, in order."""
        out: list[Generation] = []
        size = self.config.batch_size
        for start in range(0, len(prompts), size):
            chunk = prompts[start:start + size]
            for prompt, done in zip(chunk, self._decode(chunk, self._chooser(start))):
                out.append(self._generation(prompt, done))
        return out

    def teacher_force(self, prompt_ids: Sequence[int], output_ids: Sequence[int]) -> Forced:
        """Feed `output_ids` as if the model had emitted them, with this method's blocks and eviction."""
        (done,) = self._decode([prompt_ids], TeacherForcing([output_ids]), max_new_tokens=len(output_ids),
                               record_logits=True)
        return Forced(generation=self._generation(list(prompt_ids), done), sequence=done.sequence,
                      logits=done.logits)

    def _chooser(self, offset: int):
        cfg = self.config
        if not cfg.do_sample:
            return Greedy()
        seed = None if cfg.seed is None else cfg.seed + offset
        return Sampler(temperature=cfg.temperature, top_p=cfg.top_p, seed=seed)

    def _decode(self, prompts, chooser, *, max_new_tokens: int | None = None,
                record_logits: bool = False) -> list[Decoded]:
        cfg = self.config
        budget = Budget(cfg.kv_budget, cfg.recent_window) if cfg.method == "h2o" else None
        return decode(self.model, prompts, self.method, chooser, max_new_tokens=max_new_tokens or cfg.max_new_tokens,
                      eos_id=self.special_tokens.eos, pad_id=self.pad_id, budget=budget,
                      preamble=self.preamble, record_logits=record_logits)

    def _is_blank(self, token: int) -> bool:
        return not self.tokenizer.decode([token], skip_special_tokens=False).strip()

    def _generation(self, prompt: Sequence[int], done: Decoded) -> Generation:
        shown = [t for t in done.output_ids if t not in self._hidden]
        text = self.tokenizer.decode(shown, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        return Generation(prompt_ids=list(prompt), output_ids=done.output_ids, text=text, stats=done.stats,
                          finished=done.finished)


def lookup_special_tokens(tokenizer) -> SpecialTokenIds:
    """Special ids by token name (a checkpoint without `ltrain.json`); absent tokens get -1."""
    vocab = tokenizer.get_vocab()
    cache, i = [], 0
    while cache_token(i) in vocab:
        cache.append(vocab[cache_token(i)])
        i += 1
    try:
        eos = vocab[resolve_template("auto", tokenizer).eos_token]
    except ConfigError:
        eos = MISSING
    return SpecialTokenIds(splitter=vocab.get(SPLITTER, MISSING), continue_=vocab.get(CONTINUE, MISSING),
                           cache=tuple(cache), eos=eos)


def _check_tokens(ids: SpecialTokenIds, method: str, model) -> None:
    needed = {"eos": ids.eos}
    if method in ("lightthinker", "lightthinker-nocache"):
        needed.update(splitter=ids.splitter, continue_=ids.continue_, cache=ids.cache[0] if ids.cache else MISSING)
    elif method == "anllm":
        needed["anchor <|o_0|>"] = ids.cache[0] if ids.cache else MISSING
    missing = [name.rstrip("_") for name, value in needed.items() if value == MISSING]
    if missing:
        raise ConfigError(f"special_tokens: method {method!r} needs {', '.join(missing)}, which the tokenizer "
                          f"lacks (was the checkpoint trained on ltdata shards of this mode?)")
    rows = model.get_input_embeddings().num_embeddings
    top = max(ids.splitter, ids.continue_, ids.eos, *ids.cache)
    if top >= rows:
        raise ConfigError(f"special_tokens: id {top} is outside the model's {rows}-row embedding "
                          f"(resize the embeddings to the tokenizer before generating)")


def _dtype(dtype) -> torch.dtype | str | None:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        return "auto"
    value = getattr(torch, str(dtype), None)
    if not isinstance(value, torch.dtype):
        raise ConfigError(f"dtype: not a torch dtype: {dtype!r} (float32, bfloat16, float16 or auto)")
    return value
