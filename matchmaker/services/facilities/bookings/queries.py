"""Read side of bookings: lists for founders and managers, the free-slot calendar, feeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from matchmaker.database import in_ids
from matchmaker.models import (
    Equipment,
    FacilityManager,
    StartupMember,
    User,
    utcnow,
)
from matchmaker.models.bookings import (
    ACTIVE_BOOKING_STATUSES,
    BookingRules,
    BookingStatus,
    EquipmentBooking,
    Voucher,
    WaitlistEntry,
    WaitlistStatus,
)
from matchmaker.services.calendar import CalendarEvent
from matchmaker.services.facilities.bookings.notices import parties_loaded
from matchmaker.services.facilities.equipment_availability import (
    Interval,
    _open_from,
    active_bookings,
    availability_by_equipment,
    busy_intervals,
    default_rules,
    free_intervals,
    local_today,
    open_intervals,
    subtract,
)
from matchmaker.timezones import to_utc, wall_clock


def _booking_options() -> list[object]:
    # Every one of these is many-to-one: joined into the booking query itself, so a list of
    # bookings is one statement whatever its length (five eager selects made it six).
    return [
        joinedload(EquipmentBooking.equipment).joinedload(Equipment.facility),
        joinedload(EquipmentBooking.startup),
        joinedload(EquipmentBooking.user),
        joinedload(EquipmentBooking.voucher),
    ]


def founder_bookings(session: Session, user: User) -> list[EquipmentBooking]:
    """The latest 200 bookings of every startup ``user`` is a member of, newest first, with
    their instrument, facility, startup, booker and voucher (one statement)."""
    startup_ids = sa.select(StartupMember.startup_id).where(StartupMember.user_id == user.id)
    return list(
        session.scalars(
            sa.select(EquipmentBooking)
            .where(EquipmentBooking.startup_id.in_(startup_ids))
            .options(*_booking_options())  # type: ignore[arg-type]
            .order_by(EquipmentBooking.starts_at.desc())
            .limit(200)
        )
    )


@dataclass(frozen=True)
class FounderBookingsPanel:
    """The dashboard card of a founder: the next bookings and what their vouchers still hold."""

    upcoming: list[EquipmentBooking]
    balance: Decimal


@lru_cache(maxsize=4)
def _founder_panel_statements(limit: int) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """``founder_bookings_panel``'s two statements, for the user bound as ``user_id`` at the
    ``now`` (and local ``today``) bound when they run: built once per process (building them
    and their cache keys cost more than running them)."""
    user_id: sa.BindParameter[int] = sa.bindparam("user_id", type_=sa.Integer)
    startup_ids = sa.select(StartupMember.startup_id).where(StartupMember.user_id == user_id)
    upcoming = (
        sa.select(EquipmentBooking)
        .where(
            EquipmentBooking.startup_id.in_(startup_ids),
            EquipmentBooking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED)),
            EquipmentBooking.ends_at > sa.bindparam("now"),
        )
        .options(joinedload(EquipmentBooking.equipment))
        .order_by(EquipmentBooking.starts_at, EquipmentBooking.id)
        .limit(limit)
    )
    balance = sa.select(sa.func.coalesce(sa.func.sum(Voucher.balance), 0)).where(
        Voucher.startup_id.in_(startup_ids), Voucher.valid_until >= sa.bindparam("today")
    )
    return upcoming, balance


def founder_bookings_panel(
    session: Session, user: User, *, now: datetime | None = None, limit: int = 5
) -> FounderBookingsPanel:
    """The ``limit`` soonest pending or confirmed bookings not yet over (with their instrument)
    and the balance of the vouchers still valid today, of every startup ``user`` is a member of.

    Two statements whatever the data: the dashboard runs this on every load."""
    now = now or utcnow()
    upcoming_stmt, balance_stmt = _founder_panel_statements(limit)
    upcoming = session.scalars(upcoming_stmt, {"user_id": user.id, "now": now}).all()
    balance = session.scalar(balance_stmt, {"user_id": user.id, "today": local_today(now)})
    return FounderBookingsPanel(upcoming=list(upcoming), balance=balance or Decimal("0"))


def founder_waitlist(session: Session, user: User) -> list[WaitlistEntry]:
    """The slots ``user`` waits for or is offered, soonest first, with their instrument."""
    return list(
        session.scalars(
            sa.select(WaitlistEntry)
            .where(
                WaitlistEntry.user_id == user.id,
                WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
            )
            .options(selectinload(WaitlistEntry.equipment))
            .order_by(WaitlistEntry.starts_at)
        )
    )


def _managed_equipment_ids(user: User) -> sa.Select[Any]:
    stmt = sa.select(Equipment.id)
    if not user.is_operator:
        stmt = stmt.join(
            FacilityManager, FacilityManager.facility_id == Equipment.facility_id
        ).where(FacilityManager.user_id == user.id)
    return stmt


@dataclass
class ManagerInbox:
    pending: list[EquipmentBooking]
    upcoming: list[EquipmentBooking]
    to_close: list[EquipmentBooking]


def manager_inbox(session: Session, user: User, now: datetime | None = None) -> ManagerInbox:
    """Pending requests, confirmed bookings ahead, and started ones still without an outcome."""
    now = now or utcnow()
    ids = _managed_equipment_ids(user)
    base = (
        sa.select(EquipmentBooking)
        .where(EquipmentBooking.equipment_id.in_(ids))
        .options(*_booking_options())  # type: ignore[arg-type]
        .order_by(EquipmentBooking.starts_at)
    )
    status = EquipmentBooking.status
    pending = list(session.scalars(base.where(status == BookingStatus.PENDING)))
    confirmed = list(session.scalars(base.where(status == BookingStatus.CONFIRMED)))
    return ManagerInbox(
        pending=pending,
        upcoming=[b for b in confirmed if b.starts_at > now],
        to_close=[b for b in confirmed if b.starts_at <= now],
    )


def booking_detail(session: Session, booking_id: int) -> EquipmentBooking | None:
    """One booking with everything its page shows and checks (who manages it), or None."""
    return session.scalar(
        sa.select(EquipmentBooking)
        .where(EquipmentBooking.id == booking_id)
        .options(
            *parties_loaded(),
            selectinload(EquipmentBooking.user),
            selectinload(EquipmentBooking.voucher),
        )
    )


@dataclass(frozen=True)
class CalendarDay:
    day: date
    open: list[Interval]  # local wall-clock times
    free: list[Interval]
    booked: list[Interval]


def week_calendar(
    session: Session, equipment: Equipment, week_start: date, days: int = 7
) -> list[CalendarDay]:
    """Per local day: opening hours, free time and booked time, all as local datetimes."""
    start = to_utc(datetime.combine(week_start, time()))
    end = start + timedelta(days=days)
    now = utcnow()
    opened = open_intervals(session, equipment.id, start, end)
    free = [(max(s, now), e) for s, e in free_intervals(session, equipment, start, end) if e > now]
    booked = [(b.starts_at, b.ends_at) for b in active_bookings(session, equipment.id, start, end)]
    out = []
    for i in range(days):
        d = week_start + timedelta(days=i)
        lo = to_utc(datetime.combine(d, time()))
        hi = lo + timedelta(days=1)

        def on_day(items: list[Interval], lo: datetime = lo, hi: datetime = hi) -> list[Interval]:
            return [
                (wall_clock(max(s, lo)), wall_clock(min(e, hi)))
                for s, e in items
                if e > lo and s < hi
            ]

        out.append(CalendarDay(d, on_day(opened), on_day(free), on_day(booked)))
    return out


def booking_event(booking: EquipmentBooking, *, private: bool = True) -> CalendarEvent:
    """A booking as a calendar event; ``private=False`` (an instrument's public feed)
    leaves out who booked it and why."""
    equipment = booking.equipment
    summary = f"{equipment.name} · {booking.startup.name}" if private else equipment.name
    return CalendarEvent(
        uid=f"equipment-booking-{booking.id}@matchmaker",
        summary=summary,
        start=booking.starts_at,
        end=booking.ends_at,
        description=booking.purpose if private else "",
        location=f"{equipment.facility.name}, {equipment.facility.address}".strip(", "),
        status={
            BookingStatus.PENDING: "TENTATIVE",
            BookingStatus.CANCELLED: "CANCELLED",
            BookingStatus.DECLINED: "CANCELLED",
        }.get(BookingStatus(booking.status), "CONFIRMED"),
    )


def user_feed_events(session: Session, user: User) -> list[CalendarEvent]:
    """The feed provider: a founder's bookings and the bookings of the facilities one manages."""
    since = utcnow() - timedelta(days=30)
    startup_ids = sa.select(StartupMember.startup_id).where(StartupMember.user_id == user.id)
    managed = (
        sa.select(Equipment.id)
        .join(FacilityManager, FacilityManager.facility_id == Equipment.facility_id)
        .where(FacilityManager.user_id == user.id)
    )
    bookings = session.scalars(
        sa.select(EquipmentBooking)
        .where(
            EquipmentBooking.ends_at >= since,
            EquipmentBooking.status.in_(ACTIVE_BOOKING_STATUSES),
            sa.or_(
                EquipmentBooking.startup_id.in_(startup_ids),
                EquipmentBooking.equipment_id.in_(managed),
            ),
        )
        .options(*_booking_options())  # type: ignore[arg-type]
    )
    return [booking_event(b) for b in bookings]


def equipment_feed_events(session: Session, equipment_id: int) -> list[CalendarEvent]:
    """Public feed of an instrument: when it is taken, without saying by whom."""
    since = utcnow() - timedelta(days=30)
    bookings = session.scalars(
        sa.select(EquipmentBooking)
        .where(
            EquipmentBooking.equipment_id == equipment_id,
            EquipmentBooking.ends_at >= since,
            EquipmentBooking.status.in_(ACTIVE_BOOKING_STATUSES),
        )
        .options(*_booking_options())  # type: ignore[arg-type]
    )
    return [booking_event(b, private=False) for b in bookings]


def free_intervals_by_equipment(
    session: Session,
    equipment_ids: Sequence[int],
    start: datetime,
    end: datetime,
    *,
    from_lead_time: bool = False,
) -> dict[int, list[Interval]]:
    """``free_intervals`` of many instruments in four queries, whatever their number.

    With ``from_lead_time`` each instrument's time starts at ``start`` plus its own lead time
    (what a founder can still book). Called once per recommendation of instruments (the
    engine's capacity provider): per instrument it ran four queries, 224 of a dashboard's 260.
    """
    ids = sorted(set(equipment_ids))
    if not ids:
        return {}
    set_rules = sa.select(BookingRules).where(in_ids(BookingRules.equipment_id, ids))
    rules = {r.equipment_id: r for r in session.scalars(set_rules)}
    windows, exceptions = availability_by_equipment(session, ids, start, end)
    # Only the lead time and the buffer are read below: one default object serves every
    # instrument without rules (one each took 12.6 s of 47 s for 100,000 instruments).
    fallback = default_rules(0)
    own = {i: rules.get(i, fallback) for i in ids}
    pad = timedelta(minutes=max(r.buffer_minutes for r in own.values()))
    bookings: dict[int, list[EquipmentBooking]] = {i: [] for i in ids}
    for b in session.scalars(
        sa.select(EquipmentBooking)
        .where(
            in_ids(EquipmentBooking.equipment_id, ids),
            EquipmentBooking.status.in_(ACTIVE_BOOKING_STATUSES),
            EquipmentBooking.ends_at > start - pad,
            EquipmentBooking.starts_at < end + pad,
        )
        .order_by(EquipmentBooking.starts_at)
    ):
        bookings[b.equipment_id].append(b)
    out: dict[int, list[Interval]] = {}
    for i in ids:
        r = own[i]
        lo = start + timedelta(minutes=r.lead_time_minutes) if from_lead_time else start
        if lo >= end:
            out[i] = []
            continue
        mine = timedelta(minutes=r.buffer_minutes)
        near = [b for b in bookings[i] if b.ends_at > lo - mine and b.starts_at < end + mine]
        opened = _open_from(
            windows[i], [x for x in exceptions[i] if x.ends_at > lo and x.starts_at < end], lo, end
        )
        out[i] = subtract(opened, busy_intervals(near, r.buffer_minutes))
    return out
