"""The layer rules of docs/architecture.md, enforced: import-linter's contracts (pyproject.toml)
and an engine that loads without the web framework."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_engine_loads_without_flask_or_the_database() -> None:
    probe = (
        "import importlib, pkgutil, sys\n"
        "import matchmaker.recommend as engine\n"
        "for m in pkgutil.iter_modules(engine.__path__):\n"
        "    importlib.import_module(f'matchmaker.recommend.{m.name}')\n"
        "loaded = sorted(n for n in sys.modules if n.split('.')[0] in ('flask', 'sqlalchemy'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# The web layer's only rollbacks: the error handlers, which end a failed request's transaction.
_ERROR_HANDLERS = {"matchmaker/web/errors.py", "matchmaker/api/views.py"}
_QUERY_METHODS = {"execute", "get", "query", "rollback", "scalar", "scalars"}


def _session_calls(path: Path) -> list[str]:
    """``db.session.<query or rollback>(...)`` and ``select(...)`` calls in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = ast.unparse(func)
        if name in ("select", "sa.select", "sqlalchemy.select") or (
            isinstance(func, ast.Attribute)
            and func.attr in _QUERY_METHODS
            and ast.unparse(func.value).endswith("db.session")
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return found


def test_views_hold_no_orm_queries_and_no_rollbacks() -> None:
    """Views call services; reads and transactions live there (docs/architecture.md)."""
    offenders = [
        call
        for folder in ("matchmaker/web", "matchmaker/api")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for call in _session_calls(path)
        if not (str(path.relative_to(ROOT)) in _ERROR_HANDLERS and call.endswith("rollback"))
    ]
    assert not offenders, offenders
