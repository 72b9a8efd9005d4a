"""No module imports from a layer above its own, lazy imports inside functions included.

The order is what lets a reader understand one layer without the ones above it: plain types, then
the stages a record passes through, then what orchestrates them, then the public API, then the CLI;
ltrain sits on top of all of ltdata. Within a layer, imports are free.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS: list[tuple[str, ...]] = [
    ("ltdata", "ltdata.errors", "ltdata.config", "ltdata.typed_config", "ltdata.records", "ltdata.atomic",
     "ltdata.plugins", "ltdata.shards.schema", "ltdata.storage", "ltdata.cache"),
    ("ltdata.readers", "ltdata.splitters", "ltdata.sequence", "ltdata.shards", "ltdata.masks", "ltdata.metrics",
     "ltdata.sample_data"),
    ("ltdata.pipeline", "ltdata.loading", "ltdata.views", "ltdata.verify", "ltdata.curriculum"),
    ("ltdata.api",),
    ("ltdata.cli", "ltdata.__main__"),
    ("ltrain",),
]


def layer_of(module: str) -> int:
    """The layer of the longest listed prefix of `module` (`ltdata` itself only for its own file)."""
    best, level = "", None
    for index, names in enumerate(LAYERS):
        for name in names:
            matches = module == name or (module.startswith(name + ".") and name != "ltdata")
            if matches and len(name) > len(best):
                best, level = name, index
    assert level is not None, f"{module}: not in any layer; add it to LAYERS"
    return level


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, module) for every import of an ltdata/ltrain module anywhere in the file."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found += [(node.lineno, f"{target}.{alias.name}") if _is_module(f"{target}.{alias.name}")
                      else (node.lineno, target) for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in ("ltdata", "ltrain")]


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_layer_table_sees_every_module() -> None:
    for path in sorted([*ROOT.glob("ltdata/**/*.py"), *ROOT.glob("ltrain/**/*.py")]):
        layer_of(module_name(path))


def test_no_module_imports_upward() -> None:
    upward = []
    for path in sorted([*ROOT.glob("ltdata/**/*.py"), *ROOT.glob("ltrain/**/*.py")]):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        own = layer_of(name)
        for line, target in imported(ast.parse(path.read_text(encoding="utf-8")), package):
            if layer_of(target) > own:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_the_checker_sees_lazy_and_relative_imports() -> None:
    source = "def f():\n    from ltdata.api.layout import explain\nfrom . import builder\nimport ltrain.train\n"
    found = imported(ast.parse(source), "ltdata.sequence")
    assert sorted(found) == [(2, "ltdata.api.layout"), (3, "ltdata.sequence.builder"), (4, "ltrain.train")]
    assert [layer_of(name) for _, name in sorted(found)] == [3, 1, 5]
