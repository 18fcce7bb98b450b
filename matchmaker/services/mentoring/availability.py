"""Mentors' availability: weekly slots, one-off openings, blackout dates, zone and capacity.

A *free slot* is an occurrence of a weekly slot or a one-off opening that lies in the future, not
on a blackout day (in the mentor's zone) and not overlapping a scheduled session. Times are naive
UTC everywhere except ``WeeklySlot`` (local minutes) and ``BlackoutDate`` (a local day).
The mentor edits these entries through ``availability_settings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.database import in_ids
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Mentor, User, utcnow
from matchmaker.models.mentoring import (
    SLOT_HOLDING_STATUSES,
    BlackoutDate,
    MentorSession,
    OneOffOpening,
    SessionStatus,
    WeeklySlot,
)
from matchmaker.services.errors import NotFound
from matchmaker.timezones import to_local, to_utc

HORIZON_DAYS = 28
# Sessions that use up a month's capacity.
CAPACITY_STATUSES = (SessionStatus.SCHEDULED, SessionStatus.COMPLETED, SessionStatus.NO_SHOW)
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


def mentor_for_user(session: Session, user: User) -> Mentor:
    """The user's mentor profile; NotFound (asking them to create it) without one."""
    mentor = session.scalar(sa.select(Mentor).where(Mentor.user_id == user.id))
    if mentor is None:
        raise NotFound(_l("Create your mentor profile first."))
    return mentor


# --- free slots --------------------------------------------------------------------------------


def _candidate_slots(
    session: Session, mentor: Mentor, start: datetime, end: datetime
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
    mentor: Mentor,
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
    mentor: Mentor,
    starts_at: datetime,
    *,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> Slot | None:
    """The free slot starting exactly at ``starts_at``, or None."""
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
    mentor: Mentor,
    moment: datetime | None = None,
    *,
    exclude_session_id: int | None = None,
) -> int:
    """The mentor's sessions that use up capacity in the month (their zone's calendar month)
    of ``moment``."""
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
            in_ids(MentorSession.mentor_id, ids),
            MentorSession.status.in_(CAPACITY_STATUSES),
            MentorSession.starts_at >= start,
            MentorSession.starts_at < end,
        )
        .group_by(MentorSession.mentor_id)
    ).all()
    counts = {mid: 0 for mid in ids}
    counts.update({mid: n for mid, n in rows})
    return counts


def at_capacity(session: Session, mentor: Mentor, moment: datetime | None = None) -> bool:
    """Whether the mentor's sessions in the month of ``moment`` reach their monthly capacity."""
    return sessions_in_month(session, mentor, moment) >= mentor.capacity_per_month


def receiving_requests(session: Session, mentor: Mentor) -> bool:
    """Whether a founder may send this mentor a request now (active, not paused, capacity left)."""
    return bool(mentor.is_active and mentor.accepting_requests) and not at_capacity(session, mentor)


def sessions_used_this_month(session: Session, mentor_ids: Sequence[int]) -> Mapping[int, float]:
    """The engine's mentor capacity (``services.recommendations.bridge``): each mentor's sessions
    this month; at ``capacity_per_month`` a mentor gets no new matches."""
    return {k: float(v) for k, v in sessions_this_month_by_mentor(session, mentor_ids).items()}
