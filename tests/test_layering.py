"""Imports only point down the layers of STYLE.md, and ORM rows never leave the store."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "src" / "medcite"
LAYERS = {
    "types": 1, "errors": 1, "settings": 1,
    "store": 2,
    "ingest": 3, "index": 3,
    "safety": 4,
    "answer": 5, "symptoms": 5, "review": 5,
    "web": 6, "cli": 6, "testing": 6,
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("medcite.")}


def _concern(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def test_imports_point_only_down_the_layers() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        concern = _concern(path)
        if concern not in LAYERS:
            continue
        for module in _imports(path):
            target = module.split(".")[1]
            if target in LAYERS and LAYERS[target] > LAYERS[concern]:
                violations.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert violations == []


def test_orm_rows_are_imported_only_inside_the_store() -> None:
    leaking = [
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if _concern(path) != "store" and "medcite.store.tables" in _imports(path)
    ]
    assert leaking == []
