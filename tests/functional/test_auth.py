"""Accounts through HTTP: sign-up, sign-in, sign-out, password, language, CSRF, rate limit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker import create_app, vocab
from matchmaker.models import User
from matchmaker.models.users import Role
from tests.factories import PASSWORD, make_user


def _register(client: FlaskClient, **overrides: str) -> Any:
    data = {
        "display_name": "Li Wei",
        "email": "liwei@example.com",
        "password": "longpassword",
        "confirm": "longpassword",
        "roles": "founder",
        "locale": "en",
    }
    data.update(overrides)
    return client.post("/auth/register", data=data)


def _user_count(db_session: Session) -> int:
    db_session.expire_all()
    return db_session.scalar(sa.select(sa.func.count(User.id))) or 0


def test_register_creates_account_and_signs_in(client: FlaskClient, db_session: Session) -> None:
    response = _register(client)
    assert response.status_code == 302
    user = db_session.scalar(sa.select(User).where(User.email == "liwei@example.com"))
    assert user is not None and user.roles == ["founder"] and user.password_hash != "longpassword"
    assert client.get("/").status_code == 200
    assert b"Li Wei" in client.get("/").data


def test_sign_up_offers_every_role_but_operator(client: FlaskClient) -> None:
    assert set(Role) == set(vocab.ROLES)  # one vocabulary: the codes and their labels
    page = client.get("/auth/register").get_data(as_text=True)
    for role in Role:
        assert (f'value="{role}"' in page) == (role is not Role.OPERATOR), role


def test_register_bad_input_saves_nothing(client: FlaskClient, db_session: Session) -> None:
    client.post("/auth/language", data={"locale": "en"})
    for bad in (
        {"email": "not-an-email"},
        {"password": "short", "confirm": "short"},
        {"confirm": "different-password"},
        {"roles": "operator"},
        {"display_name": ""},
    ):
        response = _register(client, **bad)
        assert response.status_code == 200
        assert b"Nothing was saved" in response.data or b"invalid-feedback" in response.data
    assert _user_count(db_session) == 0


def test_register_duplicate_email_gets_clear_error(
    client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, email="taken@example.com")
    client.post("/auth/language", data={"locale": "en"})
    response = _register(client, email="TAKEN@example.com")
    assert b"already exists" in response.data
    assert _user_count(db_session) == 1


def test_register_error_is_translated(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, email="taken@example.com")
    client.post("/auth/language", data={"locale": "zh_CN"})
    response = _register(client, email="taken@example.com", locale="zh_CN")
    assert "已存在".encode() in response.data


def test_login_logout(client: FlaskClient, auth: Any, db_session: Session) -> None:
    make_user(db_session, email="a@example.com", display_name="Alice")
    assert auth.login("a@example.com", "wrong").status_code == 200
    assert b"Alice" not in client.get("/").data
    assert auth.login("a@example.com").status_code == 302
    assert b"Alice" in client.get("/").data
    auth.logout()
    assert b"Alice" not in client.get("/").data


def test_login_next_redirect_is_safe(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, email="a@example.com")
    data = {"email": "a@example.com", "password": PASSWORD}
    evil = client.post("/auth/login?next=https://evil.example/steal", data=data)
    assert evil.headers["Location"] == "/"
    client.post("/auth/logout")
    good = client.post("/auth/login?next=/auth/password", data=data)
    assert good.headers["Location"] == "/auth/password"


def test_password_change_signs_out_other_sessions(app: Flask, db_session: Session) -> None:
    make_user(db_session, email="a@example.com")
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/auth/login", data={"email": "a@example.com", "password": PASSWORD})
    response = first.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "newpassword1",
            "confirm": "newpassword1",
        },
    )
    assert response.status_code == 302
    assert first.get("/auth/password").status_code == 200  # this browser stays signed in
    assert second.get("/auth/password").status_code == 302  # the other one is signed out


def test_password_change_wrong_current_changes_nothing(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    user = make_user(db_session, email="a@example.com")
    before = user.password_hash
    auth.login("a@example.com")
    response = client.post(
        "/auth/password",
        data={
            "current_password": "nope-nope",
            "new_password": "newpassword1",
            "confirm": "newpassword1",
        },
    )
    assert b"not correct" in response.data
    db_session.refresh(user)
    assert user.password_hash == before


def test_language_switch_is_remembered(client: FlaskClient, auth: Any, db_session: Session) -> None:
    client.post("/auth/language", data={"locale": "en"})
    assert b"Sign in" in client.get("/").data
    client.post("/auth/language", data={"locale": "zh_CN"})
    assert "登录".encode() in client.get("/").data
    user = make_user(db_session, email="a@example.com", locale="zh_CN")
    auth.login("a@example.com")
    client.post("/auth/language", data={"locale": "en"})
    db_session.refresh(user)
    assert user.locale == "en"


def test_csrf_is_required(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/auth/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400


def test_login_is_rate_limited(make_app: Any) -> None:
    client = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute").test_client()
    codes = [
        client.post("/auth/login", data={"email": "a@b.cn", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]


def test_secret_key_required_in_production(app_config: dict[str, Any], monkeypatch: Any) -> None:
    import pytest

    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    config = {**app_config, "TESTING": False, "SECRET_KEY": None}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)
