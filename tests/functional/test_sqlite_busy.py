"""SQLite's write lock: requests that write wait for it, and one that waits past the busy timeout
is a translated 503 with Retry-After, never a 500 (issue 12)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from matchmaker import database
from tests.factories import PASSWORD, make_user


@pytest.fixture
def sqlite_file(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock")
    return str(url.database)


@pytest.fixture
def held_write_lock(sqlite_file: str) -> Iterator[Callable[[], None]]:
    """Another process's writer: holds the database's write lock until released."""
    other = sqlite3.connect(sqlite_file, isolation_level=None)

    def hold() -> None:
        other.execute("BEGIN IMMEDIATE")

    yield hold
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


def test_a_write_that_cannot_get_the_lock_is_a_translated_503(
    make_app: Callable[..., Flask],
    held_write_lock: Callable[[], None],
    db_session: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 100)
    user = make_user(db_session, "founder")
    client = make_app().test_client()
    held_write_lock()
    reply = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "2"
    assert "网站正忙" in reply.get_data(as_text=True)


def test_sign_in_waits_for_the_lock_and_leaves_the_profile_untouched(
    client: Any, db_session: Any
) -> None:
    user = make_user(db_session, "founder")
    changed = user.updated_at
    reply = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert reply.status_code == 302
    db_session.refresh(user)
    assert user.last_seen_at is not None
    assert user.updated_at == changed  # signing in is not a profile change
