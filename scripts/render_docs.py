"""Regenerate the reference parts of the docs from the code, so they cannot drift from it.

`docs/schema.md` gets its column table from `ltdata.shards.schema.schema_document()`; `docs/cli.md`
gets every command's real `--help`, each run in a fresh process at a fixed width. Only the text
between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->` is rewritten.

    python -m scripts.render_docs            # rewrite docs/schema.md and docs/cli.md
    python -m scripts.render_docs --check    # change nothing; exit 1 naming each page that is stale
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# (program, module whose `main()` the console script runs), as in pyproject.toml's [project.scripts]
PROGRAMS = [("ltdata", "ltdata.cli.main"), ("ltrain", "ltrain.cli.main")]
HELP_WIDTH = "100"
CODE_SPAN = re.compile(r"(`[^`]*`)")
SUBCOMMANDS = re.compile(r"^  \{([\w,-]+)\}\s*$", re.M)


def _cell(text: str) -> str:
    """Markdown table cell: `|` escaped everywhere, `<` escaped outside code spans (else read as HTML)."""
    parts = CODE_SPAN.split(text)
    return "".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts)).replace("|", r"\|")


def render_schema() -> str:
    from ltdata.shards.schema import schema_document

    doc = schema_document()
    lines = [f"Schema version `{doc['version']}`: {doc['format']}.", "",
             f"Mask rule: `{doc['mask_rule']}`.", "",
             "| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{c['name']}` | `{c['type']}` | {_cell(c['description'])} |" for c in doc["columns"]]
    return "\n".join(lines)


def help_text(module: str, argv: list[str]) -> str:
    """`argv --help` of the console script whose entry point is `module:main`, in a fresh process."""
    code = f"import sys; from {module} import main; sys.exit(main())"
    env = {**os.environ, "COLUMNS": HELP_WIDTH, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code, *argv, "--help"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"render_docs: {' '.join(argv) or module} --help failed:\n{done.stderr}")
    return done.stdout.rstrip()


def _command_sections(program: str, module: str, path: list[str]) -> list[str]:
    text = help_text(module, path)
    heading = "#" * min(2 + len(path), 4)
    sections = [f"{heading} `{' '.join([program, *path])}`\n\n```text\n{text}\n```"]
    for group in SUBCOMMANDS.findall(text):
        for name in group.split(","):
            sections += _command_sections(program, module, [*path, name])
    return sections


def render_cli() -> str:
    sections = []
    for program, module in PROGRAMS:
        sections += _command_sections(program, module, [])
    return "\n\n".join(sections)


PAGES = {"schema": (REPO / "docs" / "schema.md", render_schema), "cli": (REPO / "docs" / "cli.md", render_cli)}


def spliced(text: str, name: str, body: str, where: Path) -> str:
    """`text` with the block between NAME's markers replaced by `body`."""
    start, end = f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise SystemExit(f"render_docs: {where.relative_to(REPO)} needs one {start!r} ... {end!r} pair")
    head, rest = text.split(start)
    tail = rest.split(end)[1]
    note = "<!-- Written by `python -m scripts.render_docs`; edit the code, not this block. -->"
    return f"{head}{start}\n{note}\n\n{body}\n\n{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", metavar="PAGE", help=f"pages to render: {', '.join(PAGES)} (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a page is not current")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.pages) - set(PAGES))
    if unknown:
        parser.error(f"unknown page {', '.join(unknown)}; choose from {', '.join(PAGES)}")
    stale = []
    for name in args.pages or list(PAGES):
        path, render = PAGES[name]
        old = path.read_text(encoding="utf-8")
        new = spliced(old, name, render(), path)
        if new == old:
            continue
        stale.append(str(path.relative_to(REPO)))
        if not args.check:
            path.write_text(new, encoding="utf-8")
    if args.check and stale:
        print(f"render_docs: not current: {', '.join(stale)}; run `python -m scripts.render_docs`", file=sys.stderr)
        return 1
    for page in [] if args.check else stale:
        print(f"render_docs: wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
