"""Over HTTP: an account on both sides of an introduction cannot accept it for both (issue 11)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models.funding import Introduction
from tests.factories import make_investor, make_startup, make_user


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(EMBEDDING_MODEL="hashing")


def test_an_account_on_both_sides_never_completes_an_introduction(
    client: FlaskClient, db_session: Session
) -> None:
    attacker = make_user(db_session, "founder", "investor", email="attacker@example.com")
    startup = make_startup(db_session, attacker)
    fund = make_investor(db_session, attacker)
    db_session.add(
        Introduction(startup_id=startup.id, investor_id=fund.id, requested_by_side="system")
    )
    db_session.commit()
    intro_id = db_session.scalar(sa.select(Introduction.id))
    client.post("/auth/login", data={"email": "attacker@example.com", "password": "password123"})
    request = client.post(
        "/funding/introductions/request",
        data={"startup_id": startup.id, "investor_id": fund.id, "side": "startup"},
        follow_redirects=True,
    )
    assert "share a team member" in request.get_data(as_text=True)
    for _ in range(2):
        answer = client.post(f"/funding/introductions/{intro_id}/accept", follow_redirects=True)
        assert "share a team member" in answer.get_data(as_text=True)
    api = client.get("/funding/api/introductions").get_json()
    assert [(i["status"], i["contacts"]) for i in api["introductions"]] == [("pending", [])]
    db_session.rollback()
    intro = db_session.get(Introduction, intro_id)
    assert intro is not None and intro.status == "pending"
    assert intro.startup_accepted_by_id is None and intro.investor_accepted_by_id is None
