"""Rate-limit counters that every web worker shares.

Flask-Limiter keeps its counters in a ``limits`` storage named by a URI. Its ``memory://``
storage lives in one process: with 4 gunicorn workers each kept its own count, and 37-40 wrong
passwords per account passed in 5 s against a limit of 10 a minute (issue 12). So:

- with ``REDIS_URL`` the counters are in Redis (``limits``' own Redis storage), shared by every
  worker on every machine;
- otherwise they are in a small SQLite file (``RATELIMIT_DATABASE``, by default
  ``instance/ratelimits.sqlite3``) that every worker process of this machine opens, as the job
  queue's file is. One hit is one atomic statement (an upsert that returns the new count), so
  however many processes hit one key at once, the counts are 1, 2, 3... and at most the limit
  passes. A file of its own, not the application's database: on SQLite a request that already
  holds the database's write lock would otherwise wait on itself, and counting a login never
  waits behind a booking.

An explicit ``RATELIMIT_STORAGE_URI`` (e.g. ``memcached://...``) is left as it is.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import Flask
from limits.storage import Storage

SCHEME = "matchmaker-sqlite"
# Expired counters are deleted every this many hits of one process (a cheap, bounded sweep).
_SWEEP_EVERY = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_limit_counters (
    key TEXT PRIMARY KEY,
    hits INTEGER NOT NULL,
    expires_at REAL NOT NULL
)
"""
# The CASEs read the row as it was before this statement: an expired window starts again at
# ``amount`` with a new expiry, a live one adds ``amount`` and keeps its expiry.
_HIT = """
INSERT INTO rate_limit_counters (key, hits, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN expires_at <= :now THEN excluded.hits ELSE hits + excluded.hits END,
    expires_at = CASE WHEN expires_at <= :now THEN excluded.expires_at ELSE expires_at END
RETURNING hits
"""


def configure(app: Flask) -> None:
    """Choose the shared storage before Flask-Limiter reads its settings (``init_app``)."""
    if app.config.get("RATELIMIT_STORAGE_URI"):
        return
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.config["RATELIMIT_STORAGE_URI"] = redis_url
        return
    database = app.config.get("RATELIMIT_DATABASE") or str(
        Path(app.instance_path) / "ratelimits.sqlite3"
    )
    app.config["RATELIMIT_STORAGE_URI"] = f"{SCHEME}://{Path(database).resolve()}"


class SQLiteCounterStorage(Storage):
    """``limits`` storage on a SQLite file shared by the processes of one machine.

    Supports the fixed-window strategy (Flask-Limiter's default, the one we use). Each thread
    of each process has its own connection (autocommit, WAL, a busy timeout), opened on first
    use and again after a fork.
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        path = urlparse(uri or "").path
        if not path:
            raise ValueError(f"{SCHEME}:// needs a file path, e.g. {SCHEME}:///var/lib/rl.db")
        self.path = Path(path)
        self.busy_timeout = float(options.get("busy_timeout", 10.0))
        self._local = threading.local()
        self._hits = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            fresh.execute("PRAGMA journal_mode=WAL")
            fresh.execute("PRAGMA synchronous=NORMAL")
            fresh.execute(_SCHEMA)
            local.conn, local.pid = fresh, os.getpid()
        conn: sqlite3.Connection = local.conn
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._connection()
        (hits,) = conn.execute(
            _HIT, {"key": key, "amount": amount, "expires_at": now + expiry, "now": now}
        ).fetchone()
        self._hits += 1
        if self._hits % _SWEEP_EVERY == 0:
            conn.execute("DELETE FROM rate_limit_counters WHERE expires_at <= ?", (now,))
        return int(hits)

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute(
                "SELECT hits FROM rate_limit_counters WHERE key = ? AND expires_at > ?",
                (key, time.time()),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = (
            self._connection()
            .execute("SELECT expires_at FROM rate_limit_counters WHERE key = ?", (key,))
            .fetchone()
        )
        return float(row[0]) if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return int(self._connection().execute("DELETE FROM rate_limit_counters").rowcount)

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM rate_limit_counters WHERE key = ?", (key,))
