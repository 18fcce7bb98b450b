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


def test_a_saved_profile_releases_the_lock_before_its_job_runs(
    make_app: Callable[..., Flask],
    sqlite_file: str,
    db_session: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a write request commits, its later reads (re-loading the saved row) take no write
    lock: the embedding job queued by the save (run at once here, as QUEUE_IMMEDIATE does) can
    store its vector. It used to wait the whole busy timeout behind its own request and fail."""
    from tests.factories import make_startup

    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 2000)
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder)
    app = make_app(EMBEDDING_MODEL="hashing")
    client = app.test_client()
    client.post("/auth/login", data={"email": founder.email, "password": PASSWORD})
    reply = client.post(
        f"/me/startups/{startup.id}/edit",
        data={"name": startup.name, "one_liner": "Solid-state battery cells", "stage": "idea",
              "sectors": "new_energy", "languages": "zh", "team_size": "3"},
    )  # fmt: skip
    assert reply.status_code == 302
    stored = sqlite3.connect(sqlite_file).execute(
        "SELECT count(*) FROM engine_embeddings WHERE kind = 'startup' AND profile_id = ?",
        (startup.id,),
    )
    assert stored.fetchone()[0] == 1
