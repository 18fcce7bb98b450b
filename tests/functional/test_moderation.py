"""Operator moderation through HTTP: only operators; suspend/restore accounts; deactivate and
reactivate every kind of profile (and tell the index listeners)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, Facility, Investor, Mentor, Startup, User
from matchmaker.services.accounts import profile_events
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)


@pytest.fixture
def events() -> Iterator[list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []

    def listener(kind: str, entity_id: int) -> None:
        seen.append((kind, entity_id))

    with profile_events.handled_by(listener):
        yield seen


@pytest.fixture
def operator(db_session: Session, auth: Any) -> User:
    user = make_user(db_session, "operator", email="op@example.com", display_name="Operator Ou")
    auth.login("op@example.com")
    db_session.rollback()
    return user


def test_anonymous_is_sent_to_login(client: FlaskClient) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = client.post("/admin/users/1/active", data={"active": "0"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_non_operators_get_403(client: FlaskClient, auth: Any, db_session: Session) -> None:
    victim = make_user(db_session, "founder", email="victim@example.com")
    startup = make_startup(db_session, victim)
    make_user(
        db_session, "founder", "mentor", "investor", "facility_manager", email="x@example.com"
    )
    auth.login("x@example.com")
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{victim.id}/active", data={"active": "0"}).status_code == 403
    response = client.post(f"/admin/startup/{startup.id}/active", data={"active": "0"})
    assert response.status_code == 403
    db_session.rollback()
    assert db_session.get(User, victim.id).is_active
    assert db_session.get(Startup, startup.id).is_active


def test_list_and_search_users(client: FlaskClient, db_session: Session, operator: User) -> None:
    make_user(db_session, "mentor", email="zhang@example.com", display_name="张老师")
    make_user(db_session, "investor", email="fund@example.com", display_name="Fund Fang")
    make_user(db_session, "founder", email="gone@example.com", display_name="Gone", is_active=False)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "张老师" in page and "Fund Fang" in page and "zhang@example.com" in page
    page = client.get("/admin/users?q=张").get_data(as_text=True)
    assert "张老师" in page and "Fund Fang" not in page
    page = client.get("/admin/users?q=FUND@").get_data(as_text=True)
    assert "Fund Fang" in page and "张老师" not in page
    page = client.get("/admin/users?role=mentor").get_data(as_text=True)
    assert "张老师" in page and "Fund Fang" not in page
    page = client.get("/admin/users?status=suspended").get_data(as_text=True)
    assert "Gone" in page and "张老师" not in page


def test_suspend_and_restore_account(
    client: FlaskClient, db_session: Session, operator: User, events: Any
) -> None:
    mentor_user = make_user(db_session, "mentor", email="m@example.com")
    mentor = make_mentor(db_session, mentor_user)
    db_session.rollback()
    response = client.post(f"/admin/users/{mentor_user.id}/active", data={"active": "0"})
    assert response.status_code == 302
    db_session.rollback()
    assert not db_session.get(User, mentor_user.id).is_active
    # The suspended user can no longer sign in, and leaves the mentor directory.
    other = client.application.test_client()
    assert (
        other.post(
            "/auth/login", data={"email": "m@example.com", "password": "password123"}
        ).status_code
        == 200
    )
    assert client.get(f"/mentors/{mentor.id}").status_code == 200  # operators still see it
    anonymous = client.application.test_client()
    assert anonymous.get(f"/mentors/{mentor.id}").status_code == 404
    assert events == [("mentor", mentor.id)]
    client.post(f"/admin/users/{mentor_user.id}/active", data={"active": "1"})
    db_session.rollback()
    assert db_session.get(User, mentor_user.id).is_active


def test_operator_cannot_suspend_self(
    client: FlaskClient, db_session: Session, operator: User
) -> None:
    response = client.post(
        f"/admin/users/{operator.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "cannot suspend your own account" in response.get_data(as_text=True)
    db_session.rollback()
    assert db_session.get(User, operator.id).is_active


def test_suspend_unknown_user_is_404(client: FlaskClient, operator: User) -> None:
    assert client.post("/admin/users/9999/active", data={"active": "0"}).status_code == 404


@pytest.mark.parametrize("kind", ["startup", "mentor", "investor", "facility", "equipment"])
def test_deactivate_and_reactivate_profiles(
    client: FlaskClient, db_session: Session, operator: User, events: Any, kind: str
) -> None:
    facility = make_facility(db_session)
    equipment = make_equipment(db_session, facility)
    entities = {
        "startup": (make_startup(db_session), Startup, "/startups/{}"),
        "mentor": (make_mentor(db_session), Mentor, "/mentors/{}"),
        "investor": (make_investor(db_session), Investor, "/investors/{}"),
        "facility": (facility, Facility, "/facilities/{}"),
        "equipment": (equipment, Equipment, "/equipment/{}"),
    }
    entity, model, url = entities[kind]
    entity_id = entity.id
    db_session.rollback()
    detail = url.format(entity_id)
    response = client.post(
        f"/admin/{kind}/{entity_id}/active", data={"active": "0", "next": detail}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(detail)
    db_session.rollback()
    assert db_session.get(model, entity_id).is_active is False
    anonymous = client.application.test_client()
    assert anonymous.get(detail).status_code == 404
    assert "Reactivate" in client.get(detail).get_data(as_text=True) or "重新启用" in client.get(
        detail
    ).get_data(as_text=True)
    client.post(f"/admin/{kind}/{entity_id}/active", data={"active": "1"})
    db_session.rollback()
    assert db_session.get(model, entity_id).is_active is True
    assert anonymous.get(detail).status_code == 200
    expected_kind = "equipment" if kind == "facility" else kind
    expected_id = equipment.id if kind == "facility" else entity_id
    assert events == [(expected_kind, expected_id)] * 2


def test_unknown_kind_or_id_is_404(client: FlaskClient, operator: User) -> None:
    assert client.post("/admin/planet/1/active", data={"active": "0"}).status_code == 404
    assert client.post("/admin/startup/9999/active", data={"active": "0"}).status_code == 404


def test_next_must_be_local(client: FlaskClient, db_session: Session, operator: User) -> None:
    startup = make_startup(db_session)
    response = client.post(
        f"/admin/startup/{startup.id}/active",
        data={"active": "0", "next": "https://evil.example.com/"},
    )
    assert "evil.example.com" not in response.headers["Location"]


def test_a_long_user_list_says_it_is_counted_up_to_the_cap(
    client: FlaskClient, db_session: Session, operator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matchmaker.services.accounts import directory

    monkeypatch.setattr(directory, "COUNT_CAP", 2)
    for n in range(3):
        make_user(db_session, "mentor", display_name=f"Mentor {n}")
    assert "More than 2 found" in client.get("/admin/users").get_data(as_text=True)
    assert "1 found" in client.get("/admin/users?q=op@example.com").get_data(as_text=True)
