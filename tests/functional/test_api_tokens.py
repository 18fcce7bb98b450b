"""Operators manage API tokens in the console: the page lists them, issuing one shows its
secret once (and stores only a hash), revoking one stops it at once; nobody else gets in; bad
input is refused in the user's language and stores nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models.api import ApiToken
from matchmaker.services.api import tokens
from tests.factories import make_user

PAGE = "/operator/api-tokens/"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


def _login(client: FlaskClient, email: str) -> None:
    client.post("/auth/login", data={"email": email, "password": "password123"})


def _secret(page: str) -> str:
    found = re.search(r'data-testid="api-token-secret">.*?<code[^>]*>(mm_[^<]+)</code>', page, re.S)
    assert found, "the new token's secret is shown"
    return found.group(1)


def test_issue_use_and_revoke(client: FlaskClient, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    founder = make_user(db_session, "founder")
    _login(client, operator.email)
    assert client.get(PAGE).status_code == 200

    created = client.post(PAGE, data={"name": "City platform", "scopes": ["statistics", "public"]})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = _secret(created.get_data(as_text=True))
    token = db_session.scalars(sa.select(ApiToken)).one()
    assert token.scopes == ["statistics", "public"] and token.user_id is None
    assert token.secret_hash == tokens.hash_secret(secret) and secret not in token.secret_hash

    listing = client.get(PAGE).get_data(as_text=True)
    assert "City platform" in listing and token.prefix in listing and secret not in listing

    own = client.post(PAGE, data={"name": "My BI", "scopes": ["own"], "user_email": founder.email})
    assert own.status_code == 201
    own_token = db_session.scalars(sa.select(ApiToken).where(ApiToken.name == "My BI")).one()
    assert own_token.user_id == founder.id

    api = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/startups", headers=api).status_code == 200
    revoked = client.post(f"{PAGE}{token.id}/revoke", follow_redirects=True)
    assert revoked.status_code == 200 and "Revoked" in revoked.get_data(as_text=True)
    assert client.get("/api/v1/startups", headers=api).status_code == 401


BAD_INPUT = [
    ({"name": "", "scopes": ["public"]}, "该字段是必填字段。"),
    ({"name": "x", "scopes": []}, "请至少选择一个权限范围。"),
    ({"name": "x", "scopes": ["own"]}, "读取用户本人数据的令牌需要填写一位有效用户的电子邮箱。"),
    ({"name": "x", "scopes": ["own"], "user_email": "nobody@example.com"},
     "读取用户本人数据的令牌需要填写一位有效用户的电子邮箱。"),
    ({"name": "x", "scopes": ["public"], "user_email": "a@example.com"},
     "只有具备“本人数据”权限范围的令牌才关联用户。"),
    ({"name": "x", "scopes": ["admin"]}, None),
]  # fmt: skip


def test_bad_input_is_refused_in_chinese_and_stores_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    operator = make_user(db_session, "operator", locale="zh_CN")
    make_user(db_session, "founder", email="a@example.com")
    _login(client, operator.email)
    for data, message in BAD_INPUT:
        answer = client.post(PAGE, data=data)
        assert answer.status_code in (400, 422), data
        if message:
            assert message in answer.get_data(as_text=True), data
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_only_operators(client: FlaskClient, db_session: Session) -> None:
    assert client.get(PAGE).status_code in (302, 401)
    founder = make_user(db_session, "founder")
    _login(client, founder.email)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"name": "x", "scopes": ["public"]}).status_code == 403
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_api_page_lists_every_endpoint(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/docs", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<script>" not in text  # the CSP forbids inline scripts; the page needs none
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in text
    assert text.count('data-testid="api-endpoint"') == sum(len(o) for o in spec["paths"].values())
