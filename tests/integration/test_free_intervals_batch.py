"""The batched free-time read (the engine's capacity provider and dashboards) gives exactly what
``free_intervals`` gives one instrument at a time, in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matchmaker.models import utcnow
from matchmaker.models.bookings import (
    AvailabilityException,
    AvailabilityWindow,
    BookingRules,
    EquipmentBooking,
)
from matchmaker.services.facilities.bookings.queries import free_intervals_by_equipment
from matchmaker.services.facilities.equipment_availability import (
    free_intervals,
    open_intervals,
    open_intervals_by_equipment,
    rules_for,
)
from matchmaker.timezones import DEFAULT_ZONE
from tests.factories import make_equipment, make_facility, make_startup, make_user

pytestmark = pytest.mark.db


def _instruments(db_session: Session, n: int) -> list[int]:
    facility = make_facility(db_session)
    person = make_user(db_session, "founder")
    startup = make_startup(db_session, person)
    soon = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    ids = []
    for k in range(n):
        equipment = make_equipment(db_session, facility, name=f"Instrument {k}")
        ids.append(equipment.id)
        if k % 3:  # every third keeps the default rules (no row)
            db_session.add(
                BookingRules(
                    equipment_id=equipment.id, buffer_minutes=15 * k, lead_time_minutes=30 * k
                )
            )
        db_session.add_all(
            AvailabilityWindow(
                equipment_id=equipment.id, weekday=d, start_time=time(8 + k % 3), end_time=time(18)
            )
            for d in range(7)
            if d != k % 7
        )
        db_session.add_all(
            [
                AvailabilityException(
                    equipment_id=equipment.id,
                    kind="blackout",
                    starts_at=soon + timedelta(days=2, hours=k),
                    ends_at=soon + timedelta(days=2, hours=k + 3),
                ),
                AvailabilityException(
                    equipment_id=equipment.id,
                    kind="opening",
                    starts_at=soon + timedelta(days=5, hours=20),
                    ends_at=soon + timedelta(days=5, hours=23),
                ),
                EquipmentBooking(
                    equipment_id=equipment.id,
                    startup_id=startup.id,
                    user_id=person.id,
                    starts_at=soon + timedelta(hours=k),
                    ends_at=soon + timedelta(hours=k + 2),
                    status="confirmed",
                ),
                EquipmentBooking(
                    equipment_id=equipment.id,
                    startup_id=startup.id,
                    user_id=person.id,
                    starts_at=soon + timedelta(days=3, hours=k),
                    ends_at=soon + timedelta(days=3, hours=k + 1),
                    status="cancelled",
                ),
            ]
        )
    db_session.commit()
    return ids


def test_batch_matches_one_at_a_time(db_session: Session) -> None:
    ids = _instruments(db_session, 7)
    now = utcnow()
    end = now + timedelta(days=14)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        batch = free_intervals_by_equipment(db_session, ids, now, end, from_lead_time=True)
        plain = free_intervals_by_equipment(db_session, ids, now, end)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(statements) <= 8  # four queries a call, whatever the number of instruments
    from matchmaker.models import Equipment

    for i in ids:
        equipment = db_session.get(Equipment, i)
        assert equipment is not None
        lead = timedelta(minutes=rules_for(db_session, i).lead_time_minutes)
        assert batch[i] == free_intervals(db_session, equipment, now + lead, end), i
        assert plain[i] == free_intervals(db_session, equipment, now, end), i
    assert free_intervals_by_equipment(db_session, [], now, end) == {}


def test_the_engine_s_free_hours_move_with_bookings_not_with_the_minute(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The capacity figure counts from the start of the hour. While a booking is under way, a
    figure counted from the minute itself moves at every refresh (its end of the 14 days
    gains free time that its start does not lose), and each new figure is a new engine state
    in every web process; now it is the same all hour, and a new booking moves it."""
    from matchmaker.services.facilities.bookings import slot_proposals

    facility = make_facility(db_session)
    equipment = make_equipment(db_session, facility)
    db_session.add_all(
        AvailabilityWindow(
            equipment_id=equipment.id, weekday=d, start_time=time(0), end_time=time(23, 59)
        )
        for d in range(7)
    )
    person = make_user(db_session, "founder")
    startup = make_startup(db_session, person)
    hour = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)

    def book(starts: datetime, hours: int) -> None:
        db_session.add(
            EquipmentBooking(
                equipment_id=equipment.id,
                startup_id=startup.id,
                user_id=person.id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
                status="confirmed",
            )
        )
        db_session.flush()

    def free_at(moment: datetime) -> float:
        monkeypatch.setattr(slot_proposals, "utcnow", lambda: moment)
        return slot_proposals.free_hours_next_14_days(db_session, [equipment.id])[equipment.id]

    book(hour - timedelta(hours=1), 3)  # under way all hour
    first = free_at(hour + timedelta(minutes=5))
    assert free_at(hour + timedelta(minutes=50)) == first
    by_the_minute = [
        sum((e - s).total_seconds() for s, e in free) / 3600
        for free in (
            free_intervals_by_equipment(
                db_session, [equipment.id], at, at + timedelta(days=14), from_lead_time=True
            )[equipment.id]
            for at in (hour + timedelta(minutes=5), hour + timedelta(minutes=50))
        )
    ]
    assert by_the_minute[0] != by_the_minute[1]  # what the anchor keeps out of the engine
    # At the makerspace's noon: the windows end at 23:59 there, so a booking over its midnight
    # (15:00 UTC) would take one minute less than its 2 hours.
    day = (hour + timedelta(days=3)).replace(tzinfo=UTC).astimezone(ZoneInfo(DEFAULT_ZONE))
    noon = day.replace(hour=12).astimezone(UTC).replace(tzinfo=None)
    book(noon, 2)
    assert free_at(hour + timedelta(minutes=50)) == pytest.approx(first - 2)


def test_open_time_of_many_instruments_matches_one_at_a_time(db_session: Session) -> None:
    """The usage report (facility pages, the annual evaluation) read each instrument's
    windows and exceptions in two statements of its own: 224 of the annual report's 260."""
    ids = _instruments(db_session, 7)
    now = utcnow()
    # Each its own span, as the report's (from the day an instrument was listed).
    spans = {i: (now + timedelta(hours=5 * k), now + timedelta(days=9)) for k, i in enumerate(ids)}
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        batch = open_intervals_by_equipment(db_session, spans)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(statements) == 2  # whatever the number of instruments
    for i, (start, end) in spans.items():
        assert batch[i] == open_intervals(db_session, i, start, end), i
    assert open_intervals_by_equipment(db_session, {}) == {}
