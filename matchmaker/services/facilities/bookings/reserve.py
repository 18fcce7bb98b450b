"""Booking equipment time: book one slot, book weekly, wait for a taken slot and take it when
offered. One function per use case; each commits once (``services.transactions``). What
happens to a booking afterwards (approve, cancel, usage...) is ``lifecycle``.

No double booking: every use case that takes time calls ``begin_write`` (SQLite: the database's
write lock, so the check below and the insert are atomic) and locks the instrument's row
(PostgreSQL: ``SELECT ... FOR UPDATE`` serialises bookings of one instrument); the exclusion
constraint of migration 0004 is the last word on PostgreSQL and any ``IntegrityError`` at
commit becomes the same "slot taken" ``Conflict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, Notification, User, utcnow
from matchmaker.models.bookings import (
    BookingSeries,
    BookingStatus,
    EquipmentBooking,
    WaitlistEntry,
    WaitlistStatus,
)
from matchmaker.models.facilities import BookingMode
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from matchmaker.services.facilities import vouchers
from matchmaker.services.facilities.bookings.notices import (
    commit_and_send,
    notify_parties,
    record_outcome,
)
from matchmaker.services.facilities.bookings.slot_checks import (
    SLOT_TAKEN,
    SlotRequest,
    WantedSlot,
    check_slot,
)
from matchmaker.services.facilities.equipment_availability import is_member
from matchmaker.services.transactions import commit, use_case


def _lock_equipment(session: Session, equipment_id: int) -> Equipment:
    equipment = session.scalar(
        sa.select(Equipment)
        .where(Equipment.id == equipment_id)
        .options(selectinload(Equipment.facility).selectinload(Facility.managers))
        .with_for_update(of=Equipment)
    )
    if equipment is None:
        raise NotFound(_l("No such instrument."))
    return equipment


def booking_price(equipment: Equipment, starts_at: datetime, ends_at: datetime) -> Decimal:
    """What booking ``equipment`` from ``starts_at`` to ``ends_at`` costs: its hourly price
    for the exact length (whole seconds, no rounding up to an hour), to the cent."""
    hours = Decimal(int((ends_at - starts_at).total_seconds())) / Decimal(3600)
    return (equipment.price_per_hour * hours).quantize(Decimal("0.01"))


def _book(
    session: Session,
    user: User,
    equipment: Equipment,
    slot: WantedSlot,
    *,
    purpose: str,
    voucher_id: int | None,
    voucher_amount: Decimal | None,
    now: datetime,
    seen_at: datetime | None = None,
    voucher_optional: bool = False,
) -> EquipmentBooking:
    """Check and add one booking of ``slot`` on the locked ``equipment`` (its instrument)
    inside the caller's write transaction (no commit). With ``voucher_optional`` (a series'
    week) the voucher pays if its balance still can, else the booking is made without it."""
    starts_at, ends_at = slot.starts_at, slot.ends_at
    check_slot(
        session,
        SlotRequest(equipment, slot.startup_id, user, starts_at, ends_at),
        now=now,
        seen_at=seen_at,
    )
    booking = EquipmentBooking(
        equipment=equipment,
        startup_id=slot.startup_id,
        user_id=user.id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=(
            BookingStatus.CONFIRMED
            if equipment.booking_mode == BookingMode.INSTANT
            else BookingStatus.PENDING
        ),
        purpose=purpose.strip()[:500],
        price=booking_price(equipment, starts_at, ends_at),
    )
    session.add(booking)
    try:
        session.flush()
    except IntegrityError as exc:  # the no-overlap constraint: someone took the time first
        raise Conflict(SLOT_TAKEN) from exc
    if voucher_id and voucher_optional:
        try:
            with session.begin_nested():
                vouchers.hold(session, booking, voucher_id, voucher_amount, user)
        except ServiceError:
            pass  # booked without the voucher; the series report shows the amount
    elif voucher_id:
        vouchers.hold(session, booking, voucher_id, voucher_amount, user)
    record_outcome(session, booking, "booked")
    return booking


def _notify_new(session: Session, booking: EquipmentBooking) -> list[Notification]:
    kind = (
        "facilities.booking_confirmed"
        if booking.status == BookingStatus.CONFIRMED
        else "facilities.booking_requested"
    )
    return notify_parties(session, booking, kind)


@use_case
def create_booking(
    session: Session,
    user: User,
    slot: WantedSlot,
    *,
    purpose: str = "",
    voucher_id: int | None = None,
    voucher_amount: Decimal | None = None,
    now: datetime | None = None,
    seen_at: datetime | None = None,
) -> EquipmentBooking:
    """Book one slot: confirmed at once (instant instruments) or pending approval.

    ``seen_at``: when the founder was shown the slot free, so that a refusal says whether the
    slot was just taken or already taken before."""
    now = now or utcnow()
    begin_write(session)
    equipment = _lock_equipment(session, slot.equipment_id)
    booking = _book(
        session,
        user,
        equipment,
        slot,
        purpose=purpose,
        voucher_id=voucher_id,
        voucher_amount=voucher_amount,
        now=now,
        seen_at=seen_at,
    )
    rows = _notify_new(session, booking)
    commit_and_send(session, rows, SLOT_TAKEN)
    return booking


@dataclass
class SeriesReport:
    """What a weekly series booked, and each week it skipped with the reason."""

    booked: list[EquipmentBooking] = field(default_factory=list)
    # (starts_at, ends_at, lazy translatable reason)
    skipped: list[tuple[datetime, datetime, Any]] = field(default_factory=list)
    series_id: int | None = None


@use_case
def create_series(
    session: Session,
    user: User,
    slot: WantedSlot,
    *,
    weeks: int,
    purpose: str = "",
    voucher_id: int | None = None,
    now: datetime | None = None,
) -> SeriesReport:
    """Book ``slot`` weekly for ``weeks`` weeks, skipping the weeks that cannot be booked.

    Each occurrence is checked on its own (in a savepoint); the report says which were booked
    and why the others were not. A voucher pays each occurrence while its balance lasts.
    """
    now = now or utcnow()
    if not 1 <= weeks <= 26:
        raise Invalid(_l("A series runs for 1 to 26 weeks."), field="weeks")
    begin_write(session)
    equipment = _lock_equipment(session, slot.equipment_id)
    if not is_member(session, slot.startup_id, user):
        raise Forbidden(_l("You can only book for a startup you are a member of."))
    report = SeriesReport()
    for week in range(weeks):
        occurrence = slot.weeks_later(week)
        try:
            with session.begin_nested():  # a refusal undoes only this week
                booking = _book(
                    session,
                    user,
                    equipment,
                    occurrence,
                    purpose=purpose,
                    voucher_id=voucher_id,
                    voucher_amount=None,
                    now=now,
                    voucher_optional=True,
                )
        except ServiceError as exc:
            report.skipped.append((occurrence.starts_at, occurrence.ends_at, exc.message))
        else:
            report.booked.append(booking)
    if not report.booked:
        # Nothing to keep (every week's savepoint was rolled back): end the transaction, and
        # with it SQLite's write lock, without a series.
        commit(session, SLOT_TAKEN)
        return report
    series = BookingSeries(
        equipment_id=slot.equipment_id, startup_id=slot.startup_id, user_id=user.id, weeks=weeks
    )
    session.add(series)
    session.flush()
    report.series_id = series.id
    rows: list[Notification] = []
    for booking in report.booked:
        booking.series_id = series.id
        rows += _notify_new(session, booking)
    commit_and_send(session, rows, SLOT_TAKEN)
    return report


def can_manage(user: User, equipment: Equipment) -> bool:
    """Operators and the managers of the instrument's facility (which must be loaded)."""
    return user.is_operator or equipment.facility.has_manager(user)


@use_case
def accept_offer(
    session: Session,
    user: User,
    entry_id: int,
    *,
    voucher_id: int | None = None,
    now: datetime | None = None,
) -> EquipmentBooking:
    """Book the slot a waitlist offer is about (first come, first served if others race)."""
    now = now or utcnow()
    begin_write(session)
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound(_l("No such waitlist offer."))
    if entry.status not in (WaitlistStatus.OFFERED, WaitlistStatus.WAITING):
        raise Invalid(_l("This offer is no longer open."))
    equipment = _lock_equipment(session, entry.equipment_id)
    booking = _book(
        session,
        user,
        equipment,
        WantedSlot(entry.equipment_id, entry.startup_id, entry.starts_at, entry.ends_at),
        purpose="",
        voucher_id=voucher_id,
        voucher_amount=None,
        now=now,
    )
    entry.status = WaitlistStatus.BOOKED
    rows = _notify_new(session, booking)
    commit_and_send(session, rows, SLOT_TAKEN)
    return booking
