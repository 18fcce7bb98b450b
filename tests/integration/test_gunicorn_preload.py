"""gunicorn's master loads what every web worker would load the same (issue 12: RSS per worker):
the query model and the Chinese word dictionary, before it forks; a forked worker uses them
without loading them again. Run in a fresh interpreter (the hook freezes the collector)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import gc, json, os, runpy, sys
conf = runpy.run_path(sys.argv[1])
conf["on_starting"](None)
conf["when_ready"](None)
from matchmaker.services.recommendations import engine_settings
import jieba
name = os.environ.get("MATCHMAKER_EMBEDDING_MODEL", "use-multilingual-v3")
embedder = engine_settings._EMBEDDERS.get(name)
master = {
    "model_loaded": embedder is not None and getattr(embedder, "_model", None) is not None,
    "jieba_ready": bool(jieba.dt.initialized),
    "frozen": gc.get_freeze_count() > 0,
    "torch": "torch" in sys.modules,
    "table_mapped": type(getattr(getattr(getattr(embedder, "_model", None), "_backend", None),
                                 "table", None)).__name__ == "memmap",
}
read, write = os.pipe()
pid = os.fork()
if pid == 0:  # a worker: the same loaded model answers at once
    vector = engine_settings.get_embedder(name).encode(["电池材料 battery"])
    os.write(write, json.dumps({"same": engine_settings.get_embedder(name) is embedder,
                                "norm": float((vector ** 2).sum())}).encode())
    os._exit(0)
os.close(write)
os.waitpid(pid, 0)
print(json.dumps({"master": master, "worker": json.loads(os.read(read, 4096))}))
"""


def _probe(data_dir: Path, script: str = PROBE, **env: str) -> dict[str, dict[str, object]]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    environment.pop("MATCHMAKER_EMBEDDING_MODEL", None)
    environment.update({"MATCHMAKER_DATA_DIR": str(data_dir), **env})
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "gunicorn.conf.py")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_master_loads_the_query_model_and_dictionary_once_for_every_worker(
    tmp_path: Path,
) -> None:
    result = _probe(tmp_path)
    assert result["master"] == {
        "model_loaded": True,
        "jieba_ready": True,
        "frozen": True,
        "torch": False,
        "table_mapped": True,  # read from a shared file, not a copy per process
    }
    assert list((tmp_path / "model-cache").glob("*-token-table.npy"))
    assert result["worker"]["same"] is True
    assert result["worker"]["norm"] == pytest.approx(1.0, abs=1e-3)


def test_preloading_can_be_turned_off(tmp_path: Path) -> None:
    result = _probe(tmp_path, MATCHMAKER_PRELOAD="0")
    assert result["master"]["model_loaded"] is False
    assert result["master"]["jieba_ready"] is False
    assert result["master"]["frozen"] is False


ENGINE_PROBE = r"""
import json, os, runpy, sys
conf = runpy.run_path(sys.argv[1])
conf["on_starting"](None)
conf["when_ready"](None)
from matchmaker.services.recommendations import engine_state
master = [slot.engine.version for slot in engine_state._SLOTS.values() if slot.engine]
read, write = os.pipe()
pid = os.fork()
if pid == 0:  # a worker builds its own app and is served the master's engine, not a new load
    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.services.recommendations import engine_settings, engines, served_engine
    loads = []
    original = served_engine.load_version
    engine_state.load_version = lambda *a: loads.append(a) or original(*a)
    app = create_app()
    with app.test_request_context("/"):
        caller = engine_settings.Caller.web_request(app)
        served = engines.serving_engine_for(db.session, caller=caller)
        preloaded = [slot.engine for slot in engine_state._SLOTS.values()]
        answer = {"version": served.version, "same": any(served is e for e in preloaded),
                  "loads": len(loads),
                  "found": [r.id for r in served.recommender.search("专利律师", k=3)]}
    os.write(write, json.dumps(answer).encode())
    os._exit(0)
os.close(write)
os.waitpid(pid, 0)
print(json.dumps({"master": master, "worker": json.loads(os.read(read, 4096))}))
"""


def test_the_master_preloads_the_published_index_version_for_every_worker(
    tmp_path: Path,
) -> None:
    import secrets

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.migrate import upgrade
    from matchmaker.recommend.embedding import HASHING_MODEL
    from matchmaker.services.recommendations import engines
    from tests.factories import make_mentor

    url = f"sqlite:///{tmp_path / 'preload.sqlite3'}"
    upgrade(url)
    env = {
        "MATCHMAKER_DATABASE_URL": url,
        "MATCHMAKER_SECRET_KEY": secrets.token_hex(32),
        "MATCHMAKER_DATA_DIR": str(tmp_path),
        "MATCHMAKER_EMBEDDING_MODEL": HASHING_MODEL,
        "MATCHMAKER_QUEUE_DATABASE": str(tmp_path / "jobs.sqlite3"),
    }
    app = create_app({key.removeprefix("MATCHMAKER_"): value for key, value in env.items()})
    with app.app_context():
        lawyer_id = make_mentor(db.session, headline="专利律师", expertise="专利申请与诉讼").id
        settings = engines.EngineSettings.from_app(app)
        try:
            assert engines.build_indexes(db.session, settings, show_progress=False).version == 1
        finally:
            engines.forget_engines()
    result = _probe(tmp_path, ENGINE_PROBE, **env)
    assert result["master"] == [1]
    assert result["worker"] == {"version": 1, "same": True, "loads": 0, "found": [lawyer_id]}


def test_a_current_version_that_fails_to_load_is_left_to_the_workers(
    make_app: Any, tmp_path: Path
) -> None:
    from matchmaker.extensions import db
    from matchmaker.recommend import store
    from matchmaker.recommend.embedding import HASHING_MODEL
    from matchmaker.services.recommendations import engine_state, engines
    from tests.factories import make_mentor

    app = make_app(EMBEDDING_MODEL=HASHING_MODEL, INDEX_DIR=str(tmp_path / "idx"))
    with app.app_context():
        make_mentor(db.session)
        settings = engines.EngineSettings.from_app(app)
        assert engines.build_indexes(db.session, settings, show_progress=False).version == 1
    engines.forget_engines()
    try:
        profiles = store.version_dir(settings.index_dir, 1) / "profiles.json"
        profiles.write_bytes(profiles.read_bytes() + b" ")
        # No fallback engine and no "bad version" verdict for the workers to inherit: each
        # loads (and asks for a rebuild) as it would without a preload.
        assert engine_state.preload(app) is None
        assert engine_state._SLOTS == {}
    finally:
        engines.forget_engines()
