"""The layer rules of docs/architecture.md, enforced: import-linter's contracts (pyproject.toml)
and an engine that loads without the web framework."""

from __future__ import annotations

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
