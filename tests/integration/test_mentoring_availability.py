"""Availability (zones, blackouts, held slots), capacity for the engine, office hours, calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy.orm import Session

from matchmaker import timezones
from matchmaker.models import utcnow
from matchmaker.models.mentoring import BlackoutDate, MentorSession, WeeklySlot
from matchmaker.services import calendar_feed
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.mentoring import (
    availability,
    availability_settings,
    office_hours,
    session_calendar,
)
from matchmaker.services.recommendations import capacity
from tests.factories import make_mentor, make_startup, make_user
from tests.integration.test_mentoring_support import World, make_world, open_slot, put_session

pytestmark = pytest.mark.db


@pytest.fixture
def w(app: Flask, db_session: Session) -> Iterator[World]:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield make_world(db_session)


def test_weekly_slots_follow_the_mentors_zone(db_session, w):
    w.mentor.timezone = "Europe/Berlin"
    db_session.add(WeeklySlot(mentor_id=w.mentor.id, weekday=0, start_minute=10 * 60))
    db_session.commit()
    # Only the weekly slot's openings: the world's one-off openings (72-78 hours from now) fall
    # on a Monday too when the test runs on a Thursday evening.
    one_off = set(w.slots)
    slots = [
        s
        for s in availability.free_slots(db_session, w.mentor)
        if s.starts_at.weekday() == 0 and s.starts_at not in one_off
    ]
    assert slots
    for s in slots:
        local = timezones.to_local(s.starts_at, "Europe/Berlin")
        assert (local.weekday(), local.hour, local.minute) == (0, 10, 0)
        assert s.ends_at - s.starts_at == timedelta(hours=1)


def test_blackout_days_and_held_slots_are_not_free(db_session, w):
    day = timezones.to_local(w.slots[1], w.mentor.timezone).date()
    db_session.add(BlackoutDate(mentor_id=w.mentor.id, day=day))
    db_session.commit()
    put_session(db_session, w, "scheduled", starts=w.slots[0])
    free = {s.starts_at for s in availability.free_slots(db_session, w.mentor)}
    assert w.slots[0] not in free
    assert all(timezones.to_local(s, w.mentor.timezone).date() != day for s in free)


def test_past_openings_are_not_free(db_session, w):
    past = utcnow().replace(microsecond=0) - timedelta(hours=1)
    open_slot(db_session, w.mentor, past)
    assert past not in {s.starts_at for s in availability.free_slots(db_session, w.mentor)}


def test_editing_availability(db_session, w):
    with pytest.raises(Invalid):
        availability_settings.add_weekly_slot(
            db_session, w.mentor_user, weekday=9, start_minute=600, duration_minutes=60
        )
    availability_settings.add_weekly_slot(
        db_session, w.mentor_user, weekday=2, start_minute=600, duration_minutes=45
    )
    with pytest.raises(Conflict):
        availability_settings.add_weekly_slot(
            db_session, w.mentor_user, weekday=2, start_minute=600, duration_minutes=45
        )
    with pytest.raises(Invalid, match="past"):
        availability_settings.add_opening(
            db_session, w.mentor_user, local_start=datetime(2020, 1, 1, 9), duration_minutes=60
        )
    row = availability_settings.add_blackout(db_session, w.mentor_user, day=date.today())
    with pytest.raises(NotFound):
        availability_settings.remove_entry(db_session, w.stranger, "blackout", row.id)
    availability_settings.remove_entry(db_session, w.mentor_user, "blackout", row.id)
    with pytest.raises(Invalid):
        availability_settings.update_settings(
            db_session,
            w.mentor_user,
            timezone="Mars/Olympus",
            capacity_per_month=3,
            accepting_requests=True,
        )
    m = availability_settings.update_settings(
        db_session,
        w.mentor_user,
        timezone="Asia/Tokyo",
        capacity_per_month=2,
        accepting_requests=False,
    )
    assert (m.timezone, m.capacity_per_month, m.accepting_requests) == ("Asia/Tokyo", 2, False)
    assert not availability.receiving_requests(db_session, m)


def test_capacity_provider_feeds_the_engine(db_session, w):
    put_session(db_session, w, "scheduled", starts=utcnow() + timedelta(minutes=30))
    counts = availability.sessions_this_month_by_mentor(db_session, [w.mentor.id, 999])
    expected = 1 if (utcnow() + timedelta(minutes=30)).month == utcnow().month else 0
    assert counts == {w.mentor.id: expected, 999: 0}
    provider = capacity._capacity_providers()["mentor"]
    assert provider is availability.sessions_used_this_month
    assert provider(db_session, [w.mentor.id]) == {w.mentor.id: float(expected)}


def test_session_ics_and_feed_parse(db_session, w):
    ms = put_session(db_session, w, "scheduled")
    cal = Calendar.from_ical(session_calendar.session_ics(db_session, w.founder, ms.id))
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    assert events[0].decoded("dtstart").replace(tzinfo=None) == ms.starts_at
    assert str(events[0]["uid"]) == f"mentor-session-{ms.id}@matchmaker"
    with pytest.raises(NotFound):
        session_calendar.session_ics(db_session, w.stranger, ms.id)
    feed = Calendar.from_ical(calendar_feed.user_feed(db_session, w.mentor_user))
    uids = [str(c["uid"]) for c in feed.walk() if c.name == "VEVENT"]
    assert f"mentor-session-{ms.id}@matchmaker" in uids
    stranger_feed = Calendar.from_ical(calendar_feed.user_feed(db_session, w.stranger))
    assert not [c for c in stranger_feed.walk() if c.name == "VEVENT"]


def test_requested_session_has_no_ics(db_session, w):
    ms = put_session(db_session, w, "requested")
    with pytest.raises(Conflict):
        session_calendar.session_ics(db_session, w.founder, ms.id)


def _office_day(db_session: Session) -> tuple[date, list, list]:
    day = (utcnow() + timedelta(days=3)).date()
    mentors = []
    for topics in (["fundraising"], ["technology"]):
        m = make_mentor(db_session, mentoring_topics=topics, timezone="UTC")
        for hour in (9, 10):
            open_slot(db_session, m, datetime.combine(day, time(hour)))
        mentors.append(m)
    operator = make_user(db_session, "operator")
    startups = [
        make_startup(db_session, make_user(db_session), mentoring_topics=t)
        for t in (["fundraising"], ["technology"], ["technology"])
    ]
    return day, mentors, [operator, *startups]


def test_office_hours_plan_and_publish(app, db_session, web_caller):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        day, mentors, (operator, *startups) = _office_day(db_session)
        plan = office_hours.plan_office_hours(
            db_session,
            day,
            [s.id for s in startups],
            [m.id for m in mentors],
            use_engine=False,
            caller=web_caller,
        )
        assert len(plan.rows) == 4
        assigned = {(r.startup.id, r.mentor.id) for r in plan.rows if r.startup}
        assert len(assigned) == 3  # every startup gets one slot
        assert (startups[0].id, mentors[0].id) in assigned  # fundraising meets fundraising
        assert (startups[1].id, mentors[1].id) in assigned
        bookings = [
            office_hours.OfficeHoursBooking(r.startup.id, r.mentor.id, r.slot.starts_at)
            for r in plan.rows
            if r.startup
        ]
        with pytest.raises(Forbidden):
            office_hours.publish_office_hours(db_session, startups[0].members[0].user, bookings)
        twice = [
            bookings[0],
            office_hours.OfficeHoursBooking(
                bookings[1].startup_id, bookings[0].mentor_id, bookings[0].starts_at
            ),
        ]
        with pytest.raises(Invalid):
            office_hours.publish_office_hours(db_session, operator, twice)
        created = office_hours.publish_office_hours(db_session, operator, bookings)
        assert len(created) == 3 and all(ms.status == "scheduled" for ms in created)
        assert {ms.source for ms in created} == {"office_hours"}
        # Published slots are no longer offered.
        again = office_hours.plan_office_hours(
            db_session,
            day,
            [s.id for s in startups],
            [m.id for m in mentors],
            use_engine=False,
            caller=web_caller,
        )
        assert len(again.rows) == 1
        assert db_session.query(MentorSession).count() == 3
