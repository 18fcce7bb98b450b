"""Index publishing across real processes: gunicorn web processes only read published versions,
a ``flask worker`` embeds and publishes.

The queue is a SQLite file (Redis when MATCHMAKER_TEST_REDIS_URL is set: .ci/run runs this file
both ways); the model-free hashing embedder keeps the processes light (the real model is the
same code path, measured in scripts/bench_index_publishing.py).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db, queue
from matchmaker.models import Startup
from matchmaker.models.embeddings import EmbeddingClaim, ProfileEmbedding
from matchmaker.recommend import store
from matchmaker.services.accounts import profile_events
from matchmaker.services.recommendations import engine_settings, engines, indexing
from tests.factories import make_equipment, make_facility, make_mentor, make_startup, make_user
from tests.integration.jobs_support import queue_settings
from tests.integration.live_server import GUNICORN, PROJECT, _free_port, _stop

pytestmark = pytest.mark.db

QUERY = "cryogenic microscopy"
NEW_EXPERTISE = "Cryogenic electron microscopy of battery interfaces"


@dataclass
class Web:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def search(self, q: str = QUERY) -> requests.Response:
        return requests.get(
            f"{self.url}/search",
            params={"q": q, "kind": "mentor"},
            timeout=30,
            headers={"Connection": "close", "Accept-Language": "en"},
        )

    def shows(self, mentor_id: int) -> bool:
        reply = self.search()
        assert reply.status_code == 200, reply.status_code
        return f"/mentors/{mentor_id}" in reply.text

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _env(settings: dict[str, Any], database_url: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    env.update(
        {
            "MATCHMAKER_DATABASE_URL": database_url,
            "MATCHMAKER_SECRET_KEY": "x" * 64,
            "MATCHMAKER_INDEX_DIR": str(folder / "indexes"),
            "MATCHMAKER_MODEL_DIR": str(folder / "models"),
            "MATCHMAKER_UPLOAD_DIR": str(folder / "uploads"),
            "MATCHMAKER_EMBEDDING_MODEL": "hashing",
            "MATCHMAKER_QUEUE_DATABASE": settings["QUEUE_DATABASE"],
            "MATCHMAKER_QUEUE_NAME": settings["QUEUE_NAME"],
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if settings["REDIS_URL"]:
        env["MATCHMAKER_REDIS_URL"] = settings["REDIS_URL"]
    return env


@contextmanager
def web_processes(env: dict[str, str], folder: Path, count: int) -> Iterator[list[Web]]:
    """``count`` single-process gunicorn servers, each on its own port (so a test can ask each
    process), stopped afterwards."""
    webs: list[Web] = []
    try:
        for n in range(count):
            port = _free_port()
            log = folder / f"web{n}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [
                        str(GUNICORN),
                        "--config",
                        str(PROJECT / "gunicorn.conf.py"),
                        "--workers",
                        "1",
                        "--threads",
                        "4",
                        "--bind",
                        f"127.0.0.1:{port}",
                    ],
                    env={**env, "PORT": str(port)},
                    cwd=PROJECT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            webs.append(Web(f"http://127.0.0.1:{port}", log, proc))
        for web in webs:
            _wait_until(lambda web=web: _answers(web), 60, f"{web.url} never answered")
        yield webs
    finally:
        for web in webs:
            _stop(web.process)


def _answers(web: Web) -> bool:
    if web.process.poll() is not None:
        raise AssertionError(f"gunicorn exited:\n{web.text()[-3000:]}")
    try:
        return web.search("warm").status_code == 200
    except requests.RequestException:
        return False


@dataclass
class Worker:
    log: Path
    process: subprocess.Popen[bytes]


@contextmanager
def job_worker(env: dict[str, str], folder: Path, name: str = "worker") -> Iterator[Worker]:
    """A ``flask worker`` process (one thread, no periodic jobs), stopped afterwards."""
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "matchmaker",
                "worker",
                "--threads",
                "1",
                "--no-periodic",
            ],
            env=env,
            cwd=PROJECT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until(lambda: "consumer started" in log.read_text(errors="replace"), 60, "no worker")
        yield Worker(log, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _publication_ran(log: Path) -> bool:
    """The worker finished a publication job (whether or not it published a version)."""
    parts = log.read_text(errors="replace").split("Executing matchmaker.jobs.indexing.publish_")
    return len(parts) > 1 and "executed in" in parts[-1]


def _serves(web: Web, version: int) -> bool:
    """The process serves ``version``: its gunicorn master loaded it for new workers
    (``engine_state.follow_in_master``), or its worker loaded it (nothing preloaded)."""
    text = web.text()
    return (
        version == 1
        or f"index version {version} loaded: replacing the workers" in text
        or f"serving index version {version}" in text
    )


def _wait_until(condition: Callable[[], bool], seconds: float, message: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(message)


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    startup = make_startup(db_session, make_user(db_session, "founder"))
    battery = make_mentor(db_session)
    lawyer = make_mentor(
        db_session, kind="lawyer", headline="Patent attorney", expertise="Trademarks and patents"
    )
    lab = make_facility(db_session)
    make_equipment(db_session, lab)
    return {"startup": startup, "battery": battery, "lawyer": lawyer}


@pytest.fixture
def shared(make_app: Callable[..., Flask], tmp_path: Path, database_url: str) -> dict[str, Any]:
    """A test-process app on the same queue, index folder and model as the processes."""
    settings = queue_settings(tmp_path)
    env = _env(settings, database_url, tmp_path)
    app = make_app(
        **settings,
        INDEX_DIR=env["MATCHMAKER_INDEX_DIR"],
        MODEL_DIR=env["MATCHMAKER_MODEL_DIR"],
        EMBEDDING_MODEL="hashing",
    )
    yield {"app": app, "env": env, "folder": tmp_path}
    queue.bound(app).huey.flush()
    engines.forget_engines()


def _build(app: Flask) -> int:
    with app.app_context():
        report = indexing.build_and_publish(
            db.session, engine_settings.EngineSettings.from_app(app), force=True
        )
    assert report.version is not None
    return report.version


def _edit_lawyer(app: Flask, db_session: Session, lawyer_id: int, announce: bool = True) -> None:
    """What a profile use case does: commit, then ``profile_changed`` (which queues the job)."""
    db_session.execute(
        sa.text("UPDATE mentor_profiles SET expertise = :e WHERE id = :i"),
        {"e": NEW_EXPERTISE, "i": lawyer_id},
    )
    db_session.commit()
    if announce:
        with app.app_context():
            profile_events.profile_changed("mentor", lawyer_id)


class Hammer:
    """Clients searching one web process over and over: what each saw, and any failure."""

    def __init__(self, web: Web, mentor_id: int, clients: int = 2) -> None:
        self.seen: list[tuple[int, bool]] = []  # (client, shows the edit)
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(web, mentor_id, n)) for n in range(clients)
        ]

    def _run(self, web: Web, mentor_id: int, n: int) -> None:
        while not self._stop.is_set():
            try:
                self.seen.append((n, web.shows(mentor_id)))
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                self.errors.append(repr(exc))

    def __enter__(self) -> Hammer:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def monotonic(self) -> bool:
        """Each client saw the old version until the swap, then the new one only."""
        for n in range(len(self._threads)):
            mine = [shows for t, shows in self.seen if t == n]
            if mine != sorted(mine):
                return False
        return True


def test_an_edit_reaches_every_web_process_while_requests_run(
    shared: dict[str, Any], world: dict[str, Any], db_session: Session
) -> None:
    """Two web processes, one worker: the save queues one embedding; the worker publishes the
    edit as a delta, which both processes serve under load while the next version cannot be
    built (this test holds the build lock), then the version, which they swap to, without an
    error. (How fast is measured by scripts/bench_index_publishing.py, not here: a timed
    assertion fails on a loaded machine.)"""
    app, env, folder = shared["app"], shared["env"], shared["folder"]
    first = _build(app)
    lawyer = world["lawyer"].id
    with web_processes(env, folder, 2) as webs, job_worker(env, folder) as worker:
        assert not any(web.shows(lawyer) for web in webs)
        # A running worker is warm (imports, model): prime this fresh one with a job that
        # embeds nothing and publishes nothing.
        with app.app_context():
            profile_events.profile_changed("mentor", world["battery"].id)
        _wait_until(lambda: _publication_ran(worker.log), 60, "the worker never got warm")
        # (Equipment free hours move with the clock, so that may have published a version.)
        first = store.current_version(shared["env"]["MATCHMAKER_INDEX_DIR"]) or first
        _wait_until(lambda: all(_serves(web, first) for web in webs), 10, "not swapped")
        root = Path(env["MATCHMAKER_INDEX_DIR"])
        edit_delta = store.last_delta(root) + 1  # after the warm-up save's
        with Hammer(webs[0], lawyer) as hammer:
            _wait_until(lambda: len(hammer.seen) >= 4, 30, "no requests served")
            pending = list(webs)

            def everyone_shows() -> bool:
                pending[:] = [web for web in pending if not web.shows(lawyer)]
                return not pending

            with store.build_lock(root):  # the worker's publication waits for it
                _edit_lawyer(app, db_session, lawyer)
                _wait_until(everyone_shows, 30, "the edit's delta never reached every process")
                assert store.current_version(root) == first
            _wait_until(lambda: all(_serves(web, first + 1) for web in webs), 30, "never swapped")
            swapped = len(hammer.seen)
            _wait_until(lambda: len(hammer.seen) >= swapped + 4, 30, "requests stopped")
            assert all(web.shows(lawyer) for web in webs)  # the version holds the edit too
        worker_text = worker.log.read_text(errors="replace")
    assert not hammer.errors, hammer.errors[:3]
    assert not hammer.seen[0][1] and hammer.seen[-1][1] and hammer.monotonic()
    embeds = re.findall(r"embedded (\d+) mentor text\(s\)", worker_text)
    assert embeds == ["1"], worker_text[-3000:]  # once, in the worker
    assert f"published index version {first + 1}" in worker_text
    for web in webs:
        text = web.text()
        assert "embedded" not in text  # no web process embedded a profile
        assert "published index version" not in text  # nor built anything
        assert "recommendations failed" not in text
        # The edit's delta applied once, then the version loaded once, each by the master,
        # which then replaced its worker; no worker loaded a private copy of its own.
        assert text.count(f"applied delta {edit_delta} on top of index version {first}") == 1
        assert f"applied delta {edit_delta} " in text.split(f"index version {first + 1} loaded")[0]
        assert text.count(f"index version {first + 1} loaded: replacing the workers") == 1
        assert "serving index version" not in text
    stored = db_session.scalar(
        sa.select(sa.func.count())
        .select_from(ProfileEmbedding)
        .where(ProfileEmbedding.kind == "mentor", ProfileEmbedding.profile_id == lawyer)
    )
    # The edited text's vector, and the earlier text's, kept an hour for builds that read it.
    assert stored == 2


def test_a_killed_build_or_a_corrupt_file_never_makes_a_request_rebuild(
    shared: dict[str, Any], world: dict[str, Any], db_session: Session
) -> None:
    """A worker killed in the middle of a publication leaves the old version serving (and the
    next build takes over what it was embedding); a corrupt file in the published version makes
    the process serve the last good one and queue one rebuild, which the worker runs."""
    app, env, folder = shared["app"], shared["env"], shared["folder"]
    first = _build(app)
    root = Path(env["MATCHMAKER_INDEX_DIR"])
    lawyer = world["lawyer"].id
    # Enough startups that the build spends a while inside its staging folder.
    db_session.add_all(
        [
            Startup(name=f"Startup {n}", description=f"Materials startup number {n}.")
            for n in range(2500)
        ]
    )
    db_session.commit()
    _edit_lawyer(app, db_session, lawyer, announce=False)
    with web_processes(env, folder, 1) as (web,):
        assert not web.shows(lawyer)
        # A worker killed in the middle of its publication job.
        with job_worker(env, folder, "killed-worker") as worker:
            assert indexing.request_publish(app)
            _wait_until(lambda: any(root.glob(".v*.staging-*")), 60, "the build never started")
            os.killpg(worker.process.pid, signal.SIGKILL)  # no clean-up of its own
            worker.process.wait()
        assert "Executing matchmaker.jobs.indexing.publish_indexes" in worker.log.read_text()
        assert any(root.glob(".v*.staging-*"))  # it died midway
        assert store.current_version(root) == first
        time.sleep(1.2)  # past the check interval: the process looks, and keeps the old one
        assert not web.shows(lawyer)

        second = _build(app)  # the next build clears the leftovers and publishes
        assert second == first + 1 and not any(root.glob(".v*.staging-*"))
        assert not db_session.scalar(sa.select(sa.func.count()).select_from(EmbeddingClaim))
        _wait_until(lambda: web.shows(lawyer), 30, "the new version never served")
        assert _serves(web, second)

    # 64 corrupted bytes in the published version; a process starting now must not use it.
    faiss_file = store.version_dir(root, second) / "mentor" / "index.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:-64] + b"\0" * 64)
    with web_processes(env, folder, 1) as (web,):
        for _ in range(5):  # the last good version (without the edit) serves
            assert not web.shows(lawyer)
        assert store.published_versions(root) == [second, first]
        assert store.current_version(root) == second
        log_text = web.text()
        assert f"index version {second} under" in log_text and "unusable" in log_text
        assert f"serving index version {first}" in log_text
        assert "published index version" not in log_text and "embedded" not in log_text
        assert "recommendations failed" not in log_text
        assert queue.bound(app).huey.pending_count() == 1  # one rebuild queued, once
        with job_worker(env, folder) as worker:
            _wait_until(lambda: web.shows(lawyer), 60, "never rebuilt and swapped")
        assert worker.log.read_text().count("published index version") == 1
    assert store.current_version(root) == second + 1
