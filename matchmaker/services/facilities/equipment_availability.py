"""When an instrument can be booked: published availability minus bookings, buffers, blackouts.

Intervals are ``(start, end)`` pairs of naive UTC datetimes, half-open. Weekly windows are the
facility's wall-clock times (the makerspace's zone, ``timezones.DEFAULT_ZONE``); everything else
is stored in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.database import in_ids
from matchmaker.models import Equipment, StartupMember, User, utcnow
from matchmaker.models.bookings import (
    ACTIVE_BOOKING_STATUSES,
    AvailabilityException,
    AvailabilityWindow,
    BookingRules,
    EquipmentBooking,
    EquipmentTraining,
    ExceptionKind,
)
from matchmaker.timezones import to_utc, wall_clock

Interval = tuple[datetime, datetime]


def local_today(now: datetime | None = None) -> date:
    return wall_clock(now or utcnow()).date()


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with touching and overlapping intervals joined; empty ones dropped."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """What is left of ``intervals`` once every hole is cut out of them."""
    result = list(intervals)
    for h_start, h_end in merge(holes):
        nxt: list[Interval] = []
        for start, end in result:
            if h_end <= start or h_start >= end:
                nxt.append((start, end))
                continue
            if start < h_start:
                nxt.append((start, h_start))
            if h_end < end:
                nxt.append((h_end, end))
        result = nxt
    return result


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of ``intervals`` within ``[start, end)``."""
    return [(max(s, start), min(e, end)) for s, e in intervals if e > start and s < end]


def total_hours(intervals: Iterable[Interval]) -> Decimal:
    """Their length in hours, to the hundredth (intervals are assumed not to overlap)."""
    seconds = sum((e - s).total_seconds() for s, e in intervals)
    return (Decimal(int(seconds)) / Decimal(3600)).quantize(Decimal("0.01"))


def rules_for(session: Session, equipment_id: int) -> BookingRules:
    """The instrument's rules, or the defaults (not added to the session) when none were set."""
    rules = session.get(BookingRules, equipment_id)
    if rules is None:
        rules = default_rules(equipment_id)
    return rules


def default_rules(equipment_id: int) -> BookingRules:
    """The rules of an instrument whose manager set none (not added to the session)."""
    return BookingRules(
        equipment_id=equipment_id,
        min_minutes=30,
        max_minutes=480,
        granularity_minutes=30,
        buffer_minutes=0,
        lead_time_minutes=60,
        horizon_days=60,
        weekly_quota_hours=None,
        cancel_notice_hours=24,
    )


def open_intervals(
    session: Session, equipment_id: int, start: datetime, end: datetime
) -> list[Interval]:
    """Published opening time of an instrument within ``[start, end)``: weekly windows plus
    one-off openings, minus maintenance blackouts."""
    windows = list(
        session.scalars(
            sa.select(AvailabilityWindow).where(AvailabilityWindow.equipment_id == equipment_id)
        )
    )
    exceptions = list(
        session.scalars(
            sa.select(AvailabilityException).where(
                AvailabilityException.equipment_id == equipment_id,
                AvailabilityException.ends_at > start,
                AvailabilityException.starts_at < end,
            )
        )
    )
    return _open_from(windows, exceptions, start, end)


def availability_by_equipment(
    session: Session, ids: Sequence[int], start: datetime, end: datetime
) -> tuple[dict[int, list[AvailabilityWindow]], dict[int, list[AvailabilityException]]]:
    """The weekly windows of each of ``ids`` and its exceptions that meet ``[start, end)``, in
    two statements whatever their number."""
    windows: dict[int, list[AvailabilityWindow]] = {i: [] for i in ids}
    for w in session.scalars(
        sa.select(AvailabilityWindow).where(in_ids(AvailabilityWindow.equipment_id, ids))
    ):
        windows[w.equipment_id].append(w)
    exceptions: dict[int, list[AvailabilityException]] = {i: [] for i in ids}
    for x in session.scalars(
        sa.select(AvailabilityException).where(
            in_ids(AvailabilityException.equipment_id, ids),
            AvailabilityException.ends_at > start,
            AvailabilityException.starts_at < end,
        )
    ):
        exceptions[x.equipment_id].append(x)
    return windows, exceptions


def open_intervals_by_equipment(
    session: Session, spans: Mapping[int, tuple[datetime, datetime]]
) -> dict[int, list[Interval]]:
    """``open_intervals`` of many instruments, each over its own ``[start, end)`` span, in
    two statements whatever their number (the annual report asked per instrument: 224 of its
    260 statements on the demo data)."""
    if not spans:
        return {}
    windows, exceptions = availability_by_equipment(
        session,
        sorted(spans),
        min(start for start, _ in spans.values()),
        max(end for _, end in spans.values()),
    )
    return {
        i: _open_from(
            windows[i], [x for x in exceptions[i] if x.ends_at > start and x.starts_at < end],
            start, end,
        )
        for i, (start, end) in spans.items()
    }  # fmt: skip


def _open_from(
    windows: Sequence[AvailabilityWindow],
    exceptions: Sequence[AvailabilityException],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    opened: list[Interval] = []
    day = wall_clock(start).date() - timedelta(days=1)
    last = wall_clock(end).date()
    while day <= last:
        for w in windows:
            if w.weekday == day.weekday():
                opened.append(
                    (
                        to_utc(datetime.combine(day, w.start_time)),
                        to_utc(datetime.combine(day, w.end_time)),
                    )
                )
        day += timedelta(days=1)
    opened.extend((x.starts_at, x.ends_at) for x in exceptions if x.kind == ExceptionKind.OPENING)
    blackouts = [(x.starts_at, x.ends_at) for x in exceptions if x.kind == ExceptionKind.BLACKOUT]
    return clip(subtract(merge(opened), blackouts), start, end)


def active_bookings(
    session: Session,
    equipment_id: int,
    start: datetime,
    end: datetime,
    *,
    exclude_id: int | None = None,
) -> list[EquipmentBooking]:
    """Bookings that hold the instrument's time (``ACTIVE_BOOKING_STATUSES``) overlapping
    ``[start, end)``, earliest first (buffers are the caller's to add)."""
    stmt = sa.select(EquipmentBooking).where(
        EquipmentBooking.equipment_id == equipment_id,
        EquipmentBooking.status.in_(ACTIVE_BOOKING_STATUSES),
        EquipmentBooking.ends_at > start,
        EquipmentBooking.starts_at < end,
    )
    if exclude_id is not None:
        stmt = stmt.where(EquipmentBooking.id != exclude_id)
    return list(session.scalars(stmt.order_by(EquipmentBooking.starts_at)))


def busy_intervals(bookings: Iterable[EquipmentBooking], buffer_minutes: int) -> list[Interval]:
    """Booked time widened by the buffer the instrument needs between two users."""
    pad = timedelta(minutes=buffer_minutes)
    return merge((b.starts_at - pad, b.ends_at + pad) for b in bookings)


def free_intervals(
    session: Session, equipment: Equipment, start: datetime, end: datetime
) -> list[Interval]:
    """Open time not taken by an active booking (nor its buffer), within ``[start, end)``."""
    rules = rules_for(session, equipment.id)
    pad = timedelta(minutes=rules.buffer_minutes)
    bookings = active_bookings(session, equipment.id, start - pad, end + pad)
    return subtract(
        open_intervals(session, equipment.id, start, end),
        busy_intervals(bookings, rules.buffer_minutes),
    )


def is_trained(session: Session, equipment_id: int, user_id: int, on: date) -> bool:
    """Whether the user's training on the instrument is still valid on that (local) day."""
    row = session.scalar(
        sa.select(EquipmentTraining).where(
            EquipmentTraining.equipment_id == equipment_id,
            EquipmentTraining.user_id == user_id,
        )
    )
    return row is not None and row.valid_until >= on


def is_member(session: Session, startup_id: int, user: User) -> bool:
    """Whether ``user`` is on the startup's team (only members book for a startup)."""
    return session.get(StartupMember, {"startup_id": startup_id, "user_id": user.id}) is not None


def candidate_slots(
    session: Session,
    equipment: Equipment,
    minutes: int,
    window_start: datetime,
    window_end: datetime,
    *,
    now: datetime | None = None,
    limit: int = 3,
) -> list[Interval]:
    """The earliest starts of ``minutes``-long free slots within the window, by the rules.

    Training and quota are the caller's to check (they depend on who books).
    """
    now = now or utcnow()
    rules = rules_for(session, equipment.id)
    step = rules.granularity_minutes
    minutes = max(rules.min_minutes, -(-minutes // step) * step)
    if minutes > rules.max_minutes:
        minutes = rules.max_minutes
    earliest = max(window_start, now + timedelta(minutes=rules.lead_time_minutes))
    latest = min(window_end, now + timedelta(days=rules.horizon_days))
    if latest <= earliest:
        return []
    length = timedelta(minutes=minutes)
    found: list[Interval] = []
    for start, end in free_intervals(session, equipment, earliest, latest + length):
        cursor = next_aligned(start, step)
        while cursor + length <= end and cursor <= latest:
            if cursor >= earliest:
                found.append((cursor, cursor + length))
                if len(found) >= limit:
                    return found
                # Offer distinct options rather than every half hour of one afternoon.
                cursor += length
                continue
            cursor += timedelta(minutes=step)
    return found


def next_aligned(moment: datetime, step: int) -> datetime:
    """The first time at or after ``moment`` on the ``step``-minute grid of the local day."""
    local = wall_clock(moment)
    floor = local.replace(second=0, microsecond=0)
    if floor < local:
        floor += timedelta(minutes=1)
    offset = (floor.hour * 60 + floor.minute) % step
    return to_utc(floor + timedelta(minutes=(step - offset) % step))
