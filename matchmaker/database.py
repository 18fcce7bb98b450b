"""Engine set-up shared by the app, the CLI and the evaluation's throw-away databases.

SQLite gets foreign keys, WAL and a busy timeout. A use case whose correctness needs "check then
write" to be atomic (bookings, session slots, voucher balances) opens its transaction with
``begin_write``: on SQLite that is ``BEGIN IMMEDIATE``, which takes the database's single write
lock up front, so concurrent attempts are serialised by the database itself (the SQLite half of
our no-double-booking guarantee) and never fail half-way on a lock upgrade. Other transactions
stay deferred so that readers never wait. PostgreSQL relies on constraints (unique, exclusion)
and row locks (``SELECT ... FOR UPDATE``) instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import InstrumentedAttribute, Session

_configured = False
# How long a SQLite statement waits for the write lock before "database is locked" (ms).
SQLITE_BUSY_TIMEOUT_MS = 30000
_WRITE_LOCK = "matchmaker_write_lock"
# Set while a request that changes things (POST...) runs in this thread or task: on SQLite each
# of its transactions then takes the write lock at BEGIN (see ``writes_lock_up_front``).
_LOCK_UP_FRONT: ContextVar[bool] = ContextVar("matchmaker_lock_up_front", default=False)
# Set on a connection by the first statement of its transaction that is not a plain read.
_WROTE = "matchmaker_wrote"


def configure_dialects() -> None:
    """Install the SQLite connection hooks once per process (they apply to every engine)."""
    global _configured
    if _configured:
        return
    _configured = True

    @event.listens_for(Engine, "connect")
    def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        if not _is_sqlite(dbapi_connection):
            return
        # Let SQLAlchemy's begin() below decide when transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(Engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.info.pop(_WROTE, None)
        if conn.dialect.name == "sqlite":
            if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                return
            immediate = conn.get_execution_options().get(_WRITE_LOCK, False)
            immediate = immediate or _LOCK_UP_FRONT.get()
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(Engine, "before_cursor_execute")
    def _note_writes(
        conn: sa.Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if not _reads_only(statement, context):
            conn.info[_WROTE] = True

    @event.listens_for(Engine, "commit")
    def _sqlite_on_commit(conn: sa.Connection) -> None:
        # The request's change is saved: what follows (re-reading the saved rows, rendering the
        # answer) reads without the write lock, which it would otherwise hold until the request
        # ends, keeping every other writer (and a job run at once, in tests) waiting.
        if conn.dialect.name == "sqlite" and _LOCK_UP_FRONT.get():
            _LOCK_UP_FRONT.set(False)


def _reads_only(statement: str, context: Any) -> bool:
    """Whether a statement only reads: a SELECT (locking ones included), not an INSERT, UPDATE
    or DELETE, compiled or typed; anything else (a WITH, which may hide one) counts as a write."""
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return False
    return statement[:16].lstrip()[:6].upper() == "SELECT"


def _is_sqlite(dbapi_connection: Any) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def make_engine(url: str, **options: Any) -> Engine:
    """An engine outside Flask (CLI tools, evaluation), configured like the app's."""
    configure_dialects()
    return sa.create_engine(url, **options)


def begin_write(session: Session) -> None:
    """Start the session's next transaction holding the write lock (SQLite) from its first read.

    Call it first in a use case that checks and then writes. A read transaction the request
    already opened (loading the signed-in user, say) is ended first: nothing is pending in it.
    On PostgreSQL this only starts the transaction; callers lock rows or rely on constraints.
    """
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unsaved changes in the session")
        session.commit()
    session.connection(execution_options={_WRITE_LOCK: True})


def engine_of(session: Session) -> Engine:
    """The engine ``session`` runs on: for a connection of another transaction than its own."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


@contextmanager
def write_apart(session: Session) -> Iterator[sa.Connection]:
    """A short write transaction on a connection of its own (from ``session``'s engine),
    committed when the block ends: for writes other processes must see at once, whatever the
    session's own transaction holds (a build's long read, say). On SQLite it takes the write
    lock at BEGIN, as ``begin_write`` does. The session must not hold SQLite's write lock
    itself: this would wait for it."""
    with engine_of(session).connect() as connection:
        connection.execution_options(**{_WRITE_LOCK: True})
        with connection.begin():
            yield connection


@contextmanager
def writes_lock_up_front() -> Iterator[None]:
    """Within the block, every SQLite transaction this thread begins is ``BEGIN IMMEDIATE``,
    until one commits (later ones, after the change is saved, are deferred reads).

    A deferred SQLite transaction that reads and then writes must upgrade its read snapshot to
    the write lock; if another process committed in between, SQLite refuses at once with
    "database is locked" (the busy timeout cannot help: waiting would not make the snapshot
    current). 2 concurrent sign-ins failed 29 of 60 times that way, sign-ins beside bookings 180
    of 180, startup edits 42 of 60 (issue 12). The web layer wraps every request that may write
    (any method but GET/HEAD/OPTIONS) in this block: its transactions queue for the lock with the
    busy timeout instead of failing, and since SQLite has one writer at a time anyway, this costs
    writes no concurrency; reads (GET) stay deferred and never wait. Does nothing on PostgreSQL.
    """
    token = _LOCK_UP_FRONT.set(True)
    try:
        yield
    finally:
        _LOCK_UP_FRONT.reset(token)


def end_read_transaction(session: Session) -> None:
    """End the session's transaction with COMMIT if it only read (PostgreSQL), rather than the
    ROLLBACK ``Session.close`` sends.

    For a transaction that only read, both end it the same way. But psycopg forgets every
    statement it prepared on the connection at each ROLLBACK (a rolled-back DDL could leave them
    stale): when every request ends in ROLLBACK, no statement ever runs prepared, and PostgreSQL
    parses and plans each statement of each page again. Ending reads with COMMIT keeps them
    (psycopg prepares a statement at its 5th run on a connection): PostgreSQL's CPU per pathway
    request fell from 4.1-4.5 to 1.7-1.8 ms, per dashboard from 4.0 to 1.4-1.5 (docs/benchmarks.md,
    eighth pass).

    A transaction that wrote anything (even a statement the session was not told of), or holds
    changes not yet flushed, is left alone: it is rolled back as before.
    """
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.info.get(_WROTE):
        return
    # Nothing changed, so nothing loaded can be stale: expiring it all would be work for nothing.
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


def is_database_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked"/"busy": the write lock stayed taken past the busy timeout."""
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def in_ids(
    column: sa.ColumnElement[int] | InstrumentedAttribute[int], ids: Iterable[int]
) -> sa.ColumnElement[bool]:
    """``column IN (ids)`` with the ids written into the statement as integer literals, not one
    bound parameter each. For the long id lists of whole-kind reads (the engine's capacity
    figures): SQLAlchemy expands and psycopg converts thousands of placeholders one by one,
    19 of the 33 s it took to read the free hours of 100,000 instruments. The values pass
    through ``int``, so nothing but digits reaches the SQL."""
    values = [int(i) for i in ids]
    return column.in_(sa.bindparam(None, values, expanding=True, literal_execute=True))
