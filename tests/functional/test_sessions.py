"""Sessions end for real: a copied cookie is dead after sign-out, suspension and restore."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from sqlalchemy.orm import Session

from matchmaker.models import User
from tests.factories import PASSWORD, make_user

PRIVATE = "/auth/password"  # any page that needs a signed-in user


def _login(client: FlaskClient, email: str) -> None:
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app: Flask, name: str, value: str) -> FlaskClient:
    """A new browser that only has a copy of one cookie."""
    thief = app.test_client()
    thief.set_cookie(name, value)
    return thief


def _signed_in(client: FlaskClient) -> bool:
    response = client.get(PRIVATE)
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def _version(db_session: Session, user_id: int) -> str:
    db_session.expire_all()
    version = db_session.scalar(sa.select(User.session_version).where(User.id == user_id))
    assert version is not None
    return version


def test_cookie_copied_before_logout_is_dead_after(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, email="a@example.com")
    _login(client, "a@example.com")
    copied = _session_cookie(client)
    assert _signed_in(_replay(app, "session", copied))
    client.post("/auth/logout")
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, "session", copied))


def test_remember_me_cookie_is_dead_after_logout(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    user = make_user(db_session, email="a@example.com")
    _login(client, "a@example.com")
    with app.test_request_context():
        remember = encode_cookie(user.get_id())  # what Flask-Login's "remember me" stores
    assert _signed_in(_replay(app, "remember_token", remember))
    client.post("/auth/logout")
    assert not _signed_in(_replay(app, "remember_token", remember))


def test_logout_gives_a_new_random_version(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session, email="a@example.com")
    before = user.session_version
    _login(client, "a@example.com")
    client.post("/auth/logout")
    after = _version(db_session, user.id)
    assert after != before and len(after) >= 16


def test_password_change_rotates_the_version(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session, email="a@example.com")
    before = user.session_version
    _login(client, "a@example.com")
    copied = _session_cookie(client)
    response = client.post(
        PRIVATE,
        data={
            "current_password": PASSWORD,
            "new_password": "newpassword1",
            "confirm": "newpassword1",
        },
    )
    assert response.status_code == 302
    assert _version(db_session, user.id) != before
    assert not _signed_in(_replay(client.application, "session", copied))


def _operator_client(app: Flask, db_session: Session) -> FlaskClient:
    make_user(db_session, "operator", email="op@example.com")
    operator = app.test_client()
    _login(operator, "op@example.com")
    return operator


def _set_active(operator: FlaskClient, user_id: int, active: bool) -> None:
    response = operator.post(
        f"/admin/users/{user_id}/active", data={"active": "1" if active else "0"}
    )
    assert response.status_code == 302


def test_old_cookie_does_not_survive_a_second_suspension(app: Flask, db_session: Session) -> None:
    operator = _operator_client(app, db_session)
    user = make_user(db_session, email="m@example.com")
    member = app.test_client()

    _login(member, "m@example.com")
    first = _session_cookie(member)
    _set_active(operator, user.id, False)
    assert not _signed_in(_replay(app, "session", first))
    _set_active(operator, user.id, True)
    assert not _signed_in(_replay(app, "session", first))  # a restore revives nothing

    _login(member, "m@example.com")  # signs in again after the restore
    second = _session_cookie(member)
    assert _signed_in(_replay(app, "session", second))
    _set_active(operator, user.id, False)
    _set_active(operator, user.id, True)
    # The version after the second restore is not the one after the first: the cookie issued
    # between the two suspensions stays dead, and so does the very first one.
    assert not _signed_in(_replay(app, "session", second))
    assert not _signed_in(_replay(app, "session", first))


def test_restored_users_get_different_versions(app: Flask, db_session: Session) -> None:
    operator = _operator_client(app, db_session)
    users = [make_user(db_session) for _ in range(3)]
    versions: list[Any] = []
    for user in users:
        _set_active(operator, user.id, False)
        suspended = _version(db_session, user.id)
        _set_active(operator, user.id, True)
        restored = _version(db_session, user.id)
        assert restored != suspended
        versions += [suspended, restored]
    assert len(set(versions)) == len(versions)
