"""Anonymous requests: JSON callers get a 401 JSON error in their language, pages a redirect."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_user

API = "/funding/api/introductions"


def test_api_call_without_sign_in_gets_401_json(client: FlaskClient) -> None:
    client.post("/auth/language", data={"locale": "en"})
    response = client.get(API)
    assert response.status_code == 401
    assert response.is_json and "Location" not in response.headers
    assert response.json is not None and "sign in" in response.json["message"].lower()


def test_401_json_is_in_the_users_language(client: FlaskClient) -> None:
    client.post("/auth/language", data={"locale": "zh_CN"})
    response = client.get(API)
    assert response.status_code == 401 and response.json is not None
    assert "登录" in response.json["message"]


def test_request_preferring_json_gets_401(client: FlaskClient) -> None:
    response = client.get("/auth/password", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.is_json


def test_pages_still_redirect_to_sign_in_with_next(client: FlaskClient) -> None:
    for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "*/*"):
        response = client.get("/auth/password?x=1", headers={"Accept": accept})
        assert response.status_code == 302
        assert response.headers["Location"] == "/auth/login?next=/auth/password?x%3D1"


def test_operator_pages_redirect_too(client: FlaskClient) -> None:
    response = client.get("/operator/import")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_stale_cookie_after_logout_gets_401_on_the_api(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, email="a@example.com")
    client.post("/auth/login", data={"email": "a@example.com", "password": PASSWORD})
    assert client.get(API).status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.post("/auth/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get(API).status_code == 401
