"""The system turn the training prompts carry, recorded in ltrain.json so evaluation can use it again.

The build's `system_prompt` setting (manifest `config.system_prompt`) applies only to records that carry
none; Bespoke-Stratos records bring their own, so the setting alone can be null while every prompt opens
with the Bespoke system turn. So the setting is one candidate, the system turns read out of sampled
rows' prompts are the others, and the one every sampled prompt agrees with wins (the most specific,
since the plain template renders "no system" as an empty head that every prompt matches; so with that
template, prompts that all open with the same paragraph read as a system turn). If the rows disagree
(records with different system prompts) nothing is recorded and eval needs `--system-prompt`.
"""
from __future__ import annotations

import numpy as np
from jinja2 import TemplateError

from ltdata.errors import ConfigError
from ltdata.records import Role
from ltdata.sequence.template import PromptTemplate, resolve_template

SAMPLED_ROWS = 32          # per data directory, spread evenly over its rows
_SYSTEM, _USER = "\x00system\x00", "\x00user\x00"


def training_system_prompt(paths: list[str], tokenizer, template: str) -> dict:
    """{"system_prompt": text or None (no system turn)} when the sampled prompts agree, else {}."""
    from ltdata.loading import ShardDataset

    resolved = resolve_template(template, tokenizer)
    prompts, candidates = [], []
    for path in paths:
        rows = ShardDataset(path, columns=["input_ids", "role"])
        candidates.append(rows.manifest.get("config", {}).get("system_prompt"))
        for index in np.unique(np.linspace(0, len(rows) - 1, num=min(SAMPLED_ROWS, len(rows))).astype(int)):
            row = rows[int(index)]
            ids = row["input_ids"][row["role"] == Role.PROMPT].tolist()
            prompts.append(tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False))
    candidates += [_read_system(resolved, tokenizer, text) for text in prompts]
    fits = {}
    for candidate in dict.fromkeys(c for c in candidates if c is not False):
        frame = _frame(resolved, tokenizer, candidate)
        if frame is not None and all(_fits(frame, text) for text in prompts):
            fits[candidate] = len(frame[0])
    if not fits:
        return {}
    return {"system_prompt": max(fits, key=fits.get)}


def _frame(template: PromptTemplate, tokenizer, system: str | None) -> tuple[str, str] | None:
    """(text before the user turn, text after it) for `system`; None if the template cannot render it."""
    try:
        rendered = template.render(tokenizer, system=system, prompt=_USER)
    except (TemplateError, ConfigError):
        return None
    head, _, tail = rendered.partition(_USER)
    return head, tail


def _fits(frame: tuple[str, str], text: str) -> bool:
    head, tail = frame
    return len(text) >= len(head) + len(tail) and text.startswith(head) and text.endswith(tail)


def _read_system(template: PromptTemplate, tokenizer, text: str) -> str | None | bool:
    """The system text of a rendered prompt, read between the template's fixed parts; False if none fits."""
    try:
        rendered = template.render(tokenizer, system=_SYSTEM, prompt=_USER)
    except (TemplateError, ConfigError):
        return False
    before, _, rest = rendered.partition(_SYSTEM)
    between = rest.partition(_USER)[0]
    if not between or not text.startswith(before):
        return False
    system, found, _ = text[len(before):].partition(between)
    return system if found else False
