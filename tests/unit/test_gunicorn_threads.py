"""gunicorn.conf.py pins the math libraries to one thread per web worker (issue 12: 4 workers on
2 cores each ran torch with 2 threads; one thread each gave 2.4-6.4x the throughput)."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def test_web_workers_use_one_math_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(CONF))
    # Set in the master's environment, which every forked worker inherits before it imports
    # torch or numpy.
    assert {name: os.environ.get(name) for name in VARIABLES} == dict.fromkeys(VARIABLES, "1")
    assert settings["wsgi_app"] == "matchmaker:create_app()"


def test_an_operator_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    runpy.run_path(str(CONF))
    assert os.environ["OMP_NUM_THREADS"] == "2"
