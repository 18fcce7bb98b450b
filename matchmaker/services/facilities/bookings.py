"""Equipment bookings: book, book weekly, cancel, approve, decline, check in, record usage,
no-show, waitlist. One function per use case; each commits once.

No double booking: every use case that takes time calls ``begin_write`` (SQLite: the database's
write lock, so the check below and the insert are atomic) and locks the instrument's row
(PostgreSQL: ``SELECT ... FOR UPDATE`` serialises bookings of one instrument); the exclusion
constraint of migration 0004 is the last word on PostgreSQL and any ``IntegrityError`` at
commit becomes the same "slot taken" ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, MatchOutcome, Notification, User, utcnow
from matchmaker.models.bookings import (
    BookingSeries,
    EquipmentBooking,
    WaitlistEntry,
)
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from matchmaker.services.facilities import vouchers
from matchmaker.services.facilities.equipment_availability import (
    SLOT_TAKEN,
    SlotRequest,
    active_bookings,
    busy_intervals,
    check_slot,
    is_member,
    rules_for,
    to_local,
)


def when_text(starts_at: datetime, ends_at: datetime) -> str:
    start, end = to_local(starts_at), to_local(ends_at)
    return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}"


def _link(booking: EquipmentBooking) -> str:
    return f"/facilities/bookings/{booking.id}"


def _managers(equipment: Equipment) -> list[int]:
    return [m.user_id for m in equipment.facility.managers]


def _notify_all(
    session: Session, booking: EquipmentBooking, kind: str, **extra: Any
) -> list[Notification]:
    recipients = sorted({booking.user_id, *_managers(booking.equipment)})
    return notifications.notify(
        session,
        recipients,
        kind,
        link=_link(booking),
        equipment=booking.equipment.name,
        startup=booking.startup.name,
        when=when_text(booking.starts_at, booking.ends_at),
        **extra,
    )


def _after_commit(session: Session, rows: list[Notification]) -> None:
    from flask import has_app_context

    if has_app_context():
        notifications.send_after_commit(session, rows)


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


def _price(equipment: Equipment, starts_at: datetime, ends_at: datetime) -> Decimal:
    hours = Decimal(int((ends_at - starts_at).total_seconds())) / Decimal(3600)
    return (equipment.price_per_hour * hours).quantize(Decimal("0.01"))


def _book(
    session: Session,
    user: User,
    equipment: Equipment,
    startup_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    purpose: str,
    voucher_id: int | None,
    voucher_amount: Decimal | None,
    now: datetime,
    series_id: int | None = None,
    seen_at: datetime | None = None,
) -> EquipmentBooking:
    """Check and add one booking inside the caller's write transaction (no commit)."""
    check_slot(
        session,
        SlotRequest(equipment, startup_id, user, starts_at, ends_at),
        now=now,
        seen_at=seen_at,
    )
    booking = EquipmentBooking(
        equipment=equipment,
        startup_id=startup_id,
        user_id=user.id,
        series_id=series_id,
        starts_at=starts_at,
        ends_at=ends_at,
        status="confirmed" if equipment.booking_mode == "instant" else "pending",
        purpose=purpose.strip()[:500],
        price=_price(equipment, starts_at, ends_at),
    )
    session.add(booking)
    session.flush()
    if voucher_id:
        vouchers.hold(session, booking, voucher_id, voucher_amount, user)
    session.add(
        MatchOutcome(
            startup_id=startup_id,
            candidate_kind="equipment",
            candidate_id=equipment.id,
            outcome="booked",
        )
    )
    return booking


def _notify_new(session: Session, booking: EquipmentBooking) -> list[Notification]:
    kind = (
        "facilities.booking_confirmed"
        if booking.status == "confirmed"
        else "facilities.booking_requested"
    )
    return _notify_all(session, booking, kind)


def _commit_or_conflict(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(SLOT_TAKEN) from exc


def create_booking(
    session: Session,
    user: User,
    *,
    equipment_id: int,
    startup_id: int,
    starts_at: datetime,
    ends_at: datetime,
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
    try:
        equipment = _lock_equipment(session, equipment_id)
        booking = _book(
            session,
            user,
            equipment,
            startup_id,
            starts_at,
            ends_at,
            purpose=purpose,
            voucher_id=voucher_id,
            voucher_amount=voucher_amount,
            now=now,
            seen_at=seen_at,
        )
        rows = _notify_new(session, booking)
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(SLOT_TAKEN) from exc
    except ServiceError:
        session.rollback()
        raise
    _commit_or_conflict(session)
    _after_commit(session, rows)
    return booking


@dataclass
class SeriesReport:
    booked: list[EquipmentBooking] = field(default_factory=list)
    # (starts_at, ends_at, lazy translatable reason)
    skipped: list[tuple[datetime, datetime, Any]] = field(default_factory=list)
    series_id: int | None = None


def create_series(
    session: Session,
    user: User,
    *,
    equipment_id: int,
    startup_id: int,
    starts_at: datetime,
    ends_at: datetime,
    weeks: int,
    purpose: str = "",
    voucher_id: int | None = None,
    now: datetime | None = None,
) -> SeriesReport:
    """Book the same slot weekly for ``weeks`` weeks, skipping the weeks that cannot be booked.

    Each occurrence is checked on its own (in a savepoint); the report says which were booked
    and why the others were not. A voucher pays each occurrence while its balance lasts.
    """
    now = now or utcnow()
    if not 1 <= weeks <= 26:
        raise Invalid(_l("A series runs for 1 to 26 weeks."), field="weeks")
    begin_write(session)
    report = SeriesReport()
    rows: list[Notification] = []
    try:
        equipment = _lock_equipment(session, equipment_id)
        if not is_member(session, startup_id, user):
            raise Forbidden(_l("You can only book for a startup you are a member of."))
        series = BookingSeries(
            equipment_id=equipment_id, startup_id=startup_id, user_id=user.id, weeks=weeks
        )
        session.add(series)
        session.flush()
        for week in range(weeks):
            start = starts_at + timedelta(weeks=week)
            end = ends_at + timedelta(weeks=week)
            try:
                with session.begin_nested():
                    booking = _book(
                        session,
                        user,
                        equipment,
                        startup_id,
                        start,
                        end,
                        purpose=purpose,
                        voucher_id=None,
                        voucher_amount=None,
                        now=now,
                        series_id=series.id,
                    )
                if voucher_id:
                    try:
                        with session.begin_nested():
                            vouchers.hold(session, booking, voucher_id, None, user)
                    except ServiceError:
                        pass  # booked without the voucher; the report shows the amount
                report.booked.append(booking)
            except ServiceError as exc:
                report.skipped.append((start, end, exc.message))
            except IntegrityError:
                report.skipped.append((start, end, SLOT_TAKEN))
        if not report.booked:
            session.rollback()
            return report
        report.series_id = series.id
        for booking in report.booked:
            rows += _notify_new(session, booking)
    except ServiceError:
        session.rollback()
        raise
    _commit_or_conflict(session)
    _after_commit(session, rows)
    return report


def _load(session: Session, booking_id: int) -> EquipmentBooking:
    booking = session.scalar(
        sa.select(EquipmentBooking)
        .where(EquipmentBooking.id == booking_id)
        .options(
            selectinload(EquipmentBooking.equipment)
            .selectinload(Equipment.facility)
            .selectinload(Facility.managers),
            selectinload(EquipmentBooking.startup),
        )
        .with_for_update(of=EquipmentBooking)
    )
    if booking is None:
        raise NotFound(_l("No such booking."))
    return booking


def can_manage(user: User, equipment: Equipment) -> bool:
    return user.is_operator or equipment.facility.has_manager(user)


def _require_manager(user: User, booking: EquipmentBooking) -> None:
    if not can_manage(user, booking.equipment):
        raise Forbidden(_l("Only the facility's managers can do this."))


def _require_status(booking: EquipmentBooking, *allowed: str) -> None:
    if booking.status not in allowed:
        raise Invalid(_l("This booking cannot be changed in its current state."))


def _require_started(booking: EquipmentBooking, now: datetime) -> None:
    if booking.starts_at > now:
        raise Invalid(
            _l(
                "This booking starts at %(when)s: check-in and usage can be recorded only "
                "once it has started.",
                when=f"{to_local(booking.starts_at):%Y-%m-%d %H:%M}",
            )
        )


def _free_and_offer(session: Session, booking: EquipmentBooking) -> list[Notification]:
    """Offer the freed time to waiting founders, earliest request first, one per slot."""
    session.flush()
    entries = session.scalars(
        sa.select(WaitlistEntry)
        .where(
            WaitlistEntry.equipment_id == booking.equipment_id,
            WaitlistEntry.status == "waiting",
            WaitlistEntry.ends_at > booking.starts_at,
            WaitlistEntry.starts_at < booking.ends_at,
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).all()
    rules = rules_for(session, booking.equipment_id)
    pad = timedelta(minutes=rules.buffer_minutes)
    offered: list[tuple[datetime, datetime]] = []
    rows: list[Notification] = []
    for entry in entries:
        taken = active_bookings(
            session, entry.equipment_id, entry.starts_at - pad, entry.ends_at + pad
        )
        clash = busy_intervals(taken, rules.buffer_minutes) + offered
        if any(s < entry.ends_at and e > entry.starts_at for s, e in clash):
            continue
        entry.status = "offered"
        entry.offered_at = utcnow()
        offered.append((entry.starts_at, entry.ends_at))
        rows += notifications.notify(
            session,
            [entry.user_id],
            "facilities.waitlist_offer",
            link=f"/facilities/waitlist/{entry.id}",
            equipment=booking.equipment.name,
            when=when_text(entry.starts_at, entry.ends_at),
        )
    return rows


def cancel_booking(
    session: Session, user: User, booking_id: int, *, now: datetime | None = None
) -> EquipmentBooking:
    """Founders cancel up to the facility's notice period; managers at any time."""
    now = now or utcnow()
    begin_write(session)
    booking = _load(session, booking_id)
    manager = can_manage(user, booking.equipment)
    if not manager and not is_member(session, booking.startup_id, user):
        session.rollback()
        raise Forbidden(_l("This is not your booking."))
    if booking.status not in ("pending", "confirmed"):
        session.rollback()
        raise Invalid(_l("This booking cannot be changed in its current state."))
    notice = rules_for(session, booking.equipment_id).cancel_notice_hours
    if not manager and booking.starts_at - now < timedelta(hours=notice):
        session.rollback()
        raise Invalid(
            _l(
                "Bookings can be cancelled until %(n)d hours before the start; "
                "please contact the facility.",
                n=notice,
            )
        )
    booking.status = "cancelled"
    vouchers.release(session, booking, user)
    rows = _notify_all(session, booking, "facilities.booking_cancelled")
    rows += _free_and_offer(session, booking)
    session.commit()
    _after_commit(session, rows)
    return booking


def approve_booking(
    session: Session, manager: User, booking_id: int, *, now: datetime | None = None
) -> EquipmentBooking:
    now = now or utcnow()
    begin_write(session)
    booking = _load(session, booking_id)
    try:
        _require_manager(manager, booking)
        _require_status(booking, "pending")
        if booking.starts_at <= now:
            # Approving now would confirm time that has already begun (and let a voucher be
            # redeemed for it); the expiry job closes such requests.
            raise Invalid(
                _l("The requested time has passed: this request can no longer be approved.")
            )
    except ServiceError:
        session.rollback()
        raise
    booking.status = "confirmed"
    rows = _notify_all(session, booking, "facilities.booking_approved")
    session.commit()
    _after_commit(session, rows)
    return booking


def decline_booking(
    session: Session, manager: User, booking_id: int, reason: str
) -> EquipmentBooking:
    begin_write(session)
    booking = _load(session, booking_id)
    try:
        _require_manager(manager, booking)
        _require_status(booking, "pending")
        if not reason.strip():
            raise Invalid(_l("Please give the founder a reason."), field="reason")
    except ServiceError:
        session.rollback()
        raise
    booking.status = "declined"
    booking.decline_reason = reason.strip()[:500]
    vouchers.release(session, booking, manager)
    rows = _notify_all(
        session, booking, "facilities.booking_declined", reason=booking.decline_reason
    )
    rows += _free_and_offer(session, booking)
    session.commit()
    _after_commit(session, rows)
    return booking


def check_in(
    session: Session, manager: User, booking_id: int, *, now: datetime | None = None
) -> EquipmentBooking:
    now = now or utcnow()
    begin_write(session)
    booking = _load(session, booking_id)
    try:
        _require_manager(manager, booking)
        _require_status(booking, "confirmed")
        if booking.checked_in_at is not None:
            raise Invalid(_l("Already checked in."))
        _require_started(booking, now)
    except ServiceError:
        session.rollback()
        raise
    booking.checked_in_at = now
    session.commit()
    return booking


def record_usage(
    session: Session,
    manager: User,
    booking_id: int,
    actual_minutes: int,
    *,
    now: datetime | None = None,
) -> EquipmentBooking:
    """Complete a confirmed booking with the minutes actually used; the voucher is redeemed.

    Only once the booking has started: a voucher pays for a service given, never ahead of it.
    """
    now = now or utcnow()
    begin_write(session)
    booking = _load(session, booking_id)
    try:
        _require_manager(manager, booking)
        _require_status(booking, "confirmed")
        _require_started(booking, now)
        if not 0 < actual_minutes <= 24 * 60:
            raise Invalid(_l("Enter the minutes used (1 to 1440)."), field="actual_minutes")
    except ServiceError:
        session.rollback()
        raise
    booking.status = "completed"
    booking.actual_minutes = actual_minutes
    booking.completed_at = now
    if booking.checked_in_at is None:
        booking.checked_in_at = booking.completed_at
    vouchers.redeem(session, booking, manager)
    session.add(
        MatchOutcome(
            startup_id=booking.startup_id,
            candidate_kind="equipment",
            candidate_id=booking.equipment_id,
            outcome="completed",
        )
    )
    rows = _notify_all(
        session, booking, "facilities.booking_completed", minutes=str(actual_minutes)
    )
    session.commit()
    _after_commit(session, rows)
    return booking


def mark_no_show(
    session: Session, manager: User, booking_id: int, *, now: datetime | None = None
) -> EquipmentBooking:
    now = now or utcnow()
    begin_write(session)
    booking = _load(session, booking_id)
    try:
        _require_manager(manager, booking)
        _require_status(booking, "confirmed")
        if booking.starts_at > now:
            raise Invalid(_l("A booking can be marked as a no-show only after it started."))
        if booking.checked_in_at is not None:
            raise Invalid(_l("This booking was checked in."))
    except ServiceError:
        session.rollback()
        raise
    booking.status = "no_show"
    vouchers.release(session, booking, manager)
    session.add(
        MatchOutcome(
            startup_id=booking.startup_id,
            candidate_kind="equipment",
            candidate_id=booking.equipment_id,
            outcome="no_show",
        )
    )
    rows = _notify_all(session, booking, "facilities.booking_no_show")
    session.commit()
    _after_commit(session, rows)
    return booking


def expire_requests(session: Session, *, now: datetime | None = None) -> int:
    """Expire every request still pending at its start time; returns how many expired.

    The held voucher value goes back to the voucher, the founder and the managers are told,
    and the time is offered to the waitlist (it is free again, though it may be too late).
    """
    now = now or utcnow()
    begin_write(session)
    overdue = session.scalars(
        sa.select(EquipmentBooking)
        .where(EquipmentBooking.status == "pending", EquipmentBooking.starts_at <= now)
        .order_by(EquipmentBooking.id)
        # Re-checked after the lock wait: a request approved meanwhile is skipped.
        .with_for_update(of=EquipmentBooking)
        .execution_options(populate_existing=True)
        .options(
            selectinload(EquipmentBooking.equipment)
            .selectinload(Equipment.facility)
            .selectinload(Facility.managers),
            selectinload(EquipmentBooking.startup),
        )
    ).all()
    rows: list[Notification] = []
    for booking in overdue:
        if booking.status != "pending":
            continue
        booking.status = "expired"
        vouchers.release(session, booking, None)
        rows += _notify_all(session, booking, "facilities.booking_expired")
    session.commit()
    _after_commit(session, rows)
    return len(overdue)


def release_for_suspension(
    session: Session,
    user: User,
    startup_ids: Sequence[int],
    *,
    now: datetime | None = None,
) -> list[Notification]:
    """Cancel the future bookings of a suspended user (and of the startups hidden with them),
    inside the caller's transaction (no commit): their time is free again, held voucher value
    returns to the voucher and the waitlist is offered the slots. The notifications to send
    after the commit are returned."""
    now = now or utcnow()
    who = EquipmentBooking.user_id == user.id
    if startup_ids:
        who = sa.or_(who, EquipmentBooking.startup_id.in_(list(startup_ids)))
    future = session.scalars(
        sa.select(EquipmentBooking)
        .where(who, EquipmentBooking.status.in_(("pending", "confirmed")))
        .where(EquipmentBooking.starts_at > now)
        .order_by(EquipmentBooking.id)
        .with_for_update(of=EquipmentBooking)
        .options(
            selectinload(EquipmentBooking.equipment)
            .selectinload(Equipment.facility)
            .selectinload(Facility.managers),
            selectinload(EquipmentBooking.startup),
        )
    ).all()
    rows: list[Notification] = []
    for booking in future:
        booking.status = "cancelled"
        vouchers.release(session, booking, None)
        rows += _notify_all(session, booking, "facilities.booking_cancelled")
        rows += _free_and_offer(session, booking)
    return rows


def send_after_commit(session: Session, rows: list[Notification]) -> None:
    _after_commit(session, rows)


def join_waitlist(
    session: Session,
    user: User,
    *,
    equipment_id: int,
    startup_id: int,
    starts_at: datetime,
    ends_at: datetime,
) -> WaitlistEntry:
    """Wait for a taken slot; ``cancel``/``decline`` of the holder offers it automatically."""
    if not is_member(session, startup_id, user):
        raise Forbidden(_l("You can only book for a startup you are a member of."))
    equipment = session.get(Equipment, equipment_id)
    if equipment is None:
        raise NotFound(_l("No such instrument."))
    if ends_at <= starts_at or starts_at < utcnow():
        raise Invalid(_l("Choose a future slot."), field="starts_at")
    if not active_bookings(session, equipment_id, starts_at, ends_at):
        raise Invalid(_l("This slot is free: book it directly."))
    entry = WaitlistEntry(
        equipment_id=equipment_id,
        startup_id=startup_id,
        user_id=user.id,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    session.add(entry)
    session.commit()
    return entry


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
    try:
        entry = session.get(WaitlistEntry, entry_id)
        if entry is None or entry.user_id != user.id:
            raise NotFound(_l("No such waitlist offer."))
        if entry.status not in ("offered", "waiting"):
            raise Invalid(_l("This offer is no longer open."))
        equipment = _lock_equipment(session, entry.equipment_id)
        booking = _book(
            session,
            user,
            equipment,
            entry.startup_id,
            entry.starts_at,
            entry.ends_at,
            purpose="",
            voucher_id=voucher_id,
            voucher_amount=None,
            now=now,
        )
        entry.status = "booked"
        rows = _notify_new(session, booking)
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(SLOT_TAKEN) from exc
    except ServiceError:
        session.rollback()
        raise
    _commit_or_conflict(session)
    _after_commit(session, rows)
    return booking


def leave_waitlist(session: Session, user: User, entry_id: int) -> None:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound(_l("No such waitlist offer."))
    entry.status = "cancelled"
    session.commit()
