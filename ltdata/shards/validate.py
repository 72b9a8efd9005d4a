"""Check an `Example` made anywhere against the shard schema and the layout rules before it is written.

`write_shards` accepts examples from third-party generators and hand edits, so every rule a consumer
relies on is checked here, each failure naming the example and the column: lengths and dtypes, roles
in layout order with the inserted ids in their places, thought_index per block, labels, position ids,
and the mask columns' ranges (a key is visible to itself; a query never looks ahead).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ltdata.errors import SchemaError
from ltdata.records import Example, Role
from ltdata.sequence.special_tokens import SpecialTokenIds
from ltdata.shards.schema import IGNORE_INDEX, TOKEN_DTYPES, TRAINED_ROLES
BLOCK_ROLES = (Role.THOUGHT, Role.SPLITTER, Role.CACHE, Role.CONTINUE)
_P, _A, _T, _S, _O, _C, _E = Role.PROMPT, Role.ANSWER, Role.THOUGHT, Role.SPLITTER, Role.CACHE, Role.CONTINUE, Role.EOS
# Role order per mode, over runs of equal roles: state -> {role: next state}. "block" = a block just closed.
_ORDER = {
    "lightthinker": {"start": {_P: "prompt"}, "prompt": {_A: "preamble", _T: "thought"}, "preamble": {_T: "thought"},
                     "thought": {_S: "splitter"}, "splitter": {_O: "cache"}, "cache": {_C: "block"},
                     "block": {_T: "thought", _A: "answer", _E: "end"}, "answer": {_E: "end"}, "end": {}},
    "anllm": {"start": {_P: "prompt"}, "prompt": {_A: "preamble", _T: "thought"}, "preamble": {_T: "thought"},
              "thought": {_O: "block"}, "block": {_T: "thought", _A: "answer", _E: "end"}, "answer": {_E: "end"},
              "end": {}},
    "vanilla": {"start": {_P: "prompt"}, "prompt": {_A: "preamble", _T: "block"}, "preamble": {_T: "block"},
                "block": {_A: "answer", _E: "end"}, "answer": {_E: "end"}, "end": {}},
}


@dataclass(frozen=True, slots=True)
class Rules:
    """What examples must agree with: the build's special ids and mode, the tokenizer's size."""

    ids: SpecialTokenIds
    mode: str
    vocab_size: int
    max_length: int | None = None

    @property
    def cache_run(self) -> tuple[int, ...]:
        return self.ids.cache[:1] if self.mode == "anllm" else self.ids.cache


class ExampleError(SchemaError):
    """One example breaks the schema; `reason` is counted in the manifest like a record's."""

    def __init__(self, message: str, *, index: int, record_id: str | None, column: str | None, reason: str):
        self.message, self.index, self.record_id, self.column, self.reason = message, index, record_id, column, reason
        where = f"example {index}" + (f" (record_id={record_id!r})" if record_id is not None else "")
        super().__init__(f"{where}: " + (f"column {column!r} {message}" if column else message))

    def __reduce__(self):
        return (_rebuild, (self.message, self.index, self.record_id, self.column, self.reason))

    def to_reject(self) -> dict:
        return {"file": None, "line": None, "index": self.index, "record_id": self.record_id, "field": self.column,
                "reason": self.reason, "error": str(self)}


def _rebuild(message, index, record_id, column, reason) -> ExampleError:
    return ExampleError(message, index=index, record_id=record_id, column=column, reason=reason)


def check_example(example: Example, rules: Rules, *, index: int) -> Example:
    """The example with canonical dtypes, or `ExampleError` for the first rule it breaks."""
    rid = getattr(example, "record_id", None)

    def fail(message: str, column: str | None, reason: str) -> ExampleError:
        return ExampleError(message, index=index, record_id=rid if isinstance(rid, str) else None, column=column,
                            reason=reason)

    if not isinstance(example, Example):
        raise fail(f"is a {type(example).__name__}, not an ltdata.Example", None, "wrong_type")
    for name, kinds in (("record_id", (str,)), ("source", (str,)), ("truncated", (bool, np.bool_))):
        if not isinstance(getattr(example, name), kinds):
            raise fail(f"must be a {kinds[0].__name__}, got {type(getattr(example, name)).__name__}", name,
                       "wrong_type")
    columns = _columns(example, fail)
    length = len(columns["input_ids"])
    if rules.max_length is not None and length > rules.max_length:
        raise fail(f"has {length} tokens, over max_length={rules.max_length}", "input_ids", "overlong")
    ids = columns["input_ids"]
    if ids.min() < 0 or ids.max() >= rules.vocab_size:
        at = int(np.flatnonzero((ids < 0) | (ids >= rules.vocab_size))[0])
        raise fail(f"token {at} is {ids[at]}, outside the tokenizer's vocabulary (0..{rules.vocab_size - 1})",
                   "input_ids", "bad_token")
    role = columns["role"]
    _check_roles(role, rules, example.truncated, fail)
    _check_inserted_ids(ids, role, rules, fail)
    _check_thought_index(columns["thought_index"], role, rules.mode, fail)
    _check_labels(ids, columns["labels"], role, rules.mode, fail)
    positions = np.arange(length)
    _first_bad(columns["position_ids"] != positions, "position_ids", "must be 0..L-1", columns["position_ids"], fail)
    attend_from, visible_until = columns["attend_from"], columns["visible_until"]
    _first_bad((attend_from < 0) | (attend_from > positions), "attend_from", "must lie in 0..i (a query never "
               "attends ahead)", attend_from, fail)
    _first_bad((visible_until <= positions) | (visible_until > length), "visible_until", f"must lie in j+1..{length} "
               "(a key is visible to itself)", visible_until, fail)
    return replace(example, **columns, truncated=bool(example.truncated))


def _columns(example: Example, fail) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {}
    for name, dtype in TOKEN_DTYPES.items():
        value = np.asarray(getattr(example, name))
        if value.ndim != 1:
            raise fail(f"must be one-dimensional, got shape {value.shape}", name, "bad_shape")
        if value.dtype.kind not in "iu" and not (value.size == 0 and value.dtype.kind == "f"):
            raise fail(f"must hold integers, got dtype {value.dtype}", name, "bad_dtype")
        limits = np.iinfo(dtype)
        if value.size and (value.min() < limits.min or value.max() > limits.max):
            raise fail(f"has values outside {np.dtype(dtype).name} ({value.min()}..{value.max()})", name, "bad_dtype")
        columns[name] = value.astype(dtype, copy=False)
        if len(value) != len(columns["input_ids"]):
            raise fail(f"has {len(value)} values but input_ids has {len(columns['input_ids'])}", name, "bad_length")
    if not len(columns["input_ids"]):
        raise fail("is empty (an example needs at least a prompt, a thought and eos)", "input_ids", "bad_length")
    return columns


def _first_bad(bad: np.ndarray, column: str, rule: str, values: np.ndarray, fail) -> None:
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise fail(f"{rule}; token {at} has {values[at]}", column, f"bad_{column}")


def _runs(role: np.ndarray) -> list[tuple[int, int]]:
    starts = [0, *(np.flatnonzero(np.diff(role)) + 1).tolist()]
    return list(zip(starts, [*starts[1:], len(role)]))


def _check_roles(role: np.ndarray, rules: Rules, truncated: bool, fail) -> None:
    known = np.isin(role, [r.value for r in Role if r != Role.PAD])
    if not known.all():
        at = int(np.flatnonzero(~known)[0])
        raise fail(f"token {at} has role {role[at]}; roles are 1..7 (0 = padding is never stored)", "role", "bad_role")
    order, state, previous = _ORDER[rules.mode], "start", None
    sizes = {_S: 1, _C: 1, _E: 1, _O: len(rules.cache_run)}
    for start, end in _runs(role):
        here = Role(int(role[start]))
        if here not in order[state]:
            after = "the start" if previous is None else previous.name.lower()
            expected = " or ".join(r.name.lower() for r in order[state]) or "nothing"
            raise fail(f"token {start} is {here.name.lower()}, but after {after} comes {expected} in {rules.mode} "
                       "mode", "role", "bad_role")
        if here in sizes and end - start != sizes[here]:
            raise fail(f"token {start} starts {end - start} {here.name.lower()} tokens; {rules.mode} mode has "
                       f"{sizes[here]} there", "role", "bad_role")
        state, previous = order[state][here], here
    wanted = "block" if truncated else "end"
    if state != wanted:
        rule = "a truncated sample ends right after a whole thought block" if truncated else "a sample ends with eos"
        raise fail(f"ends after {previous.name.lower()}; {rule}", "role", "bad_role")


def _check_inserted_ids(ids: np.ndarray, role: np.ndarray, rules: Rules, fail) -> None:
    expected = np.full(len(ids), -1, dtype=np.int64)
    expected[role == _S] = rules.ids.splitter
    expected[role == _C] = rules.ids.continue_
    expected[role == _E] = rules.ids.eos
    for start, end in _runs(role):
        if role[start] == _O:
            expected[start:end] = rules.cache_run
    placed = expected >= 0
    _first_bad(placed & (ids != expected), "input_ids", "must hold the manifest's special id at each splitter, "
               "cache, continue and eos token", ids, fail)
    inserted = [rules.ids.splitter, rules.ids.continue_, rules.ids.eos, *rules.ids.cache]
    in_text = np.isin(role, [_T, _A]) & np.isin(ids, inserted)
    _first_bad(in_text, "input_ids", "must not hold an inserted special id inside thought or answer text", ids, fail)


def _check_thought_index(thought: np.ndarray, role: np.ndarray, mode: str, fail) -> None:
    in_block = np.isin(role, BLOCK_ROLES)
    _first_bad(~in_block & (thought != -1), "thought_index", "must be -1 outside thought blocks", thought, fail)
    if mode == "vanilla":
        inside = thought[in_block]
        steps = np.diff(inside)
        bad = np.zeros(len(thought), dtype=bool)
        positions = np.flatnonzero(in_block)
        bad[positions[0]] = inside[0] != 0
        bad[positions[1:]] = (steps != 0) & (steps != 1)
        _first_bad(bad, "thought_index", "must count thoughts from 0 in steps of one", thought, fail)
        return
    opens = (role == _T) & np.concatenate([[True], role[:-1] != _T])
    expected = np.cumsum(opens) - 1
    _first_bad(in_block & (thought != expected), "thought_index", "must number the thought blocks 0, 1, ... "
               "(a block's splitter, cache and continue tokens carry its number)", thought, fail)


def _check_labels(ids: np.ndarray, labels: np.ndarray, role: np.ndarray, mode: str, fail) -> None:
    trained = np.isin(role, TRAINED_ROLES) | ((role == _O) if mode == "anllm" else False)
    expected = np.where(trained, ids, IGNORE_INDEX)
    _first_bad(labels != expected, "labels", "must equal input_ids on trained tokens (thought, splitter, answer, eos"
               + (", anchor" if mode == "anllm" else "") + ") and -100 elsewhere", labels, fail)
