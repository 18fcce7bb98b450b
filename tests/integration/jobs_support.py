"""Helpers for the queue's own tests: an app on a real queue, a real consumer, what it ran.

The queue is a SQLite file of the test's own, or Redis when MATCHMAKER_TEST_REDIS_URL is set
(.ci/run runs these tests both ways). Each test gets its own queue name, so nothing carries over.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from huey import signals as S

from matchmaker.extensions import queue

REDIS_URL = os.environ.get("MATCHMAKER_TEST_REDIS_URL") or None
# A safety net only: every wait below ends as soon as the awaited event happens.
WAIT_SECONDS = 60


def queue_settings(tmp_path: Path) -> dict[str, Any]:
    return {
        "QUEUE_IMMEDIATE": False,
        "QUEUE_DATABASE": str(tmp_path / "jobs.sqlite3"),
        "QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}",
        "REDIS_URL": REDIS_URL,
        "MAIL_RETRY_DELAY_SECONDS": 0,
    }


@pytest.fixture
def queue_app(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    app = make_app(**queue_settings(tmp_path))
    yield app
    queue.bound(app).huey.flush()  # Redis outlives the test


class JobEvents:
    """What the queue did, from huey's signals (enqueued, executing, complete, retrying...)."""

    def __init__(self) -> None:
        self._seen: list[tuple[str, str]] = []
        self._changed = threading.Condition()

    def record(self, signal_name: str, task: Any, *args: Any) -> None:
        with self._changed:
            self._seen.append((signal_name, type(task).__name__))
            self._changed.notify_all()

    def count(self, job: Callable[..., Any], signal_name: str) -> int:
        return sum(1 for s, name in self._seen if s == signal_name and name == job.__name__)

    def wait_for(
        self, job: Callable[..., Any], signal_name: str = S.SIGNAL_COMPLETE, count: int = 1
    ) -> None:
        with self._changed:
            happened = self._changed.wait_for(
                lambda: self.count(job, signal_name) >= count, timeout=WAIT_SECONDS
            )
        assert happened, f"{job.__name__}: {signal_name} x{count} not seen; saw {self._seen}"


def watch(app: Flask) -> JobEvents:
    events = JobEvents()
    queue.bound(app).huey.signal()(events.record)
    return events


@contextmanager
def running_worker(app: Flask, threads: int = 2) -> Iterator[None]:
    """A real huey consumer on the app's queue, in threads of this process.

    ``Consumer.start`` installs its signal handlers (it is built to be a process of its own);
    the test process gets its own back afterwards.
    """
    consumer = queue.bound(app).consumer(
        workers=threads, worker_type="thread", periodic=False, check_worker_health=False
    )
    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved = {signum: signal.getsignal(signum) for signum in handled}
    consumer.start()
    try:
        yield
    finally:
        consumer.stop(graceful=True)
        for signum, handler in saved.items():
            signal.signal(signum, handler)
