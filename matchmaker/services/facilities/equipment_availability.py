"""When an instrument can be booked: published availability minus bookings, buffers, blackouts.

Intervals are ``(start, end)`` pairs of naive UTC datetimes, half-open. Weekly windows are the
facility's wall-clock times (the makerspace's zone, ``timezones.DEFAULT_ZONE``); everything else
is stored in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, StartupMember, User, utcnow
from matchmaker.models.bookings import (
    ACTIVE_BOOKING_STATUSES,
    AvailabilityException,
    AvailabilityWindow,
    BookingRules,
    EquipmentBooking,
    EquipmentTraining,
)
from matchmaker.services.errors import Conflict, Forbidden, Invalid
from matchmaker.timezones import to_utc as to_utc  # re-exported for the area
from matchmaker.timezones import wall_clock as to_local  # naive facility wall-clock time

Interval = tuple[datetime, datetime]


def local_today(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
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
    return [(max(s, start), min(e, end)) for s, e in intervals if e > start and s < end]


def total_hours(intervals: Iterable[Interval]) -> Decimal:
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


def _open_from(
    windows: Sequence[AvailabilityWindow],
    exceptions: Sequence[AvailabilityException],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    opened: list[Interval] = []
    day = to_local(start).date() - timedelta(days=1)
    last = to_local(end).date()
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
    opened.extend((x.starts_at, x.ends_at) for x in exceptions if x.kind == "opening")
    blackouts = [(x.starts_at, x.ends_at) for x in exceptions if x.kind == "blackout"]
    return clip(subtract(merge(opened), blackouts), start, end)


def active_bookings(
    session: Session,
    equipment_id: int,
    start: datetime,
    end: datetime,
    *,
    exclude_id: int | None = None,
) -> list[EquipmentBooking]:
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
    row = session.scalar(
        sa.select(EquipmentTraining).where(
            EquipmentTraining.equipment_id == equipment_id,
            EquipmentTraining.user_id == user_id,
        )
    )
    return row is not None and row.valid_until >= on


def is_member(session: Session, startup_id: int, user: User) -> bool:
    return session.get(StartupMember, {"startup_id": startup_id, "user_id": user.id}) is not None


def week_bounds(moment: datetime) -> Interval:
    """The facility-local Monday-to-Sunday week containing ``moment``, in UTC."""
    local = to_local(moment)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time())
    return to_utc(monday), to_utc(monday + timedelta(days=7))


def booked_hours_in_week(
    session: Session, equipment_id: int, startup_id: int, moment: datetime
) -> Decimal:
    start, end = week_bounds(moment)
    rows = session.execute(
        sa.select(EquipmentBooking.starts_at, EquipmentBooking.ends_at).where(
            EquipmentBooking.equipment_id == equipment_id,
            EquipmentBooking.startup_id == startup_id,
            EquipmentBooking.status.in_(ACTIVE_BOOKING_STATUSES),
            EquipmentBooking.starts_at >= start,
            EquipmentBooking.starts_at < end,
        )
    ).all()
    return total_hours((s, e) for s, e in rows)


@dataclass(frozen=True)
class SlotRequest:
    equipment: Equipment
    startup_id: int
    user: User
    starts_at: datetime
    ends_at: datetime


def check_slot(
    session: Session,
    request: SlotRequest,
    *,
    now: datetime | None = None,
    exclude_booking_id: int | None = None,
    seen_at: datetime | None = None,
) -> None:
    """Refuse (``Invalid``/``Forbidden``/``Conflict``) a slot that breaks a rule; else return.

    Checked in the order a founder can act on: who, when, how long, where in the calendar,
    quota, then whether someone else holds the time.

    A taken slot is told as it is: the founder's own startup holds it; someone booked it after
    the founder saw it free (``seen_at``: when the page was shown; without it, within the last
    few minutes): "just taken"; or it was taken before (a stale page, a busy time picked).
    """
    now = now or utcnow()
    equipment = request.equipment
    starts, ends = request.starts_at, request.ends_at
    rules = rules_for(session, equipment.id)
    if not equipment.is_active:
        raise Invalid(_l("This instrument is not available for booking."))
    if not is_member(session, request.startup_id, request.user):
        raise Forbidden(_l("You can only book for a startup you are a member of."))
    if ends <= starts:
        raise Invalid(_l("The booking must end after it starts."), field="duration")
    if equipment.training_required and not is_trained(
        session, equipment.id, request.user.id, to_local(ends).date()
    ):
        raise Forbidden(
            _l("This instrument needs training: ask the facility to record your training first.")
        )
    if starts < now:
        raise Invalid(_l("This time is in the past."), field="starts_at")
    if starts < now + timedelta(minutes=rules.lead_time_minutes):
        raise Invalid(
            _l("Book at least %(n)d minutes ahead.", n=rules.lead_time_minutes), field="starts_at"
        )
    if starts > now + timedelta(days=rules.horizon_days):
        raise Invalid(
            _l("Bookings open at most %(n)d days ahead.", n=rules.horizon_days), field="starts_at"
        )
    minutes = int((ends - starts).total_seconds() // 60)
    if minutes < rules.min_minutes:
        raise Invalid(_l("Book at least %(n)d minutes.", n=rules.min_minutes), field="duration")
    if minutes > rules.max_minutes:
        raise Invalid(
            _l("A booking can last at most %(n)d minutes.", n=rules.max_minutes), field="duration"
        )
    local_start = to_local(starts)
    if (
        minutes % rules.granularity_minutes
        or (local_start.hour * 60 + local_start.minute) % rules.granularity_minutes
        or local_start.second
    ):
        raise Invalid(
            _l("Bookings start and last in steps of %(n)d minutes.", n=rules.granularity_minutes),
            field="starts_at",
        )
    opened = open_intervals(session, equipment.id, starts, ends)
    if not (len(opened) == 1 and opened[0] == (starts, ends)):
        raise Invalid(_l("The instrument is not open for booking at this time."), field="starts_at")
    if rules.weekly_quota_hours is not None:
        used = booked_hours_in_week(session, equipment.id, request.startup_id, starts)
        if used + Decimal(minutes) / Decimal(60) > rules.weekly_quota_hours:
            raise Invalid(
                _l(
                    "Over the weekly quota of %(quota)s hours for your startup "
                    "(%(used)s hours already booked that week).",
                    quota=rules.weekly_quota_hours,
                    used=used,
                ),
                field="duration",
            )
    pad = timedelta(minutes=rules.buffer_minutes)
    taken = active_bookings(
        session, equipment.id, starts - pad, ends + pad, exclude_id=exclude_booking_id
    )
    if taken:
        raise Conflict(taken_message(taken, request.startup_id, now=now, seen_at=seen_at))


SLOT_TAKEN = _l("This slot has just been taken. Please choose another time.")
SLOT_ALREADY_TAKEN = _l(
    "This time was already booked by someone else before you chose it. Please choose a free "
    "slot in the calendar."
)
# Without the moment the founder saw the slot free, a booking this recent counts as a race.
JUST_TAKEN_WINDOW = timedelta(minutes=5)


def taken_message(
    taken: Sequence[EquipmentBooking],
    startup_id: int,
    *,
    now: datetime,
    seen_at: datetime | None,
) -> object:
    own = [b for b in taken if b.startup_id == startup_id]
    if own:
        first = own[0]
        return _l(
            "Your startup already has a booking of this instrument at that time (%(when)s).",
            when=f"{to_local(first.starts_at):%Y-%m-%d %H:%M}–{to_local(first.ends_at):%H:%M}",
        )
    since = seen_at if seen_at is not None else now - JUST_TAKEN_WINDOW
    if any(b.created_at is not None and b.created_at >= since for b in taken):
        return SLOT_TAKEN
    return SLOT_ALREADY_TAKEN


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
    local = to_local(moment)
    floor = local.replace(second=0, microsecond=0)
    if floor < local:
        floor += timedelta(minutes=1)
    offset = (floor.hour * 60 + floor.minute) % step
    return to_utc(floor + timedelta(minutes=(step - offset) % step))
