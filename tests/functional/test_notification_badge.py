"""The navbar's unread badge: counted by the statement that loads the signed-in user (one
statement fewer on every page), and counted again once a commit may have changed it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import Notification, User
from matchmaker.services import notifications
from matchmaker.services.accounts.users import load_user_for_session
from tests.factories import PASSWORD, make_user


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def _user_with_notifications(db_session: Session, unread: int, read: int) -> User:
    user = make_user(db_session, "founder")
    for n in range(unread + read):
        row = notifications.notify(db_session, [user], "session_requested", startup="S", n=n)[0]
        if n >= unread:
            row.read_at = sa.func.now()
    db_session.commit()
    return user


def _badge(client: FlaskClient) -> str:
    page = client.get("/startups").get_data(as_text=True)
    return page.split('id="unread-count">', 1)[1].split("<", 1)[0]


def test_the_badge_comes_with_the_user_and_follows_reading(
    client: FlaskClient, db_session: Session
) -> None:
    user = _user_with_notifications(db_session, unread=2, read=1)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    with statements() as seen:
        assert _badge(client) == "2"
    counting = [s for s in seen if "count(notifications.id)" in s]
    assert len(counting) == 1 and counting[0].startswith("SELECT (SELECT count(notifications.id)")
    assert "FROM users" in counting[0]  # the user's own statement
    first = db_session.scalars(
        sa.select(Notification.id).where(Notification.user_id == user.id).order_by(Notification.id)
    ).first()
    assert client.post("/notifications/read", data={"id": first}).status_code == 302
    assert _badge(client) == "1"


def test_a_commit_makes_the_count_read_again(app: Flask, db_session: Session) -> None:
    user = _user_with_notifications(db_session, unread=1, read=0)
    with app.app_context():
        session = db.session
        loaded = load_user_for_session(session, user.get_id())
        assert loaded is not None
        with statements() as seen:
            assert notifications.unread_count(session, loaded) == 1
        assert seen == []  # counted when the user was loaded
        notifications.notify(session, [loaded], "session_requested", startup="S")
        session.commit()  # expires the loaded count
        assert notifications.unread_count(session, loaded) == 2
