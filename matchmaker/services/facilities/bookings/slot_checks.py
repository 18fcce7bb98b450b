"""May this slot be booked? Every rule of the instrument checked in the order a founder can
act on (who, when, how long, where in the calendar, quota), then whether someone else holds the
time, and the refusal said as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, User, utcnow
from matchmaker.models.bookings import ACTIVE_BOOKING_STATUSES, BookingRules, EquipmentBooking
from matchmaker.services.errors import Conflict, Forbidden, Invalid
from matchmaker.services.facilities.equipment_availability import (
    Interval,
    active_bookings,
    is_member,
    is_trained,
    open_intervals,
    rules_for,
    total_hours,
)
from matchmaker.timezones import to_utc, wall_clock


def week_bounds(moment: datetime) -> Interval:
    """The facility-local Monday-to-Sunday week containing ``moment``, in UTC."""
    local = wall_clock(moment)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time())
    return to_utc(monday), to_utc(monday + timedelta(days=7))


def booked_hours_in_week(
    session: Session, equipment_id: int, startup_id: int, moment: datetime
) -> Decimal:
    """Hours the startup holds on the instrument in the local week of ``moment`` (the quota)."""
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
class WantedSlot:
    """The time a founder asks for, to book or to wait for: an instrument, the startup it is
    for, and its start and end (naive UTC)."""

    equipment_id: int
    startup_id: int
    starts_at: datetime
    ends_at: datetime

    def weeks_later(self, weeks: int) -> WantedSlot:
        """The same slot ``weeks`` weeks on (a weekly series' occurrence)."""
        shift = timedelta(weeks=weeks)
        return replace(self, starts_at=self.starts_at + shift, ends_at=self.ends_at + shift)


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
    _check_booker(session, request)
    minutes = _check_times(request, rules, now)
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


def _check_booker(session: Session, request: SlotRequest) -> None:
    """Who may book the instrument at all: a member of the startup, trained if it must be."""
    equipment = request.equipment
    if not equipment.is_active:
        raise Invalid(_l("This instrument is not available for booking."))
    if not is_member(session, request.startup_id, request.user):
        raise Forbidden(_l("You can only book for a startup you are a member of."))
    if request.ends_at <= request.starts_at:
        raise Invalid(_l("The booking must end after it starts."), field="duration")
    if equipment.training_required and not is_trained(
        session, equipment.id, request.user.id, wall_clock(request.ends_at).date()
    ):
        raise Forbidden(
            _l("This instrument needs training: ask the facility to record your training first.")
        )


def _check_times(request: SlotRequest, rules: BookingRules, now: datetime) -> int:
    """When and how long, by the instrument's rules; returns the booking's minutes."""
    starts, ends = request.starts_at, request.ends_at
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
    local_start = wall_clock(starts)
    if (
        minutes % rules.granularity_minutes
        or (local_start.hour * 60 + local_start.minute) % rules.granularity_minutes
        or local_start.second
    ):
        raise Invalid(
            _l("Bookings start and last in steps of %(n)d minutes.", n=rules.granularity_minutes),
            field="starts_at",
        )
    return minutes


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
    """Why the time is taken, as the founder can act on it: by their own startup, just now
    (after they saw it free), or before they chose it."""
    own = [b for b in taken if b.startup_id == startup_id]
    if own:
        first = own[0]
        return _l(
            "Your startup already has a booking of this instrument at that time (%(when)s).",
            when=f"{wall_clock(first.starts_at):%Y-%m-%d %H:%M}–{wall_clock(first.ends_at):%H:%M}",
        )
    since = seen_at if seen_at is not None else now - JUST_TAKEN_WINDOW
    if any(b.created_at is not None and b.created_at >= since for b in taken):
        return SLOT_TAKEN
    return SLOT_ALREADY_TAKEN
