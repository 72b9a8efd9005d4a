"""`ltdata inspect`: one sample as text coloured by role, with its numbers, a legend and its mask drawn small.

Reading a sample as the model sees it (where each thought ends, what is compressed, what each row may
attend to) is the quickest check that a build did what was meant. Everything shown derives from the
shard's columns, and the mask is drawn band by band, so a 16k-token sample never needs an L x L matrix.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ltdata.errors import ConfigError, LtdataError
from ltdata.metrics import record_metrics
from ltdata.records import Example, Role
from ltdata.shards.reader import read_columns, read_manifest, record_batches, shard_paths
from ltdata.shards.remote import local_build
from ltdata.storage import shown
from ltdata.shards.schema import TOKEN_DTYPES

# ANSI SGR codes per role; thoughts alternate between two so that their boundaries show.
STYLE = {Role.PROMPT: "2", Role.SPLITTER: "1;33", Role.CACHE: "1;33", Role.CONTINUE: "1;33",
         Role.ANSWER: "32", Role.EOS: "35"}
THOUGHT_STYLES = ("", "36")
TAG = {Role.SPLITTER: "⟦S⟧", Role.CONTINUE: "⟦C⟧"}
LETTER = {Role.PAD: ".", Role.PROMPT: "P", Role.THOUGHT: "T", Role.SPLITTER: "S", Role.CACHE: "o",
          Role.CONTINUE: "C", Role.ANSWER: "A", Role.EOS: "E"}
SHADES = " ░▒▓█"
PNG_CELLS = 2048
ROLE_COLORS = {Role.PAD: "white", Role.PROMPT: "0.6", Role.THOUGHT: "tab:blue", Role.SPLITTER: "gold",
               Role.CACHE: "darkorange", Role.CONTINUE: "tab:red", Role.ANSWER: "tab:green", Role.EOS: "tab:purple"}
_CONTROLS = {c: chr(0x2400 + c) for c in range(32) if c not in (9, 10)} | {9: "    ", 127: "␡"}


def find_example(directory: str | Path, record_id: str, *, storage_options: Mapping[str, Any] | None = None,
                 progress: bool = False) -> tuple[Example, Any]:
    """The sample with this record id (the first, if repeated) and the build's tokenizer."""
    from transformers import AutoTokenizer

    local, directory = local_build(directory, storage_options, progress=progress), shown(str(directory))
    manifest = read_manifest(local)
    paths = shard_paths(local)
    for batch in record_batches(paths):
        k = pc.index(batch.column("record_id"), record_id).as_py()
        if k >= 0:
            tokenizer_dir = local / manifest["tokenizer"]["path"]
            if not tokenizer_dir.is_dir():
                raise LtdataError(f"{directory}: the build's tokenizer directory {tokenizer_dir} is missing")
            return _example(batch, k), AutoTokenizer.from_pretrained(str(tokenizer_dir))
    known = [i for path in paths for i in read_columns(path, ["record_id"]).column("record_id").to_pylist()]
    close = difflib.get_close_matches(record_id, known, n=3, cutoff=0.5) or known[:3]
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else " (the build has no records)"
    raise LtdataError(f"{directory}: no record with id {record_id!r}{hint}")


def _example(batch: pa.RecordBatch, k: int) -> Example:
    tokens = {name: np.array(batch.column(name)[k].values.to_numpy(), dtype=dtype)
              for name, dtype in TOKEN_DTYPES.items()}
    return Example(record_id=batch.column("record_id")[k].as_py(), source=batch.column("source")[k].as_py(),
                   truncated=batch.column("truncated")[k].as_py(), **tokens)


def explain(example: Example, tokenizer: Any, *, color: bool = True, width: int = 100, mask_size: int = 48) -> str:
    """Header, the decoded sample coloured by role, a legend and the mask in at most mask_size² cells."""
    for name, value in (("width", width), ("mask_size", mask_size)):
        if value < 1:
            raise ConfigError(f"{name}: must be a positive integer, got {value}")
    paint = _painter(color)
    lines = _header(example) + [""] + _wrap(_fragments(example, tokenizer), width, paint)
    lines += ["", "legend: " + "  ".join(paint(style, text) for style, text in _legend())]
    return "\n".join(lines + [""] + draw_mask(example, size=mask_size, color=color)) + "\n"


def _painter(color: bool) -> Callable[[str, str], str]:
    return lambda style, text: f"\x1b[{style}m{text}\x1b[0m" if color and style and text else text


def _header(example: Example) -> list[str]:
    peak, dep, vanilla_peak, vanilla_dep = record_metrics(example.attend_from, example.visible_until, example.role,
                                                          example.labels)

    def row(label: str, built: int, vanilla: int) -> str:
        ratio = f"{built / vanilla:.2f}" if vanilla else "-"
        return f"{label:<16}{built:>12,}{vanilla:>12,}{ratio:>8}"

    truncated = "yes" if example.truncated else "no"
    return [f"record {example.record_id}   source {example.source or '-'}",
            f"{len(example)} tokens   {example.num_thoughts} thoughts   truncated {truncated}",
            f"{'':<16}{'this sample':>12}{'vanilla':>12}{'ratio':>8}",
            row("peak KV tokens", peak, vanilla_peak), row("Dep", dep, vanilla_dep),
            "(vanilla: the same prompt, thought and answer tokens with a causal mask)"]


def _runs(example: Example) -> list[tuple[int, int]]:
    """[start, end) of each run of tokens with the same role and thought."""
    key = example.role.astype(np.int64) * 65536 + example.thought_index
    starts = np.flatnonzero(np.diff(key)) + 1
    edges = [0, *starts.tolist(), len(example)]
    return list(zip(edges[:-1], edges[1:]))


def _fragments(example: Example, tokenizer: Any) -> list[tuple[str, str, bool]]:
    """(style, text, atomic) pieces: decoded text per run, one bracketed tag per run of control tokens."""
    out = []
    for start, end in _runs(example):
        role, thought = Role(int(example.role[start])), int(example.thought_index[start])
        style = THOUGHT_STYLES[thought % 2] if role == Role.THOUGHT else STYLE.get(role, "")
        if role == Role.CACHE:
            out.append((style, f"⟦o×{end - start}⟧", True))
        elif role in TAG:
            out += [(style, TAG[role], True)] * (end - start)
        else:
            text = tokenizer.decode(example.input_ids[start:end].tolist(), skip_special_tokens=False,
                                    clean_up_tokenization_spaces=False)
            out.append((style, text.translate(_CONTROLS), False))
    return out


def _wrap(fragments: list[tuple[str, str, bool]], width: int, paint: Callable[[str, str], str]) -> list[str]:
    """Hard-wrap at `width` columns; tags never split; escapes opened and closed within each line."""
    lines: list[str] = []
    line: list[str] = []
    column = 0

    def newline() -> None:
        nonlocal line, column
        lines.append("".join(line))
        line, column = [], 0

    for style, text, atomic in fragments:
        if atomic:
            if column and column + len(text) > width:
                newline()
            line.append(paint(style, text))
            column += len(text)
            continue
        for n, piece in enumerate(text.split("\n")):
            if n:
                newline()
            while piece:
                if column >= width:
                    newline()
                part, piece = piece[:width - column], piece[width - column:]
                line.append(paint(style, part))
                column += len(part)
    return lines + ["".join(line)] if line or not lines else lines


def _legend() -> list[tuple[str, str]]:
    return [(STYLE[Role.PROMPT], "prompt"), (THOUGHT_STYLES[0], "thoughts 1,3,…"),
            (THOUGHT_STYLES[1], "thoughts 2,4,…"), (STYLE[Role.SPLITTER], "⟦S⟧ splitter"),
            (STYLE[Role.CACHE], "⟦o×n⟧ n cache tokens"), (STYLE[Role.CONTINUE], "⟦C⟧ continue"),
            (STYLE[Role.ANSWER], "answer"), (STYLE[Role.EOS], "eos")]


def mask_fractions(attend_from: np.ndarray, visible_until: np.ndarray, cells: int) -> np.ndarray:
    """float [c, c] with c = min(cells, L): the fraction of visible entries in each block of the mask.

    Built one band of rows at a time (band x L booleans), never the L x L matrix; block r covers
    rows and columns [r*L//c, (r+1)*L//c), so c == L gives the mask itself.
    """
    attend_from = np.asarray(attend_from, dtype=np.int64)
    visible_until = np.asarray(visible_until, dtype=np.int64)
    length = len(attend_from)
    count = min(cells, length)
    edges = np.arange(count + 1) * length // count
    widths = np.diff(edges)
    out = np.zeros((count, count))
    for r in range(count):
        rows = np.arange(edges[r], edges[r + 1])[:, None]
        keys = np.arange(edges[r + 1])[None, :]                      # keys after the band's last row never show
        band = (keys <= rows) & (keys >= attend_from[rows]) & (rows < visible_until[keys])
        visible = np.zeros(length, dtype=np.int64)
        visible[:edges[r + 1]] = band.sum(axis=0)
        out[r] = np.add.reduceat(visible, edges[:-1]) / (widths[r] * widths)
    return out


def _band_roles(role: np.ndarray, count: int) -> list[Role]:
    """The most frequent role in each of `count` equal slices of the sequence."""
    edges = np.arange(count + 1) * len(role) // count
    return [Role(int(np.bincount(role[a:b], minlength=len(Role)).argmax())) for a, b in zip(edges[:-1], edges[1:])]


def draw_mask(example: Example, *, size: int = 48, color: bool = True) -> list[str]:
    """The mask in at most size x size characters, shaded by visible fraction, roles along the edges."""
    fractions = mask_fractions(example.attend_from, example.visible_until, size)
    count = len(fractions)
    shade = np.where(fractions >= 1, 4, np.where(fractions > 0, 1 + np.minimum(fractions * 3, 2).astype(int), 0))
    paint = _painter(color)
    letters = [paint(STYLE.get(r, ""), LETTER[r]) for r in _band_roles(example.role, count)]
    scale = f"1 cell = {len(example) / count:.3g} x {len(example) / count:.3g} tokens"
    lines = [f"mask {len(example)} x {len(example)}, {scale}; row = query, column = key; "
             f"'█' all visible, '▓' '▒' '░' partly, ' ' none",
             f"  {''.join(letters)}"]
    lines += [f"{letters[r]} {''.join(SHADES[s] for s in shade[r])}" for r in range(count)]
    lines.append("edges: P prompt, T thought, S splitter, o cache, C continue, A answer, E eos")
    return lines


def mask_png(example: Example, path: str | Path) -> None:
    """The mask as an image (full resolution up to 2048 tokens, block-averaged above), role bars on the axes."""
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    length = len(example)
    edge = (-0.5, length - 0.5)
    figure = Figure(figsize=(10, 10), layout="constrained")
    axes = figure.add_subplot()
    axes.imshow(mask_fractions(example.attend_from, example.visible_until, PNG_CELLS), cmap="Greys", vmin=0, vmax=1,
                interpolation="nearest", extent=(*edge, edge[1], edge[0]))
    axes.set(xlabel="key", ylabel="query")
    palette = ListedColormap([ROLE_COLORS[r] for r in Role])
    divider = make_axes_locatable(axes)
    top, left = divider.append_axes("top", size="3%", pad=0.05), divider.append_axes("left", size="3%", pad=0.05)
    style = dict(cmap=palette, vmin=-0.5, vmax=len(Role) - 0.5, aspect="auto", interpolation="nearest")
    top.imshow(example.role[None, :], extent=(*edge, 1, 0), **style)
    left.imshow(example.role[:, None], extent=(0, 1, edge[1], edge[0]), **style)
    for bar in (top, left):
        bar.set_axis_off()
    axes.yaxis.set_label_position("right")
    axes.yaxis.tick_right()
    present = [r for r in Role if (example.role == r).any()]
    axes.legend(handles=[Patch(color=ROLE_COLORS[r], label=r.name.lower()) for r in present], loc="upper right",
                fontsize="small")
    figure.suptitle(f"{example.record_id}: {length} tokens, {example.num_thoughts} thoughts")
    figure.savefig(path, dpi=150)
