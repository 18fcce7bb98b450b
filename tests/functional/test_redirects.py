"""``next`` redirects: one check (web/redirects.safe_next) behind every view that follows one."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.web.redirects import MAX_NEXT_LENGTH, safe_next
from tests.factories import PASSWORD, make_user

REFUSED = [
    "https://evil.example/steal",
    "http:evil.example",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%0a\r/evil.example",
    "/files/\u202egnp.exe",
    "javascript:alert(1)",
    "profile",  # relative: resolved against whatever page the form was on
    "/" + "a" * MAX_NEXT_LENGTH,
]


@pytest.mark.parametrize("target", REFUSED)
def test_safe_next_refuses(target: str) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize(
    "target", ["/", "/auth/password", "/funding/deal-flow?sector=new_energy&page=2", "/搜索?q=电池"]
)
def test_safe_next_keeps_local_paths(target: str) -> None:
    assert safe_next(target) == target


def _login(client: FlaskClient, next_: str) -> Any:
    return client.post(
        "/auth/login", query_string={"next": next_}, data={"email": "a@x.cn", "password": PASSWORD}
    )


@pytest.mark.parametrize("target", REFUSED)
def test_login_never_follows_a_bad_next(
    client: FlaskClient, db_session: Session, target: str
) -> None:
    make_user(db_session, email="a@x.cn")
    response = _login(client, target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_huge_next_is_neither_followed_nor_echoed(client: FlaskClient, db_session: Session) -> None:
    huge = "/" + "x" * 1_000_000
    page = client.get("/auth/login", query_string={"next": huge})
    assert page.status_code == 200 and len(page.data) < 100_000
    make_user(db_session, email="a@x.cn")
    response = _login(client, huge)
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, email="a@x.cn")
    assert _login(client, "/auth/password").headers["Location"] == "/auth/password"


def test_language_switch_next(client: FlaskClient) -> None:
    bad = client.post("/auth/language", data={"locale": "en", "next": "/\\evil.example"})
    assert bad.headers["Location"] == "/"
    good = client.post("/auth/language", data={"locale": "en", "next": "/mentors?q=x"})
    assert good.headers["Location"] == "/mentors?q=x"


def test_notification_link_with_backslash_stays_home(
    client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, email="a@x.cn")
    client.post("/auth/login", data={"email": "a@x.cn", "password": PASSWORD})
    response = client.post("/notifications/read", data={"link": "/\\evil.example"})
    assert response.headers["Location"] == "/notifications/"


def test_operator_next_with_backslash_is_refused(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, "operator", email="op@x.cn")
    user = make_user(db_session, email="m@x.cn")
    client.post("/auth/login", data={"email": "op@x.cn", "password": PASSWORD})
    response = client.post(
        f"/admin/users/{user.id}/active", data={"active": "0", "next": "/\\evil.example"}
    )
    assert response.headers["Location"] == "/admin/users"
