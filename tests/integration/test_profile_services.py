"""The profile use cases against the database: permissions, validation that saves nothing,
and the after-commit profile_changed hook."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, Investor, Mentor, Startup, StartupMember
from matchmaker.services.accounts import (
    directory,
    facility_profiles,
    investor_profiles,
    memberships,
    profile_events,
)
from matchmaker.services.accounts import profiles as service
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.operator import moderation
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)


@pytest.fixture
def session(app: Flask, db_session: Session) -> Iterator[Session]:
    # Lazy error messages need an app (and request) context to be rendered.
    with app.test_request_context():
        yield db_session


@pytest.fixture
def events() -> Iterator[list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []

    def listener(kind: str, entity_id: int) -> None:
        seen.append((kind, entity_id))

    with profile_events.handled_by(listener):
        yield seen


def _count(session: Session, model: type) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_profile_changed_handler_errors_are_contained(caplog: Any) -> None:
    def broken(kind: str, entity_id: int) -> None:
        raise RuntimeError("index offline")

    with profile_events.handled_by(broken):
        profile_events.profile_changed("startup", 7)  # logged, not raised
    assert "index offline" in caplog.text
    with pytest.raises(ValueError):
        profile_events.profile_changed("planet", 1)


def test_profile_changes_go_to_the_wired_handler_unless_a_caller_substitutes_one() -> None:
    wired: list[tuple[str, int]] = []
    substituted: list[tuple[str, int]] = []
    before = profile_events._wired
    profile_events.wire(lambda kind, entity_id: wired.append((kind, entity_id)))
    try:
        profile_events.profile_changed("mentor", 1)
        with profile_events.handled_by(
            lambda kind, entity_id: substituted.append((kind, entity_id))
        ):
            profile_events.profile_changed("investor", 2)
        profile_events.profile_changed("equipment", 3)
    finally:
        profile_events.wire(before)
    assert wired == [("mentor", 1), ("equipment", 3)]
    assert substituted == [("investor", 2)]


def test_the_app_factory_wires_the_embedding_job(app: Flask) -> None:
    from matchmaker.jobs.indexing import queue_embedding

    assert profile_events._wired is queue_embedding


def test_create_startup_makes_creator_a_member(session: Session, events: Any) -> None:
    founder = make_user(session, "founder")
    startup = service.create_startup(
        session, founder, {"name": " 新创 ", "sectors": ["internet"], "is_active": False}
    )
    assert startup.name == "新创" and startup.is_active  # is_active is not a form field
    assert [m.user_id for m in startup.members] == [founder.id]
    assert events == [("startup", startup.id)]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "sectors": ["bogus"]}, "sectors"),
        ({"name": "X", "stage": "bogus"}, "stage"),
        ({"name": "X", "team_size": 0}, "team_size"),
        ({"name": "X", "funding_need_amount": Decimal("-1")}, "funding_need_amount"),
        ({"name": "X", "funding_need_currency": "BTC"}, "funding_need_currency"),
        ({"sectors": ["internet"]}, "name"),
    ],
)
def test_create_startup_invalid(
    session: Session, events: Any, values: dict[str, Any], field: str
) -> None:
    founder = make_user(session, "founder")
    with pytest.raises(Invalid) as caught:
        service.create_startup(session, founder, values)
    assert caught.value.field == field
    assert _count(session, Startup) == 0 and _count(session, StartupMember) == 0
    assert events == []


def test_startup_permissions(session: Session) -> None:
    owner = make_user(session, "founder")
    stranger = make_user(session, "founder")
    operator = make_user(session, "operator")
    startup = make_startup(session, owner, name="Original")
    with pytest.raises(Forbidden):
        service.update_startup(session, stranger, startup.id, {"name": "Hijacked"})
    with pytest.raises(Forbidden):
        memberships.invite_startup_member(session, stranger, startup.id, stranger.email)
    with pytest.raises(NotFound):
        service.update_startup(session, owner, 9999, {"name": "X"})
    with pytest.raises(Forbidden):
        service.create_startup(session, make_user(session, "mentor"), {"name": "X"})
    assert service.update_startup(session, operator, startup.id, {"name": "Ok"}).name == "Ok"


def test_team_members(session: Session) -> None:
    owner = make_user(session, "founder")
    mate = make_user(session, "founder")
    startup = make_startup(session, owner)
    memberships.invite_startup_member(session, owner, startup.id, mate.email.upper(), "CTO")
    with pytest.raises(Forbidden):  # invited is not joined
        service.update_startup(session, mate, startup.id, {"location": "成都"})
    [invitation] = memberships.invitations_for(session, mate)
    memberships.accept_invitation(session, mate, "startup", invitation.id)
    # A teammate may edit, and may leave; the last member stays.
    service.update_startup(session, mate, startup.id, {"location": "成都"})
    memberships.remove_startup_member(session, owner, startup.id, mate.id)
    with pytest.raises(Invalid):
        memberships.remove_startup_member(session, owner, startup.id, owner.id)
    with pytest.raises(NotFound):
        memberships.remove_startup_member(session, owner, startup.id, mate.id)
    assert _count(session, StartupMember) == 1


def test_mentor_profile(session: Session, events: Any) -> None:
    user = make_user(session, "mentor")
    values = {"kind": "lawyer", "headline": "IP", "capacity_per_month": 60}
    mentor = service.save_mentor_profile(session, user, values)
    again = service.save_mentor_profile(session, user, {"capacity_per_month": 0})
    assert again.id == mentor.id and again.capacity_per_month == 0
    for bad in ({"capacity_per_month": 61}, {"kind": "x"}, {"timezone": "Nowhere/Land"}):
        with pytest.raises(Invalid):
            service.save_mentor_profile(session, user, bad)
    with pytest.raises(Forbidden):
        service.save_mentor_profile(session, make_user(session, "founder"), values)
    other = make_mentor(session)
    with pytest.raises(Forbidden):
        service.save_mentor_profile(session, user, {"headline": "x"}, mentor_id=other.id)
    operator = make_user(session, "operator")
    service.save_mentor_profile(session, operator, {"headline": "fixed"}, mentor_id=other.id)
    assert _count(session, Mentor) == 2
    assert events == [("mentor", mentor.id)] * 2 + [("mentor", other.id)]


def test_investor_ticket_range(session: Session) -> None:
    user = make_user(session, "investor")
    with pytest.raises(Invalid) as caught:
        investor_profiles.create_investor(
            session,
            user,
            {"name": "F", "type": "vc", "ticket_min": Decimal(5), "ticket_max": Decimal(1)},
        )
    assert caught.value.field == "ticket_max"
    assert _count(session, Investor) == 0
    investor = make_investor(session, user)  # 1,000,000 .. 10,000,000
    with pytest.raises(Invalid):  # checked against the stored maximum too
        investor_profiles.update_investor(
            session, user, investor.id, {"ticket_min": Decimal("2e7")}
        )
    session.rollback()
    assert session.get(Investor, investor.id).ticket_min == Decimal("1000000")


def test_portfolio_permissions(session: Session) -> None:
    member = make_user(session, "investor")
    stranger = make_user(session, "investor")
    investor = make_investor(session, member)
    entry_id = investor.portfolio[0].id
    with pytest.raises(Forbidden):
        investor_profiles.remove_portfolio_entry(session, stranger, entry_id)
    with pytest.raises(Forbidden):
        investor_profiles.add_portfolio_entry(session, stranger, investor.id, {"company": "X"})
    entry = investor_profiles.update_portfolio_entry(session, member, entry_id, {"year": 2020})
    assert entry.year == 2020
    with pytest.raises(Invalid):
        investor_profiles.update_portfolio_entry(session, member, entry_id, {"sector": "bogus"})


def test_equipment_lifecycle(session: Session, events: Any) -> None:
    manager = make_user(session, "facility_manager")
    stranger = make_user(session, "facility_manager")
    facility = facility_profiles.create_facility(
        session, manager, {"name": "Lab", "kind": "enterprise_lab"}
    )
    equipment = facility_profiles.add_equipment(
        session,
        manager,
        facility.id,
        {"name": "CNC", "category": "prototyping", "price_per_hour": Decimal("120")},
    )
    with pytest.raises(Invalid):
        facility_profiles.add_equipment(
            session,
            manager,
            facility.id,
            {"name": "CNC", "category": "prototyping", "price_per_hour": Decimal("-1")},
        )
    with pytest.raises(Forbidden):
        facility_profiles.update_equipment(session, stranger, equipment.id, {"name": "Mine"})
    with pytest.raises(Forbidden):
        facility_profiles.set_equipment_active(session, stranger, equipment.id, False)
    facility_profiles.set_equipment_active(session, manager, equipment.id, False)
    assert _count(session, Equipment) == 1
    assert events == [("equipment", equipment.id)] * 2


def test_moderation_needs_operator(session: Session) -> None:
    founder = make_user(session, "founder")
    startup = make_startup(session, founder)
    with pytest.raises(Forbidden):
        moderation.set_profile_active(session, founder, "startup", startup.id, False)
    with pytest.raises(Forbidden):
        moderation.list_users(session, founder)
    operator = make_user(session, "operator")
    with pytest.raises(NotFound):
        moderation.set_profile_active(session, operator, "startup", 9999, False)
    moderation.set_profile_active(session, operator, "startup", startup.id, False)
    session.rollback()
    assert session.get(Startup, startup.id).is_active is False
    assert moderation.list_users(session, operator, role="founder").total == 1


def test_directory_search_service(session: Session) -> None:
    facility = make_facility(session, location="重庆")
    make_equipment(session, facility, name="高温炉", price_per_hour=Decimal("50"))
    make_equipment(session, facility, name="Laser cutter", price_per_hour=Decimal("500"))
    filters = directory.Filters(q="高温", max_price=Decimal("100"))
    page = directory.search_equipment(session, filters)
    assert [e.name for e in page.items] == ["高温炉"]
    page = directory.search_equipment(session, directory.Filters(q="LASER CUTTER"))
    assert [e.name for e in page.items] == ["Laser cutter"]  # every word, any case
    assert directory.search_equipment(session, directory.Filters(q="laser 高温")).total == 0
