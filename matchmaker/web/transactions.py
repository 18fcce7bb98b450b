"""How a request's transactions begin and end, by its method.

A request that may write (any method but GET, HEAD and OPTIONS) takes SQLite's write lock at the
start of each transaction (``database.writes_lock_up_front``): it waits for the lock rather than
fail half-way. A safe request that ends normally ends its transaction with COMMIT when it only
read (``database.end_read_transaction``): on PostgreSQL that keeps the statements psycopg has
prepared, which a ROLLBACK would throw away.
"""

from __future__ import annotations

import logging

from flask import Flask, g, request
from sqlalchemy.exc import DBAPIError

from matchmaker.database import end_read_transaction, writes_lock_up_front
from matchmaker.extensions import db

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def register(app: Flask) -> None:
    register_write_requests(app)
    register_read_requests(app)


def register_write_requests(app: Flask) -> None:
    """Every request that may write runs in ``writes_lock_up_front`` (SQLite; no-op elsewhere).

    Run before every other hook, so that no transaction (loading the signed-in user, say) has
    begun deferred before the flag is set.
    """

    def _enter() -> None:
        if request.method not in SAFE_METHODS:
            block = writes_lock_up_front()
            block.__enter__()
            g._write_lock_block = block

    def _leave(exc: BaseException | None) -> None:
        block = g.pop("_write_lock_block", None)
        if block is not None:
            block.__exit__(None, None, None)

    app.before_request_funcs.setdefault(None, []).insert(0, _enter)
    app.teardown_request(_leave)


def register_read_requests(app: Flask) -> None:
    """A safe request that ended without an error ends a transaction that only read with COMMIT.

    Runs before Flask-SQLAlchemy-Lite closes the session (request teardown comes before the app
    context's), which rolls back whatever is left: a request that failed, wrote, or holds
    unsaved changes.
    """

    def _end_reads(exc: BaseException | None) -> None:
        if exc is not None or request.method not in SAFE_METHODS:
            return
        try:
            end_read_transaction(db.session)
        except DBAPIError:  # the connection broke: closing the session cleans up, as before
            log.warning("could not end a read transaction with COMMIT", exc_info=True)

    app.teardown_request(_end_reads)
