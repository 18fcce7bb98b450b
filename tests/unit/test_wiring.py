"""Wiring is explicit (docs/architecture.md, "Where an area plugs in"): no import by string and no
``except ImportError`` around our own modules, so what runs is what the listing modules name."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "matchmaker"


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(PACKAGE.parent)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _imported(nodes: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in (n for stmt in nodes for n in ast.walk(stmt)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_nothing_is_imported_by_string() -> None:
    found = []
    for where, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("import_module", "__import__", "import_string"):
                    found.append(f"{where}:{node.lineno}")
    assert not found, f"imports by string: {found}"


def test_no_import_error_guard_around_our_own_modules() -> None:
    found = []
    for where, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            catches = {
                ast.unparse(h.type) for h in node.handlers if h.type is not None
            }  # e.g. "ImportError", "(ImportError, AttributeError)"
            if not any("ImportError" in c or "ModuleNotFoundError" in c for c in catches):
                continue
            ours = {m for m in _imported(node.body) if m.split(".")[0] == "matchmaker"}
            if ours:
                found.append(f"{where}:{node.lineno} {sorted(ours)}")
    assert not found, f"except ImportError around our own modules: {found}"
