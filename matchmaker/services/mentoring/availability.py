"""Mentors' availability: weekly slots, one-off openings, blackout dates, zone and capacity.

A *free slot* is an occurrence of a weekly slot or a one-off opening that lies in the future, not
on a blackout day (in the mentor's zone) and not overlapping a scheduled session. Times are naive
UTC everywhere except ``WeeklySlot`` (local minutes) and ``BlackoutDate`` (a local day).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MentorProfile, User, utcnow
from matchmaker.models.mentoring import (
    MAX_SESSIONS_PER_MONTH,
    SLOT_HOLDING_STATUSES,
    BlackoutDate,
    MentorSession,
    OneOffOpening,
    WeeklySlot,
)
from matchmaker.services.errors import Conflict, Invalid, NotFound

HORIZON_DAYS = 28
DEFAULT_ZONE = "Asia/Shanghai"
# Sessions that use up a month's capacity.
CAPACITY_STATUSES = ("scheduled", "completed", "no_show")
SLOT_KEY_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class Slot:
    mentor_id: int
    starts_at: datetime  # naive UTC
    ends_at: datetime

    @property
    def key(self) -> str:
        return self.starts_at.strftime(SLOT_KEY_FORMAT)


def parse_slot_key(key: str) -> datetime | None:
    """A slot's key (its UTC start, minute precision) back to a datetime; None if malformed."""
    try:
        return datetime.strptime(key.strip(), SLOT_KEY_FORMAT)
    except (ValueError, AttributeError):
        return None


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def to_local(moment: datetime, zone_name: str | None) -> datetime:
    """Naive UTC -> aware local time in ``zone_name``."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone(zone_name))


def to_utc(local: datetime, zone_name: str | None) -> datetime:
    """Naive local wall time in ``zone_name`` -> naive UTC."""
    aware = local.replace(tzinfo=zone(zone_name))
    return aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def is_valid_zone(name: str) -> bool:
    return name in available_timezones()


def mentor_for_user(session: Session, user: User) -> MentorProfile:
    mentor = session.scalar(sa.select(MentorProfile).where(MentorProfile.user_id == user.id))
    if mentor is None:
        raise NotFound(_l("Create your mentor profile first."))
    return mentor


# --- free slots --------------------------------------------------------------------------------


def _candidate_slots(
    session: Session, mentor: MentorProfile, start: datetime, end: datetime
) -> list[Slot]:
    tz_name = mentor.timezone
    weekly = session.scalars(sa.select(WeeklySlot).where(WeeklySlot.mentor_id == mentor.id)).all()
    openings = session.scalars(
        sa.select(OneOffOpening).where(
            OneOffOpening.mentor_id == mentor.id,
            OneOffOpening.starts_at >= start,
            OneOffOpening.starts_at < end,
        )
    ).all()
    out: dict[datetime, Slot] = {}
    first_day = to_local(start, tz_name).date() - timedelta(days=1)
    last_day = to_local(end, tz_name).date() + timedelta(days=1)
    day = first_day
    while day <= last_day:
        for w in weekly:
            if w.weekday != day.weekday():
                continue
            local = datetime.combine(day, time()) + timedelta(minutes=w.start_minute)
            starts = to_utc(local, tz_name)
            if start <= starts < end:
                out.setdefault(
                    starts, Slot(mentor.id, starts, starts + timedelta(minutes=w.duration_minutes))
                )
        day += timedelta(days=1)
    for o in openings:
        out.setdefault(o.starts_at, Slot(mentor.id, o.starts_at, o.ends_at))
    return sorted(out.values(), key=lambda s: s.starts_at)


def free_slots(
    session: Session,
    mentor: MentorProfile,
    *,
    now: datetime | None = None,
    days: int = HORIZON_DAYS,
    exclude_session_id: int | None = None,
) -> list[Slot]:
    """The mentor's bookable slots from ``now`` for ``days`` days, earliest first."""
    now = now or utcnow()
    end = now + timedelta(days=days)
    candidates = _candidate_slots(session, mentor, now, end)
    if not candidates:
        return []
    blackouts = set(
        session.scalars(
            sa.select(BlackoutDate.day).where(BlackoutDate.mentor_id == mentor.id)
        ).all()
    )
    busy_query = sa.select(MentorSession.starts_at, MentorSession.ends_at).where(
        MentorSession.mentor_id == mentor.id,
        MentorSession.status.in_(SLOT_HOLDING_STATUSES),
        MentorSession.ends_at > now,
    )
    if exclude_session_id is not None:
        busy_query = busy_query.where(MentorSession.id != exclude_session_id)
    busy = [(s, e) for s, e in session.execute(busy_query).all() if s is not None and e]
    result = []
    for slot in candidates:
        if to_local(slot.starts_at, mentor.timezone).date() in blackouts:
            continue
        if any(slot.starts_at < e and s < slot.ends_at for s, e in busy):
            continue
        result.append(slot)
    return result


def find_free_slot(
    session: Session,
    mentor: MentorProfile,
    starts_at: datetime,
    *,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> Slot | None:
    for slot in free_slots(session, mentor, now=now, exclude_session_id=exclude_session_id):
        if slot.starts_at == starts_at:
            return slot
    return None


def slot_taken(session: Session, mentor_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    """True if a scheduled session of the mentor overlaps [starts_at, ends_at)."""
    return bool(
        session.scalar(
            sa.select(sa.func.count(MentorSession.id)).where(
                MentorSession.mentor_id == mentor_id,
                MentorSession.status.in_(SLOT_HOLDING_STATUSES),
                MentorSession.starts_at < ends_at,
                MentorSession.ends_at > starts_at,
            )
        )
    )


# --- capacity ----------------------------------------------------------------------------------


def month_bounds(moment: datetime, zone_name: str | None) -> tuple[datetime, datetime]:
    """The UTC bounds of the calendar month (in the mentor's zone) containing ``moment``."""
    local = to_local(moment, zone_name)
    first = datetime(local.year, local.month, 1)
    nxt = datetime(local.year + (local.month == 12), local.month % 12 + 1, 1)
    return to_utc(first, zone_name), to_utc(nxt, zone_name)


def sessions_in_month(
    session: Session,
    mentor: MentorProfile,
    moment: datetime | None = None,
    *,
    exclude_session_id: int | None = None,
) -> int:
    start, end = month_bounds(moment or utcnow(), mentor.timezone)
    query = sa.select(sa.func.count(MentorSession.id)).where(
        MentorSession.mentor_id == mentor.id,
        MentorSession.status.in_(CAPACITY_STATUSES),
        MentorSession.starts_at >= start,
        MentorSession.starts_at < end,
    )
    if exclude_session_id is not None:
        query = query.where(MentorSession.id != exclude_session_id)
    return session.scalar(query) or 0


def sessions_this_month_by_mentor(
    session: Session, mentor_ids: Iterable[int], now: datetime | None = None
) -> dict[int, int]:
    """Sessions this month per mentor in one query (UTC month; the engine's capacity signal)."""
    ids = list(mentor_ids)
    if not ids:
        return {}
    now = now or utcnow()
    start = datetime(now.year, now.month, 1)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1)
    rows = session.execute(
        sa.select(MentorSession.mentor_id, sa.func.count(MentorSession.id))
        .where(
            MentorSession.mentor_id.in_(ids),
            MentorSession.status.in_(CAPACITY_STATUSES),
            MentorSession.starts_at >= start,
            MentorSession.starts_at < end,
        )
        .group_by(MentorSession.mentor_id)
    ).all()
    counts = {mid: 0 for mid in ids}
    counts.update({mid: n for mid, n in rows})
    return counts


def at_capacity(session: Session, mentor: MentorProfile, moment: datetime | None = None) -> bool:
    return sessions_in_month(session, mentor, moment) >= mentor.capacity_per_month


def receiving_requests(session: Session, mentor: MentorProfile) -> bool:
    """Whether a founder may send this mentor a request now (active, not paused, capacity left)."""
    return bool(mentor.is_active and mentor.accepting_requests) and not at_capacity(session, mentor)


# --- editing availability (the mentor's own use cases) -----------------------------------------


def _commit(session: Session, message: object) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(message) from exc


def update_settings(
    session: Session,
    user: User,
    *,
    timezone: str,
    capacity_per_month: int,
    accepting_requests: bool,
) -> MentorProfile:
    mentor = mentor_for_user(session, user)
    if not is_valid_zone(timezone):
        raise Invalid(_l("Unknown time zone."), field="timezone")
    if not 0 <= capacity_per_month <= MAX_SESSIONS_PER_MONTH:
        raise Invalid(
            _l("Enter a number from 0 to %(n)d.", n=MAX_SESSIONS_PER_MONTH),
            field="capacity_per_month",
        )
    mentor.timezone = timezone
    mentor.capacity_per_month = capacity_per_month
    mentor.accepting_requests = accepting_requests
    session.commit()
    return mentor


def add_weekly_slot(
    session: Session, user: User, *, weekday: int, start_minute: int, duration_minutes: int
) -> WeeklySlot:
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
    _commit(session, _l("You already have a weekly slot at that time."))
    return row


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
    _commit(session, _l("You already have an opening at that time."))
    return row


def add_blackout(session: Session, user: User, *, day: date, note: str = "") -> BlackoutDate:
    mentor = mentor_for_user(session, user)
    row = BlackoutDate(mentor_id=mentor.id, day=day, note=note.strip()[:200])
    session.add(row)
    _commit(session, _l("That day is already blocked."))
    return row


_KINDS: dict[str, type[WeeklySlot] | type[OneOffOpening] | type[BlackoutDate]] = {
    "weekly": WeeklySlot,
    "opening": OneOffOpening,
    "blackout": BlackoutDate,
}


def remove_entry(session: Session, user: User, kind: str, entry_id: int) -> None:
    """Remove one of the mentor's own weekly slots, openings or blackout days."""
    mentor = mentor_for_user(session, user)
    model = _KINDS.get(kind)
    row = session.get(model, entry_id) if model is not None else None
    if row is None or getattr(row, "mentor_id", None) != mentor.id:
        raise NotFound(_l("That availability entry does not exist."))
    session.delete(row)
    session.commit()


@dataclass
class AvailabilityView:
    mentor: MentorProfile
    weekly: list[WeeklySlot]
    openings: list[OneOffOpening]
    blackouts: list[BlackoutDate]
    upcoming_free: list[Slot]
    used_this_month: int


def availability_view(session: Session, user: User) -> AvailabilityView:
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


def _sessions_used(session: Session, mentor_ids: Sequence[int]) -> Mapping[int, float]:
    return {k: float(v) for k, v in sessions_this_month_by_mentor(session, mentor_ids).items()}


def _register_capacity_provider() -> None:
    """Tell the engine how many sessions each mentor has this month (at capacity: no matches)."""
    try:
        from matchmaker.services.recommendations.bridge import register_capacity_provider
    except ImportError:  # the engine bridge is optional
        return
    register_capacity_provider("mentor", _sessions_used)


_register_capacity_provider()
