"""``flask --app matchmaker worker`` as its own process: it runs what the web process queued, and
stops cleanly on SIGINT (finishing its jobs) and on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db, queue
from matchmaker.models.outbox import OutboxEmail
from matchmaker.services import notifications
from tests.factories import make_user
from tests.integration.jobs_support import WAIT_SECONDS, queue_settings

pytestmark = pytest.mark.db


def _worker(settings: dict[str, Any], database_url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHMAKER_")}
    env.update(
        {
            "MATCHMAKER_DATABASE_URL": database_url,
            "MATCHMAKER_QUEUE_DATABASE": settings["QUEUE_DATABASE"],
            "MATCHMAKER_QUEUE_NAME": settings["QUEUE_NAME"],
            "PYTHONUNBUFFERED": "1",
        }
    )
    if settings["REDIS_URL"]:
        env["MATCHMAKER_REDIS_URL"] = settings["REDIS_URL"]
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "matchmaker", "worker", "--threads", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_outbox(session: Session, count: int) -> None:
    """Poll the database the worker writes to (a safety-net deadline, not a timing)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"the worker wrote fewer than {count} outbox e-mails")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_the_worker_process_runs_queued_jobs_and_stops_on_a_signal(
    make_app: Callable[..., Flask],
    tmp_path: Path,
    database_url: str,
    db_session: Session,
    stop_signal: signal.Signals,
) -> None:
    settings = queue_settings(tmp_path)
    app = make_app(**settings)
    user = make_user(db_session, email="hopper@example.com")
    process = _worker(settings, database_url)
    try:
        with app.app_context():
            rows = notifications.notify(db.session, [user.id], "welcome", name="Hopper")
            db.session.commit()
            notifications.send_after_commit(db.session, rows)
        _wait_for_outbox(db_session, 1)
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        queue.bound(app).huey.flush()
    assert process.returncode == 0, output
    assert "job worker: 1 thread(s)" in output
    assert "Consumer exiting" in output  # huey's last words on a clean shutdown
    [email] = db_session.scalars(sa.select(OutboxEmail)).all()
    assert email.recipients == "hopper@example.com"
