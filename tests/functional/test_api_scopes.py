"""The open data API over HTTP: the scope matrix (every token scope against every endpoint of
the OpenAPI document), the leak test (no contact, internal note or private amount in any
response of any token), problem details in the caller's language, ETags, revocation and the
per-token rate limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models.bookings import EquipmentBooking, Voucher
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.operator import Policy, SupportRecord
from matchmaker.services.api import tokens as api_tokens
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)

# Markers of everything private in the world below: none may appear in any API answer.
PRIVATE = {
    "founder e-mail": "founder.private@example.com",
    "founder phone": "+86 139 0000 1111",
    "founder WeChat": "wx_founder_private",
    "mentor e-mail": "mentor.private@example.com",
    "mentor phone": "+86 139 2222 3333",
    "mentor WeChat": "wx_mentor_private",
    "facility e-mail": "lab.contact.private@example.com",
    "internal note": "INTERNAL-NOTE-do-not-publish",
    "funding need note": "FUNDING-NOTE-private",
    "funding need amount": "7654321",
    "voucher note": "VOUCHER-NOTE-private",
}
SCOPE_OF_TAG = {"statistics": "statistics", "directory": "public", "own": "own", "token": "*"}


@dataclass
class World:
    tokens: dict[str, str]  # label -> secret
    operator_id: int
    founder_id: int
    startup_id: int


def _actor(user: Any) -> Any:
    return user  # a User is_authenticated and knows is_operator


def build_world(session: Session) -> World:
    """A small makerspace with every kind of private data, and one token per scope."""
    operator = make_user(session, "operator", email="operator@example.com")
    founder = make_user(
        session, "founder", email=PRIVATE["founder e-mail"], phone=PRIVATE["founder phone"],
        wechat_id=PRIVATE["founder WeChat"],
    )  # fmt: skip
    startup = make_startup(
        session, founder, funding_need_amount=Decimal(PRIVATE["funding need amount"]),
        funding_need_note=PRIVATE["funding need note"],
    )  # fmt: skip
    mentor_user = make_user(
        session, "mentor", email=PRIVATE["mentor e-mail"], phone=PRIVATE["mentor phone"],
        wechat_id=PRIVATE["mentor WeChat"],
    )  # fmt: skip
    mentor = make_mentor(session, mentor_user)
    make_investor(session)
    facility = make_facility(session, contact_email=PRIVATE["facility e-mail"])
    equipment = make_equipment(session, facility)
    session.add(
        Policy(title_en="Rent subsidy", title_zh="房租补贴", kind="subsidy", is_published=True,
               published_at=datetime(2026, 1, 5), benefit_amount=Decimal("20000"))
    )  # fmt: skip
    session.add(
        SupportRecord(startup_id=startup.id, kind="subsidy", amount=Decimal("5000"),
                      granted_on=date(2026, 2, 1), description="Rent",
                      note=PRIVATE["internal note"], created_by_id=operator.id)
    )  # fmt: skip
    voucher = Voucher(code="V-1", startup_id=startup.id, amount=Decimal("1000"),
                      balance=Decimal("1000"), valid_from=date(2026, 1, 1),
                      valid_until=date(2026, 12, 31), note=PRIVATE["voucher note"])  # fmt: skip
    session.add(voucher)
    start = datetime(2026, 3, 2, 2, 0)
    session.add(
        MentorSession(mentor_id=mentor.id, startup_id=startup.id, requested_by_id=founder.id,
                      status="completed", topic="technology", starts_at=start,
                      ends_at=start + timedelta(hours=1))
    )  # fmt: skip
    session.add(
        EquipmentBooking(equipment_id=equipment.id, startup_id=startup.id, user_id=founder.id,
                         starts_at=start, ends_at=start + timedelta(hours=2), status="completed",
                         price=Decimal("600"), completed_at=start + timedelta(hours=2))
    )  # fmt: skip
    session.commit()
    tokens = {}
    for label, scopes, user in (
        ("statistics", ["statistics"], None),
        ("public", ["public"], None),
        ("own", ["own"], founder),
        ("all", ["statistics", "public", "own"], founder),
    ):
        issued = api_tokens.issue_token(
            session, operator, f"{label} token", scopes, user.email if user else None
        )
        tokens[label] = issued.secret
    return World(tokens, operator.id, founder.id, startup.id)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing", API_RATE_LIMIT_PER_MINUTE=1000)


@pytest.fixture
def world(db_session: Session) -> World:
    return build_world(db_session)


def _endpoints(client: FlaskClient) -> list[tuple[str, str]]:
    """(path, scope) of every operation in the OpenAPI document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    out = []
    for path, operations in spec["paths"].items():
        for op in operations.values():
            (tag,) = op["tags"]
            out.append((path, SCOPE_OF_TAG[tag]))
    return out


def _get(client: FlaskClient, path: str, secret: str | None, **headers: str) -> Any:
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    return client.get(path, headers=headers)


def test_scope_matrix_and_no_private_field(client: FlaskClient, world: World) -> None:
    """Each token against each endpoint of the document: the right status, the scopes said in
    header and body, and none of the private markers anywhere."""
    endpoints = _endpoints(client)
    assert len(endpoints) >= 14
    token_scopes = {"statistics": {"statistics"}, "public": {"public"}, "own": {"own"},
                    "all": {"statistics", "public", "own"}}  # fmt: skip
    answered: dict[tuple[str, str], Any] = {}
    # Each token asks in one language (both languages are covered across tokens): the engine
    # behind /me/recommendations takes seconds per call.
    languages = {"statistics": "en", "public": "zh-CN", "own": "en", "all": "zh-CN"}
    for path, scope in endpoints:
        assert _get(client, path, None).status_code == 401, path
        assert _get(client, path, "mm_not-a-real-token").status_code == 401, path
        for label, secret in world.tokens.items():
            allowed = scope == "*" or scope in token_scopes[label]
            response = _get(client, path, secret, **{"Accept-Language": languages[label]})
            assert response.status_code == (200 if allowed else 403), (path, label)
            said = response.headers["X-API-Scopes"].split()
            assert said == [s for s in ("statistics", "public", "own") if s in token_scopes[label]]
            body = response.get_json()
            if allowed:
                assert body["scopes"] == said
                answered[(path, label)] = body
            else:
                assert response.content_type == "application/problem+json"
                assert body["status"] == 403
            text = response.get_data(as_text=True) + json.dumps(body, ensure_ascii=False)
            for what, marker in PRIVATE.items():
                assert marker not in text, (what, path, label)
    assert len(answered) > 20

    # What the own token sees is its user's, and the public startup carries public fields only.
    sessions = answered[("/api/v1/me/sessions", "own")]
    bookings = answered[("/api/v1/me/bookings", "own")]
    assert [s["startup_id"] for s in sessions["data"]] == [world.startup_id]
    assert [b["startup_id"] for b in bookings["data"]] == [world.startup_id]
    recommendations = answered[("/api/v1/me/recommendations", "own")]
    assert recommendations["data"], "the founder's startup gets mentors and funds"
    assert all(r["for_id"] == world.startup_id for r in recommendations["data"])
    assert any(r["reasons"] for r in recommendations["data"])
    (startup,) = answered[("/api/v1/startups", "public")]["data"]
    assert startup["id"] == world.startup_id
    assert "funding_need_amount" not in startup and "funding_need_note" not in startup


def test_problems_etags_and_cursors(client: FlaskClient, world: World, db_session: Session) -> None:
    en = _get(client, "/api/v1/statistics", world.tokens["public"], **{"Accept-Language": "en"})
    zh = _get(client, "/api/v1/statistics", world.tokens["public"], **{"Accept-Language": "zh-CN"})
    assert en.status_code == zh.status_code == 403
    assert en.get_json()["title"] == "Not allowed"
    assert zh.get_json()["title"] != "Not allowed" and zh.headers["Content-Language"] == "zh-CN"
    bad = _get(client, "/api/v1/statistics?start=2026-05-01&end=2026-01-01",
               world.tokens["statistics"], **{"Accept-Language": "zh-CN"})  # fmt: skip
    body = bad.get_json()
    assert bad.status_code == 422 and body["errors"][0]["field"] == "start"
    assert body["detail"] != "The period must start before it ends."  # worded in Chinese
    # A cursor past the 32-bit ids is refused by the schema (it was a DataError on PostgreSQL).
    huge = _get(client, "/api/v1/equipment?cursor=10000000000", world.tokens["public"])
    assert huge.status_code == 422 and huge.get_json()["errors"][0]["field"] == "cursor"
    limit = _get(client, "/api/v1/startups?limit=0", world.tokens["public"])
    assert limit.status_code == 422 and limit.get_json()["errors"][0]["field"] == "limit"

    # Directory pages: ETag and If-None-Match, and cursors that visit each row once.
    for _ in range(4):
        make_startup(db_session)
    first = _get(client, "/api/v1/startups?limit=2", world.tokens["public"])
    etag = first.headers["ETag"]
    again = _get(
        client, "/api/v1/startups?limit=2", world.tokens["public"], **{"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.data == b""
    ids, cursor = [], None
    while True:
        page = _get(client, "/api/v1/startups?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                    world.tokens["public"]).get_json()  # fmt: skip
        ids += [s["id"] for s in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(ids) == len(set(ids)) == 5
    from matchmaker.models import Startup

    db_session.get(Startup, ids[0]).name = "Renamed"  # type: ignore[union-attr]
    db_session.commit()
    changed = _get(
        client, "/api/v1/startups?limit=2", world.tokens["public"], **{"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.get_json()["data"][0]["name"] == "Renamed"
    assert changed.headers["ETag"] != etag


def test_revocation_last_use_and_rate_limit(
    client: FlaskClient, world: World, db_session: Session, make_app: Callable[..., Flask]
) -> None:
    from matchmaker.models import User
    from matchmaker.models.api import ApiToken

    secret = world.tokens["public"]
    assert _get(client, "/api/v1/token", secret).status_code == 200
    token = db_session.query(ApiToken).filter_by(secret_hash=api_tokens.hash_secret(secret)).one()
    assert token.last_used_at is not None
    assert secret not in {t.secret_hash for t in db_session.query(ApiToken)}  # stored hashed
    api_tokens.revoke_token(db_session, db_session.get(User, world.operator_id), token.id)
    refused = _get(client, "/api/v1/startups", secret)
    assert refused.status_code == 401 and refused.content_type == "application/problem+json"

    # The per-token rate limit (in another app with a small limit).
    client = make_app(EMBEDDING_MODEL="hashing", API_RATE_LIMIT_PER_MINUTE=3).test_client()
    answers = [_get(client, "/api/v1/token", world.tokens["statistics"]) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[2].headers["RateLimit-Remaining"] == "0" and "Retry-After" in answers[2].headers
    assert answers[3].get_json()["status"] == 429
    assert answers[3].content_type == "application/problem+json"
    # Another token has its own budget.
    assert _get(client, "/api/v1/token", world.tokens["own"]).status_code == 200
