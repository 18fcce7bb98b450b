"""Propose a booking: the best instrument for a need and its earliest feasible slots."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, utcnow
from matchmaker.models.bookings import AvailabilityWindow, BookingRules
from matchmaker.services.facilities.bookings import need_parsing, reserve, slot_proposals
from matchmaker.services.facilities.bookings.slot_checks import WantedSlot
from matchmaker.services.recommendations.engine_settings import Caller
from matchmaker.timezones import to_utc, wall_clock
from tests.factories import make_equipment, make_facility, make_startup, make_user

NEED = "need XRD phase analysis of a cathode powder, about 3 hours, next week"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def _next_monday_at(hour: int) -> datetime:
    today = wall_clock(utcnow()).date()
    monday = today + timedelta(days=7 - today.weekday())
    return to_utc(datetime.combine(monday, time(hour)))


@pytest.fixture
def arranged(db_session: Session, ctx: None) -> dict[str, object]:
    facility = make_facility(db_session, manager=make_user(db_session, "facility_manager"))
    xrd = make_equipment(db_session, facility)
    laser = make_equipment(
        db_session,
        facility,
        name="CO2 laser cutter",
        category="prototyping",
        model_specs="Trotec Speedy 400",
        description="Laser cutting and engraving of acrylic, wood and thin metal sheets.",
        price_per_hour=Decimal("120"),
    )
    for eq in (xrd, laser):
        for d in range(7):
            db_session.add(
                AvailabilityWindow(
                    equipment_id=eq.id, weekday=d, start_time=time(8), end_time=time(18)
                )
            )
    db_session.commit()
    founder = make_user(db_session)
    startup = make_startup(db_session, owner=founder)
    other = make_user(db_session)
    other_startup = make_startup(db_session, owner=other)
    # Monday 08:00-10:00 is taken and the instrument needs 30 minutes between users.
    db_session.add(BookingRules(equipment_id=xrd.id, buffer_minutes=30))
    db_session.commit()
    reserve.create_booking(
        db_session,
        other,
        WantedSlot(xrd.id, other_startup.id, _next_monday_at(8), _next_monday_at(10)),
    )
    return {"xrd": xrd, "laser": laser, "founder": founder, "startup": startup}


def _check(proposals: list[slot_proposals.Proposal], arranged: dict[str, object]) -> None:
    xrd = arranged["xrd"]
    assert proposals[0].equipment.id == xrd.id  # type: ignore[attr-defined]
    slots = proposals[0].slots
    assert slots[0] == (
        _next_monday_at(10) + timedelta(minutes=30),
        _next_monday_at(13) + timedelta(minutes=30),
    )
    assert slots[1] == (
        _next_monday_at(13) + timedelta(minutes=30),
        _next_monday_at(16) + timedelta(minutes=30),
    )
    assert all(e - s == timedelta(hours=3) for s, e in slots)


def test_proposal_uses_the_engine_and_skips_taken_time(
    db_session: Session, arranged: dict[str, object], web_caller: Caller
) -> None:
    need = need_parsing.parse_need(NEED)
    proposals = slot_proposals.propose_bookings(
        db_session,
        arranged["founder"],
        arranged["startup"].id,
        need,  # type: ignore[arg-type, attr-defined]
        caller=web_caller,
    )
    assert proposals[0].source == "engine"
    _check(proposals, arranged)


def test_proposal_in_chinese_falls_back_without_the_engine(
    db_session: Session,
    arranged: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    web_caller: Caller,
) -> None:
    from matchmaker.services.recommendations import bridge

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("engine down")

    monkeypatch.setattr(bridge, "recommend_equipment", broken)
    need = need_parsing.parse_need("下周需要做XRD物相分析，大约3小时")
    assert need.minutes == 180
    proposals = slot_proposals.propose_bookings(
        db_session,
        arranged["founder"],
        arranged["startup"].id,
        need,  # type: ignore[arg-type, attr-defined]
        caller=web_caller,
    )
    assert proposals[0].source == "lexical"
    _check(proposals, arranged)


def test_training_gate_blocks_the_proposal(
    db_session: Session, arranged: dict[str, object], web_caller: Caller
) -> None:
    xrd = db_session.get(Equipment, arranged["xrd"].id)  # type: ignore[attr-defined]
    assert xrd is not None
    xrd.training_required = True
    db_session.commit()
    need = need_parsing.parse_need(NEED)
    proposals = slot_proposals.propose_bookings(
        db_session,
        arranged["founder"],
        arranged["startup"].id,
        need,  # type: ignore[arg-type, attr-defined]
        caller=web_caller,
    )
    blocked = [p for p in proposals if p.equipment.id == xrd.id][0]
    assert blocked.slots == [] and "training" in str(blocked.blocked)
