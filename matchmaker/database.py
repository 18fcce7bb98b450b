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

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_configured = False
_WRITE_LOCK = "matchmaker_write_lock"


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
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(Engine, "begin")
    def _sqlite_on_begin(conn: sa.Connection) -> None:
        if conn.dialect.name == "sqlite":
            if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                return
            immediate = conn.get_execution_options().get(_WRITE_LOCK, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
