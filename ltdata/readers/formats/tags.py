"""Find the reasoning inside an assistant text by its tag pair, without losing a character.

Chat-style formats (ShareGPT, messages, plain `response`) mark the reasoning with one of a few tag
pairs; this module cuts the text into `(preamble, reasoning, answer)` whose concatenation is the
input exactly, so the layout can compress the reasoning and keep everything else verbatim.
"""
from __future__ import annotations

from ltdata.readers.formats.fields import RecordView

BESPOKE_TAGS = ("<|begin_of_thought|>", "<|end_of_thought|>")
TAG_PAIRS = (BESPOKE_TAGS, ("<think>", "</think>"), ("<Thought>", "</Thought>"))


def split_tagged(text: str, *, view: RecordView, field: str, pairs: tuple[tuple[str, str], ...] = TAG_PAIRS,
                 strict: bool = False) -> tuple[str, str, str]:
    """Cut `text` into `(preamble, reasoning, answer)` at the first tag pair found, in `pairs` order.

    - Opening tag found: preamble = the text through the opening tag and the newlines after it,
      reasoning = up to the closing tag, answer = from the closing tag to the end. An opening tag
      that is never closed is `unclosed_reasoning` (usually a generation cut off at max tokens).
    - Only a closing tag (the chat template already emitted the opening one, as R1 distills do):
      preamble = "", reasoning = up to the closing tag.
    - No tag: the whole text is the reasoning and the answer is "" (everything is compressed).
    With `strict=True`, a text without the opening tag is an error (`invalid_record`) instead.
    """
    for open_tag, close_tag in pairs:
        start = text.find(open_tag)
        if start < 0:
            continue
        end = text.find(close_tag, start + len(open_tag))
        if end < 0:
            raise view.fail(f"opens {open_tag!r} but never closes it with {close_tag!r} "
                            "(truncated generation?)", field=field, reason="unclosed_reasoning")
        body = start + len(open_tag)
        while body < end and text[body] in "\r\n":
            body += 1
        return text[:body], text[body:end], text[end:]
    if strict:
        raise view.fail(f"does not contain the opening marker {pairs[0][0]!r}", field=field,
                        reason="invalid_record")
    for _, close_tag in pairs:
        end = text.find(close_tag)
        if end >= 0:
            return "", text[:end], text[end:]
    return "", text, ""
