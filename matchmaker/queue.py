"""The job queue: huey on a SQLite file by default, on Redis when ``MATCHMAKER_REDIS_URL`` is set.

Why huey (and not Celery, RQ or Dramatiq) is in docs/architecture.md, "Jobs". In short: one small
library whose SQLite storage needs no server, and whose Redis storage runs the same jobs with any
number of consumers on any number of machines.

Each app gets its own huey instance (``JobQueue.init_app``), built on first use (so create_app
touches no file) from the app's settings. ``matchmaker.jobs.register`` lists every job with its
retry policy or schedule; there is no import-time registry. A job runs inside an app context of
the app that registered it, with a database session of its own: in the worker
(``flask --app matchmaker worker``), or at once in the calling process when ``QUEUE_IMMEDIATE`` is
set (tests that are not about the queue).

Services queue their side effects with ``enqueue_after_commit(session, job, *args)``: the job is
handed to the queue only once the transaction commits, and forgotten if it rolls back.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey
from huey.api import TaskWrapper
from huey.consumer import Consumer
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

Job = Callable[..., Any]
Schedule = Callable[[datetime], bool]  # e.g. huey.crontab(minute="*/15")

_EXTENSION = "matchmaker.queue"


@dataclass
class _JobSpec:
    job: Job
    retries: int = 0
    retry_delay: int = 0
    schedule: Schedule | None = None


@dataclass
class BoundQueue:
    """One app's queue: its huey instance and the jobs registered for it."""

    app: Flask
    _specs: dict[Job, _JobSpec] = field(default_factory=dict)
    _tasks: dict[Job, TaskWrapper] = field(default_factory=dict)
    _huey: Huey | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, job: Job, *, retries: int = 0, retry_delay: int = 0) -> None:
        """Make ``job`` runnable on the queue; a failing run is tried ``retries`` more times."""
        self._add(_JobSpec(job, retries=retries, retry_delay=retry_delay))

    def register_periodic(self, job: Job, schedule: Schedule, *, retries: int = 0) -> None:
        """Run ``job`` whenever ``schedule`` accepts the minute (the worker's scheduler asks)."""
        self._add(_JobSpec(job, retries=retries, schedule=schedule))

    def _add(self, spec: _JobSpec) -> None:
        if self._huey is not None:
            raise RuntimeError("register jobs in create_app, before the queue is first used")
        self._specs[spec.job] = spec

    @property
    def huey(self) -> Huey:
        """The huey instance, built (storage opened, jobs registered) on first use."""
        return self._build()[0]

    def _build(self) -> tuple[Huey, dict[Job, TaskWrapper]]:
        # Locked: the threads of a web or worker process may all reach here first at once.
        with self._lock:
            if self._huey is None:
                self._huey = _make_huey(self.app)
                for spec in self._specs.values():
                    self._tasks[spec.job] = self._wrap(self._huey, spec)
            return self._huey, self._tasks

    def _wrap(self, huey: Huey, spec: _JobSpec) -> TaskWrapper:
        app = self.app

        # Same module and name as the job, so the task's identity on the queue is the job's
        # dotted path, whichever process (web or worker) serialises or runs it.
        @functools.wraps(spec.job)
        def in_app_context(*args: Any) -> Any:
            with app.app_context():
                return spec.job(*args)

        if spec.schedule is not None:
            return huey.periodic_task(spec.schedule, retries=spec.retries)(in_app_context)
        return huey.task(retries=spec.retries, retry_delay=spec.retry_delay)(in_app_context)

    def task(self, job: Job) -> TaskWrapper:
        """The huey task that runs ``job``; a job nobody registered is a programming error."""
        _, tasks = self._build()
        try:
            return tasks[job]
        except KeyError:
            raise LookupError(
                f"{job.__module__}.{job.__qualname__} is not a registered job "
                "(add it to matchmaker.jobs.register)"
            ) from None

    def enqueue(self, job: Job, *args: Any) -> None:
        """Hand ``job(*args)`` to the queue now (immediate mode: run it now)."""
        self.task(job)(*args)

    def enqueue_later(self, seconds: float, job: Job, *args: Any) -> None:
        """Hand ``job(*args)`` to the queue to run in ``seconds`` (immediate mode: never)."""
        self.task(job).schedule(args=args, delay=seconds)

    def consumer(self, **options: Any) -> Consumer:
        """A huey consumer for this app's queue (``Consumer.run`` handles SIGINT and SIGTERM)."""
        return self.huey.create_consumer(**options)

    def periodic_due(self, moment: datetime) -> list[Job]:
        """The periodic jobs the scheduler would start at ``moment`` (UTC, naive)."""
        due = {type(task) for task in self.huey.read_periodic(moment)}
        return [job for job, task in self._tasks.items() if task.task_class in due]


class JobQueue:
    """The unbound singleton of ``matchmaker.extensions``; ``init_app`` gives each app its queue."""

    def init_app(self, app: Flask) -> None:
        app.extensions[_EXTENSION] = BoundQueue(app)

    def bound(self, app: Flask | None = None) -> BoundQueue:
        target = app if app is not None else current_app
        queue: BoundQueue = target.extensions[_EXTENSION]
        return queue


def _make_huey(app: Flask) -> Huey:
    config = app.config
    name = config["QUEUE_NAME"]
    # results=False: jobs report through the database and the log; a result store nobody reads
    # would only grow.
    options: dict[str, Any] = {"results": False, "utc": True}
    if config.get("QUEUE_IMMEDIATE"):
        return Huey(name, immediate=True, **options)
    if redis_url := config.get("REDIS_URL"):
        return Huey(name, storage_class=RedisStorage, url=redis_url, **options)
    path = Path(config["QUEUE_DATABASE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return Huey(name, storage_class=SqliteStorage, filename=str(path), **options)


def enqueue(job: Job, *args: Any) -> None:
    """Hand ``job(*args)`` to the current app's queue now (outside any transaction)."""
    current_bound().enqueue(job, *args)


def current_bound() -> BoundQueue:
    queue: BoundQueue = current_app.extensions[_EXTENSION]
    return queue


# --- after commit ---------------------------------------------------------------------------

_PENDING = "matchmaker.queue.pending"
_COMMITTED = "matchmaker.queue.committed"


@dataclass(frozen=True)
class _PendingJob:
    transaction: SessionTransaction
    queue: BoundQueue
    job: Job
    args: tuple[Any, ...]


def enqueue_after_commit(session: Session, job: Job, *args: Any) -> None:
    """Queue ``job(*args)`` once ``session``'s transaction commits; never if it rolls back.

    A use case calls this before its commit, so that a worker never sees a job for a row it
    cannot read yet, and a rolled-back change leaves no job behind. A job queued inside a
    savepoint that rolls back is dropped with it. Outside any transaction the job is queued now.
    """
    queue = current_bound()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        queue.enqueue(job, *args)
        return
    pending: list[_PendingJob] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_transaction_end", _after_transaction_end)
        event.listen(session, "after_soft_rollback", _after_soft_rollback)
    pending.append(_PendingJob(transaction, queue, job, args))


def _after_commit(session: Session) -> None:
    # Fired for savepoint releases too; only the outermost transaction's end decides.
    session.info[_COMMITTED] = True


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    committed = session.info.pop(_COMMITTED, False)
    if transaction.parent is not None:
        return
    pending: list[_PendingJob] = session.info.get(_PENDING, [])
    jobs, pending[:] = list(pending), []
    if not committed:
        return
    for item in jobs:
        try:
            item.queue.enqueue(item.job, *item.args)
        except Exception:
            # The use case has committed: a queue that is down must not turn it into an error
            # page. The job is lost; say so loudly.
            log.exception("could not queue %s%r after commit", item.job.__qualname__, item.args)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_PendingJob] = session.info.get(_PENDING, [])
    pending[:] = [
        item for item in pending if not _within(item.transaction, previous_transaction)
    ]


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
