"""Load a checkpoint's tokenizer exactly as `ltdata build` loaded it, and prove it encodes the same.

The build loads `DIR/tokenizer/`, a directory without a model `config.json`, so the class named in
`tokenizer_config.json` decides. A checkpoint holds the same files next to its `config.json`, and
transformers 5.x then lets some model types (qwen2 among them) force their own tokenizer class, which
rebuilds the pre-tokenizer: a custom BPE silently splits "47" into "4", "7" and every prompt changes.
So we load with an empty model config (what the build's directory gives), then encode probe strings
with both the loaded tokenizer and `tokenizers`' own reading of `tokenizer.json`, and refuse to go on
if any differs. Generation and evaluation both load through `load_checkpoint_tokenizer`.
"""
from __future__ import annotations

from ltdata.errors import ConfigError
from ltdata.sequence.template import resolve_template

PROBE_SYSTEM = "You are a careful solver."
PROBE_USER = "A train starts at 3 then 47 stops later; what is 12.5% of 1234?"
PROBE_TEXTS = {"digits": "starts at 3 then 47, then 1234.5 and -0.25",
               "plain text": "Plain text, with punctuation: yes!\n\nA second paragraph\tand a tab."}


def load_checkpoint_tokenizer(path: str, *, template: str = "auto"):
    """The tokenizer of checkpoint `path`, loaded as the build loaded it and checked on probe strings.

    `template` is the checkpoint's prompt template (its ltrain.json `template`): its rendering of a probe
    conversation is one of the probes, so the prompt generation feeds is covered token for token.
    """
    from transformers import AutoTokenizer, PreTrainedConfig

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, config=PreTrainedConfig())
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"model: cannot load the tokenizer of {path}: {str(exc).strip().splitlines()[0]}") from None
    check_tokenizer(tokenizer, path, template=template)
    return tokenizer


def check_tokenizer(tokenizer, path: str, *, template: str = "auto") -> None:
    """Raise a one-line ConfigError naming `path` and the first probe `tokenizer` encodes unlike tokenizer.json.

    A checkpoint without a `tokenizer.json` (a slow-only tokenizer) has no reference and is not checked.
    """
    reference = _reference(path)
    if reference is None:
        return
    probes = probe_strings(tokenizer, template)
    names = list(probes)
    got = tokenizer([probes[n] for n in names], add_special_tokens=False)["input_ids"]
    want = [e.ids for e in reference.encode_batch([probes[n] for n in names], add_special_tokens=False)]
    for name, ours, theirs in zip(names, got, want):
        if list(ours) != list(theirs):
            at = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
            raise ConfigError(
                f"model: {path}: the tokenizer loads as {type(tokenizer).__name__} and encodes the {name} probe "
                f"{_short(probes[name])} unlike its tokenizer.json (token {at}: {list(ours[at:at + 4])} vs "
                f"{list(theirs[at:at + 4])}; {len(ours)} vs {len(theirs)} tokens), so its prompts would not "
                f"match the shards (does tokenizer_config.json name a class that rebuilds the tokenizer?)")


def probe_strings(tokenizer, template: str = "auto") -> dict[str, str]:
    """Name -> text: plain text, digits, every added token alone, and the rendered probe conversation."""
    probes = dict(PROBE_TEXTS)
    for token in sorted(tokenizer.get_added_vocab()):
        probes[f"added token {token}"] = token
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "system", "content": PROBE_SYSTEM}, {"role": "user", "content": PROBE_USER}]
        probes["chat template"] = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    try:
        resolved = resolve_template(template, tokenizer)
    except ConfigError:
        return probes        # the template is refused with its own message where prompts are rendered
    probes[f"{resolved.kind} prompt"] = resolved.render(tokenizer, system=PROBE_SYSTEM, prompt=PROBE_USER)
    return probes


def _reference(path: str):
    """`tokenizers.Tokenizer` read from the checkpoint's tokenizer.json (local or cached hub), or None."""
    from tokenizers import Tokenizer
    from transformers.utils import cached_file

    file = cached_file(path, "tokenizer.json", _raise_exceptions_for_missing_entries=False,
                       _raise_exceptions_for_connection_errors=False)
    return Tokenizer.from_file(file) if file else None


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
