"""Demo shared-facility time: availability and rules for every instrument, innovation vouchers
with their ledger, six weeks of completed, no-show and cancelled bookings (so the utilisation
page has something to show), and upcoming bookings, one of them awaiting the demo manager's
approval. Rows are written directly (no notifications), consistent with every constraint; the
voucher ledger (issue, hold, redeem, release) and the engine's outcomes go through the services'
own functions, then are dated in the demo's past; a booking's price is the booking service's."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.orm import Session

from matchmaker.demo.context import DemoContext
from matchmaker.models import Equipment, MatchOutcome, Startup, User
from matchmaker.models.bookings import (
    AvailabilityException,
    AvailabilityWindow,
    BookingRules,
    BookingStatus,
    EquipmentBooking,
    EquipmentTraining,
    Voucher,
    VoucherEntry,
    VoucherEntryKind,
)
from matchmaker.services.facilities import vouchers
from matchmaker.services.facilities.bookings import notices, reserve
from matchmaker.timezones import to_utc

_Dated = TypeVar("_Dated", MatchOutcome, VoucherEntry)

# Non-overlapping local slots of a working day (start hour, minute, length in minutes).
SLOTS = [(9, 0, 120), (11, 30, 90), (14, 0, 180)]
PURPOSES = [
    "正极材料物相分析",
    "Prototype housing, second iteration",
    "小批量试产工艺验证",
    "Surface morphology of coated samples",
    "结构件尺寸检测",
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(datetime.combine(day, time(hour, minute)))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _take_slot(
    rng: random.Random, day: date, taken: set[tuple[date, int]]
) -> tuple[int, int, int] | None:
    """A random one of ``day``'s SLOTS, marked in ``taken``; None if that one was taken already
    (the caller skips the booking rather than drawing again, which keeps days uneven)."""
    slot = rng.randrange(len(SLOTS))
    if (day, slot) in taken:
        return None
    taken.add((day, slot))
    return SLOTS[slot]


def _publish(session: Session, ctx: DemoContext, eq: Equipment) -> None:
    for weekday in range(5):
        session.add(
            AvailabilityWindow(
                equipment_id=eq.id, weekday=weekday, start_time=time(9), end_time=time(18)
            )
        )
    if ctx.rng.random() < 0.4:
        session.add(
            AvailabilityWindow(equipment_id=eq.id, weekday=5, start_time=time(9), end_time=time(12))
        )
    session.add(
        BookingRules(
            equipment_id=eq.id,
            min_minutes=30,
            max_minutes=480,
            granularity_minutes=30,
            buffer_minutes=ctx.rng.choice([0, 0, 15, 30]),
            lead_time_minutes=120,
            horizon_days=90,
            weekly_quota_hours=ctx.rng.choice([None, None, Decimal("12"), Decimal("20")]),
            cancel_notice_hours=24,
        )
    )
    # A maintenance day in the coming weeks for some instruments.
    if ctx.rng.random() < 0.3:
        day = _monday(ctx.anchor) + timedelta(days=21 + ctx.rng.randint(0, 4))
        session.add(
            AvailabilityException(
                equipment_id=eq.id,
                kind="blackout",
                starts_at=_at(day, 9),
                ends_at=_at(day, 18),
                note="年度维护 / annual maintenance",
            )
        )


def _vouchers(session: Session, ctx: DemoContext) -> dict[int, Voucher]:
    operator = next(iter(ctx.users_by_role.get("operator", [])), None)
    founder = ctx.demo_users.get("founder")
    chosen = [s for s in ctx.startups if s.members and ctx.rng.random() < 0.4]
    demo_startups = [s for s in ctx.startups if founder and s.has_member(founder)]
    out: dict[int, Voucher] = {}
    for i, startup in enumerate(dict.fromkeys([*demo_startups, *chosen])):
        amount = Decimal(ctx.rng.choice([5000, 10000, 20000]))
        voucher = Voucher(
            code=f"CXQ-2026-D{i + 1:03d}",
            startup_id=startup.id,
            amount=amount,
            balance=amount,
            valid_from=ctx.anchor - timedelta(days=90),
            valid_until=ctx.anchor + timedelta(days=275),
            categories=["testing", "prototyping", "pilot_production"],
            note="2026年度科技创新券 / 2026 innovation voucher",
            issued_by_id=operator.id if operator else None,
        )
        vouchers.add_issued(session, voucher, at=datetime.combine(voucher.valid_from, time(2)))
        out[startup.id] = voucher
    return out


def _book(
    session: Session,
    eq: Equipment,
    startup: Startup,
    start: datetime,
    minutes: int,
    status: str,
    purpose: str,
    voucher: Voucher | None,
    manager: User,
) -> EquipmentBooking:
    end = start + timedelta(minutes=minutes)
    made = start - timedelta(days=5)
    booking = EquipmentBooking(
        equipment_id=eq.id,
        startup_id=startup.id,
        user_id=startup.members[0].user_id,
        starts_at=start,
        ends_at=end,
        status=status,
        purpose=purpose,
        price=reserve.booking_price(eq, start, end),
        created_at=made,
        updated_at=made,
    )
    if status == "completed":
        booking.actual_minutes = minutes - 15 * (len(purpose) % 2)
        booking.checked_in_at = start
        booking.completed_at = end
    session.add(booking)
    session.flush()
    if voucher is not None and eq.voucher_eligible and eq.category in voucher.categories:
        _pay_with_voucher(session, booking, voucher, manager)
    # The engine learns from the booking, then from how it went once it is over.
    notices.record_outcome(session, booking, "booked")
    if status in ("completed", "no_show"):
        notices.record_outcome(session, booking, status)
    _date_unflushed(session, MatchOutcome, lambda o: end if o.outcome == status else made)
    return booking


def _pay_with_voucher(
    session: Session, booking: EquipmentBooking, voucher: Voucher, manager: User
) -> None:
    """Hold the voucher's value on a demo booking, then redeem it (completed) or release it
    (no-show), through the voucher service; its ledger entries are dated in the demo's past
    (held when the booking was made, redeemed or released when it ended)."""
    status = booking.status
    if voucher.balance <= 0 or status == BookingStatus.CANCELLED:
        return
    with session.no_autoflush:
        vouchers.hold(session, booking, voucher.id, None, booking.user)
        if status == BookingStatus.COMPLETED:
            vouchers.redeem(session, booking, manager)
        elif status == BookingStatus.NO_SHOW:
            vouchers.release(session, booking, manager)
        _date_unflushed(
            session,
            VoucherEntry,
            lambda e: booking.created_at if e.kind == VoucherEntryKind.HOLD else booking.ends_at,
        )


def _date_unflushed(
    session: Session, model: type[_Dated], when: Callable[[_Dated], datetime]
) -> None:
    """Date the ``model`` rows a service has just added (not flushed, so still undated) in the
    demo's past: services stamp their rows now, and the API's service-event feed copies a
    ledger entry's date when it is flushed."""
    for row in session.new:
        if isinstance(row, model) and row.created_at is None:
            row.created_at = when(row)


def load_area(session: Session, ctx: DemoContext) -> None:
    rng = ctx.rng
    startups = [s for s in ctx.startups if s.members]
    if not ctx.equipment or not startups:
        return
    for eq in ctx.equipment:
        _publish(session, ctx, eq)
    startup_vouchers = _vouchers(session, ctx)
    founder = ctx.demo_users.get("founder")
    demo_startup = next((s for s in startups if founder and s.has_member(founder)), None)
    for eq in ctx.equipment:
        if eq.training_required and founder is not None:
            session.add(
                EquipmentTraining(
                    equipment_id=eq.id,
                    user_id=founder.id,
                    valid_until=ctx.anchor + timedelta(days=180),
                )
            )
    first_monday = _monday(ctx.anchor) - timedelta(weeks=6)
    for eq in ctx.equipment:
        manager = eq.facility.managers[0].user  # build_facilities gives each facility one
        taken: set[tuple[date, int]] = set()
        # Six weeks of history, busier for testing instruments.
        per_week = 4 if eq.category == "testing" else 2
        for week in range(6):
            for _ in range(rng.randint(1, per_week)):
                day = first_monday + timedelta(weeks=week, days=rng.randint(0, 4))
                slot = _take_slot(rng, day, taken)
                if slot is None:
                    continue
                hour, minute, minutes = slot
                startup = rng.choice(startups)
                status = rng.choices(["completed", "no_show", "cancelled"], [85, 7, 8])[0]
                _book(
                    session, eq, startup, _at(day, hour, minute), minutes, status,
                    rng.choice(PURPOSES), startup_vouchers.get(startup.id), manager,
                )  # fmt: skip
        # Upcoming weeks: confirmed bookings, and requests awaiting approval.
        start_monday = _monday(ctx.anchor) + timedelta(weeks=4)
        for _ in range(rng.randint(1, 3)):
            day = start_monday + timedelta(days=rng.randint(0, 11))
            if day.weekday() > 4:
                continue
            slot = _take_slot(rng, day, taken)
            if slot is None:
                continue
            hour, minute, minutes = slot
            startup = rng.choice(startups)
            status = "pending" if eq.booking_mode == "approval" else "confirmed"
            _book(
                session, eq, startup, _at(day, hour, minute), minutes, status,
                rng.choice(PURPOSES), startup_vouchers.get(startup.id), manager,
            )  # fmt: skip
        if demo_startup is not None and eq.category == "testing" and eq.booking_mode == "approval":
            day = start_monday + timedelta(days=14)
            if (day, 0) not in taken:
                taken.add((day, 0))
                _book(
                    session, eq, demo_startup, _at(day, 9), 120, "pending",
                    "正极粉末XRD物相分析", startup_vouchers.get(demo_startup.id), manager,
                )  # fmt: skip
    session.flush()
