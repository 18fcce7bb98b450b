"""The mentor's own availability: settings (zone, monthly capacity, pause), weekly slots,
one-off openings and blackout days, and the page that lists them.

What these make bookable (free slots, capacity) is read by ``availability``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MentorProfile, User, utcnow
from matchmaker.models.mentoring import (
    MAX_SESSIONS_PER_MONTH,
    BlackoutDate,
    OneOffOpening,
    WeeklySlot,
)
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.mentoring.availability import (
    Slot,
    free_slots,
    mentor_for_user,
    sessions_in_month,
)
from matchmaker.services.transactions import commit, use_case
from matchmaker.timezones import is_valid_zone, to_utc


def check_sessions_per_month(capacity: int | None) -> None:
    """Refuse, next to the ``capacity_per_month`` field, a mentor's sessions per month outside 0
    (takes none) to ``MAX_SESSIONS_PER_MONTH``. These settings and the mentor profile
    (``accounts.profiles``) both set it."""
    if capacity is None or not 0 <= int(capacity) <= MAX_SESSIONS_PER_MONTH:
        raise Invalid(
            _l("Enter a number from 0 to %(n)d.", n=MAX_SESSIONS_PER_MONTH),
            field="capacity_per_month",
        )


@use_case
def update_settings(
    session: Session,
    user: User,
    *,
    timezone: str,
    capacity_per_month: int,
    accepting_requests: bool,
) -> MentorProfile:
    """The mentor's zone (one of the zone database's names), monthly capacity (0 to
    ``MAX_SESSIONS_PER_MONTH``; 0 takes no sessions) and whether requests are paused."""
    mentor = mentor_for_user(session, user)
    if not is_valid_zone(timezone):
        raise Invalid(_l("Unknown time zone."), field="timezone")
    check_sessions_per_month(capacity_per_month)
    mentor.timezone = timezone
    mentor.capacity_per_month = capacity_per_month
    mentor.accepting_requests = accepting_requests
    commit(session)
    return mentor


@use_case
def add_weekly_slot(
    session: Session, user: User, *, weekday: int, start_minute: int, duration_minutes: int
) -> WeeklySlot:
    """A recurring slot every ``weekday`` (0 = Monday) at ``start_minute`` of the mentor's local
    day, so it keeps its wall-clock time across daylight-saving changes."""
    mentor = mentor_for_user(session, user)
    if not 0 <= weekday <= 6:
        raise Invalid(_l("Pick a day of the week."), field="weekday")
    if not 0 <= start_minute < 24 * 60:
        raise Invalid(_l("Pick a start time."), field="start_time")
    if not 15 <= duration_minutes <= 240:
        raise Invalid(_l("A session lasts 15 to 240 minutes."), field="duration_minutes")
    row = WeeklySlot(
        mentor_id=mentor.id,
        weekday=weekday,
        start_minute=start_minute,
        duration_minutes=duration_minutes,
    )
    session.add(row)
    commit(session, _l("You already have a weekly slot at that time."))
    return row


@use_case
def add_opening(
    session: Session,
    user: User,
    *,
    local_start: datetime,
    duration_minutes: int,
    now: datetime | None = None,
) -> OneOffOpening:
    """A one-off opening at ``local_start`` (wall time in the mentor's zone)."""
    mentor = mentor_for_user(session, user)
    if not 15 <= duration_minutes <= 240:
        raise Invalid(_l("A session lasts 15 to 240 minutes."), field="duration_minutes")
    starts = to_utc(local_start, mentor.timezone)
    if starts <= (now or utcnow()):
        raise Invalid(_l("That time is in the past."), field="starts_at")
    row = OneOffOpening(
        mentor_id=mentor.id, starts_at=starts, ends_at=starts + timedelta(minutes=duration_minutes)
    )
    session.add(row)
    commit(session, _l("You already have an opening at that time."))
    return row


@use_case
def add_blackout(session: Session, user: User, *, day: date, note: str = "") -> BlackoutDate:
    """A day (in the mentor's zone) on which none of their slots is offered; sessions already
    scheduled on it stay."""
    mentor = mentor_for_user(session, user)
    row = BlackoutDate(mentor_id=mentor.id, day=day, note=note.strip()[:200])
    session.add(row)
    commit(session, _l("That day is already blocked."))
    return row


_KINDS: dict[str, type[WeeklySlot] | type[OneOffOpening] | type[BlackoutDate]] = {
    "weekly": WeeklySlot,
    "opening": OneOffOpening,
    "blackout": BlackoutDate,
}


@use_case
def remove_entry(session: Session, user: User, kind: str, entry_id: int) -> None:
    """Remove one of the mentor's own weekly slots, openings or blackout days."""
    mentor = mentor_for_user(session, user)
    model = _KINDS.get(kind)
    row = session.get(model, entry_id) if model is not None else None
    if row is None or getattr(row, "mentor_id", None) != mentor.id:
        raise NotFound(_l("That availability entry does not exist."))
    session.delete(row)
    commit(session)


@dataclass
class AvailabilityView:
    mentor: MentorProfile
    weekly: list[WeeklySlot]
    openings: list[OneOffOpening]
    blackouts: list[BlackoutDate]
    upcoming_free: list[Slot]
    used_this_month: int


def availability_view(session: Session, user: User) -> AvailabilityView:
    """The availability page: the mentor's entries (past openings left out), the free slots of
    the next 14 days and the sessions used this month."""
    mentor = mentor_for_user(session, user)
    now = utcnow()
    return AvailabilityView(
        mentor=mentor,
        weekly=list(
            session.scalars(
                sa.select(WeeklySlot)
                .where(WeeklySlot.mentor_id == mentor.id)
                .order_by(WeeklySlot.weekday, WeeklySlot.start_minute)
            )
        ),
        openings=list(
            session.scalars(
                sa.select(OneOffOpening)
                .where(OneOffOpening.mentor_id == mentor.id, OneOffOpening.ends_at > now)
                .order_by(OneOffOpening.starts_at)
            )
        ),
        blackouts=list(
            session.scalars(
                sa.select(BlackoutDate)
                .where(BlackoutDate.mentor_id == mentor.id)
                .order_by(BlackoutDate.day)
            )
        ),
        upcoming_free=free_slots(session, mentor, now=now, days=14),
        used_this_month=sessions_in_month(session, mentor, now),
    )
