"""A safe request that only read ends its transaction with COMMIT (so psycopg keeps the
statements it prepared); anything that wrote, or meant to, is still rolled back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matchmaker.database import _reads_only
from matchmaker.extensions import db
from matchmaker.models import User
from tests.factories import make_user


@contextmanager
def transaction_ends() -> Iterator[list[str]]:
    ends: list[str] = []

    def committed(conn: Any) -> None:
        ends.append("commit")

    def rolled_back(conn: Any) -> None:
        ends.append("rollback")

    event.listen(Engine, "commit", committed)
    event.listen(Engine, "rollback", rolled_back)
    try:
        yield ends
    finally:
        event.remove(Engine, "commit", committed)
        event.remove(Engine, "rollback", rolled_back)


def _is_postgresql(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def _app_with_route(make_app: Callable[..., Flask], view: Callable[[], str]) -> Flask:
    app = make_app()
    app.add_url_rule("/test/view", "test_view", view, methods=["GET", "POST"])
    return app


@pytest.mark.parametrize(
    ("statement", "reads"),
    [
        ("SELECT users.id FROM users", True),
        ("\n  select 1", True),
        ("SELECT id FROM users FOR UPDATE", True),
        ("UPDATE users SET locale = 'en'", False),
        ("INSERT INTO users (email) VALUES ('a')", False),
        ("WITH gone AS (DELETE FROM users RETURNING id) SELECT * FROM gone", False),
        ("BEGIN IMMEDIATE", False),
    ],
)
def test_a_statement_reads_only_when_it_is_a_select(statement: str, reads: bool) -> None:
    assert _reads_only(statement, None) is reads


def test_a_page_that_only_read_ends_with_commit_and_keeps_its_prepared_statements(
    make_app: Callable[..., Flask], database_url: str, db_session: Session
) -> None:
    if not _is_postgresql(database_url):
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    user = make_user(db_session, "founder")

    def page() -> str:
        return str(db.session.get(User, user.id).display_name)

    app = _app_with_route(make_app, page)
    client = app.test_client()
    with transaction_ends() as ends:
        for _ in range(6):  # psycopg prepares a statement at its 5th run on a connection
            assert client.get("/test/view").status_code == 200
    assert ends == ["commit"] * 6
    with app.app_context():  # the pool's one connection, the one the requests used
        prepared = db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared >= 1


@pytest.mark.parametrize(
    "write",
    [
        # a statement, compiled or typed, the request never committed
        lambda user: db.session.execute(
            sa.update(User).where(User.id == user.id).values(display_name="Changed")
        ),
        lambda user: db.session.connection().exec_driver_sql(
            f"UPDATE users SET display_name = 'Changed' WHERE id = {int(user.id)}"
        ),
        # a change flushed by a later query's autoflush
        lambda user: (
            setattr(user, "display_name", "Changed"),
            db.session.scalar(sa.select(sa.func.count(User.id))),
        ),
        # a change never flushed
        lambda user: setattr(user, "display_name", "Changed"),
    ],
    ids=["core-update", "typed-update", "autoflushed", "unflushed"],
)
def test_what_a_safe_request_wrote_without_committing_is_rolled_back(
    make_app: Callable[..., Flask], db_session: Session, write: Callable[[User], Any]
) -> None:
    user = make_user(db_session, "founder", display_name="Original")

    def page() -> str:
        write(db.session.get(User, user.id))
        return "ok"

    app = _app_with_route(make_app, page)
    with transaction_ends() as ends:
        assert app.test_client().get("/test/view").status_code == 200
    assert "commit" not in ends
    db_session.expire_all()
    assert db_session.get(User, user.id).display_name == "Original"


@pytest.mark.parametrize("method", ["POST", "GET"], ids=["unsafe", "failed"])
def test_a_failed_or_unsafe_request_that_read_is_rolled_back(
    make_app: Callable[..., Flask], db_session: Session, method: str
) -> None:
    user = make_user(db_session, "founder")

    def page() -> str:
        db.session.get(User, user.id)
        if method == "GET":
            raise RuntimeError("the view failed after reading")
        return "ok"

    app = _app_with_route(make_app, page)
    client = app.test_client()
    with transaction_ends() as ends:
        if method == "GET":  # a testing app hands the view's error on to the client
            with pytest.raises(RuntimeError):
                client.get("/test/view")
        else:
            assert client.post("/test/view").status_code == 200
    assert "commit" not in ends
