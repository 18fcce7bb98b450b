"""What happens to a booking once made: cancelled by its founder or a manager, approved or
declined, checked in, completed with the minutes used (the voucher redeemed), marked a no-show,
expired when nobody approved it in time, released when its user is suspended. One function per
use case; each commits once (``services.transactions``) and notifies after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Notification, User, utcnow
from matchmaker.models.bookings import BookingStatus, EquipmentBooking
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.facilities import vouchers
from matchmaker.services.facilities.bookings.notices import (
    commit_and_send,
    notify_parties,
    parties_loaded,
    record_outcome,
)
from matchmaker.services.facilities.bookings.reserve import can_manage
from matchmaker.services.facilities.bookings.waitlist import offer_freed_time
from matchmaker.services.facilities.equipment_availability import is_member, rules_for
from matchmaker.services.transactions import commit, use_case
from matchmaker.timezones import wall_clock

CANNOT_CHANGE = _l("This booking cannot be changed in its current state.")


def _locked(*where: sa.ColumnElement[bool]) -> sa.Select[EquipmentBooking]:
    """The bookings matching ``where``, locked for the use case, with their parties."""
    return (
        sa.select(EquipmentBooking)
        .where(*where)
        .order_by(EquipmentBooking.id)
        .with_for_update(of=EquipmentBooking)
        .options(*parties_loaded())
    )


def _load(session: Session, booking_id: int) -> EquipmentBooking:
    booking = session.scalar(_locked(EquipmentBooking.id == booking_id))
    if booking is None:
        raise NotFound(_l("No such booking."))
    return booking


def _give_up_time(
    session: Session,
    booking: EquipmentBooking,
    status: BookingStatus,
    actor: User | None,
    kind: str,
    *,
    offer_to_waitlist: bool,
    **params: Any,
) -> list[Notification]:
    """The booking stops holding its time (``status``): held voucher value goes back, the
    parties are told (``kind``), and with ``offer_to_waitlist`` the time is offered to waiting
    founders. Returns the notifications to send after the commit."""
    booking.status = status
    vouchers.release(session, booking, actor)
    rows = notify_parties(session, booking, kind, **params)
    if offer_to_waitlist:
        rows += offer_freed_time(session, booking)
    return rows


def _managed_booking(
    session: Session, manager: User, booking_id: int, status: BookingStatus
) -> EquipmentBooking:
    """Start a manager's use case on a booking: take the write lock, load and lock the booking,
    and refuse unless ``manager`` manages its instrument and it is in ``status``."""
    begin_write(session)
    booking = _load(session, booking_id)
    if not can_manage(manager, booking.equipment):
        raise Forbidden(_l("Only the facility's managers can do this."))
    if booking.status != status:
        raise Invalid(CANNOT_CHANGE)
    return booking


def _require_started(booking: EquipmentBooking, now: datetime) -> None:
    if booking.starts_at > now:
        raise Invalid(
            _l(
                "This booking starts at %(when)s: check-in and usage can be recorded only "
                "once it has started.",
                when=f"{wall_clock(booking.starts_at):%Y-%m-%d %H:%M}",
            )
        )


@use_case
def cancel_booking(
    session: Session, user: User, booking_id: int, *, now: datetime | None = None
) -> EquipmentBooking:
    """Founders cancel up to the facility's notice period; managers at any time."""
    now = now or utcnow()
    begin_write(session)
    booking = _load(session, booking_id)
    manager = can_manage(user, booking.equipment)
    if not manager and not is_member(session, booking.startup_id, user):
        raise Forbidden(_l("This is not your booking."))
    if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
        raise Invalid(CANNOT_CHANGE)
    notice = rules_for(session, booking.equipment_id).cancel_notice_hours
    if not manager and booking.starts_at - now < timedelta(hours=notice):
        raise Invalid(
            _l(
                "Bookings can be cancelled until %(n)d hours before the start; "
                "please contact the facility.",
                n=notice,
            )
        )
    rows = _give_up_time(
        session,
        booking,
        BookingStatus.CANCELLED,
        user,
        "facilities.booking_cancelled",
        offer_to_waitlist=True,
    )
    commit_and_send(session, rows)
    return booking


@use_case
def approve_booking(
    session: Session, manager: User, booking_id: int, *, now: datetime | None = None
) -> EquipmentBooking:
    """A manager confirms a pending request, while its time is still ahead."""
    now = now or utcnow()
    booking = _managed_booking(session, manager, booking_id, BookingStatus.PENDING)
    if booking.starts_at <= now:
        # Approving now would confirm time that has already begun (and let a voucher be
        # redeemed for it); the expiry job closes such requests.
        raise Invalid(_l("The requested time has passed: this request can no longer be approved."))
    booking.status = BookingStatus.CONFIRMED
    commit_and_send(session, notify_parties(session, booking, "facilities.booking_approved"))
    return booking


@use_case
def decline_booking(
    session: Session, manager: User, booking_id: int, reason: str
) -> EquipmentBooking:
    """A manager refuses a pending request with a reason for the founder; any held voucher
    value goes back and the time is offered to the waitlist."""
    booking = _managed_booking(session, manager, booking_id, BookingStatus.PENDING)
    if not reason.strip():
        raise Invalid(_l("Please give the founder a reason."), field="reason")
    booking.decline_reason = reason.strip()[:500]
    rows = _give_up_time(
        session,
        booking,
        BookingStatus.DECLINED,
        manager,
        "facilities.booking_declined",
        offer_to_waitlist=True,
        reason=booking.decline_reason,
    )
    commit_and_send(session, rows)
    return booking


@use_case
def check_in(
    session: Session, manager: User, booking_id: int, *, now: datetime | None = None
) -> EquipmentBooking:
    """A manager records that the founder came, once the confirmed booking has started."""
    now = now or utcnow()
    booking = _managed_booking(session, manager, booking_id, BookingStatus.CONFIRMED)
    if booking.checked_in_at is not None:
        raise Invalid(_l("Already checked in."))
    _require_started(booking, now)
    booking.checked_in_at = now
    commit(session)
    return booking


@use_case
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
    booking = _managed_booking(session, manager, booking_id, BookingStatus.CONFIRMED)
    _require_started(booking, now)
    if not 0 < actual_minutes <= 24 * 60:
        raise Invalid(_l("Enter the minutes used (1 to 1440)."), field="actual_minutes")
    booking.status = BookingStatus.COMPLETED
    booking.actual_minutes = actual_minutes
    booking.completed_at = now
    if booking.checked_in_at is None:
        booking.checked_in_at = booking.completed_at
    vouchers.redeem(session, booking, manager)
    record_outcome(session, booking, "completed")
    rows = notify_parties(
        session, booking, "facilities.booking_completed", minutes=str(actual_minutes)
    )
    commit_and_send(session, rows)
    return booking


@use_case
def mark_no_show(
    session: Session, manager: User, booking_id: int, *, now: datetime | None = None
) -> EquipmentBooking:
    """A manager records that nobody came to a started, unchecked booking; the held voucher
    value goes back (nothing was used) and the engine learns the outcome."""
    now = now or utcnow()
    booking = _managed_booking(session, manager, booking_id, BookingStatus.CONFIRMED)
    if booking.starts_at > now:
        raise Invalid(_l("A booking can be marked as a no-show only after it started."))
    if booking.checked_in_at is not None:
        raise Invalid(_l("This booking was checked in."))
    # The time has passed: nothing to offer to the waitlist.
    rows = _give_up_time(
        session,
        booking,
        BookingStatus.NO_SHOW,
        manager,
        "facilities.booking_no_show",
        offer_to_waitlist=False,
    )
    record_outcome(session, booking, "no_show")
    commit_and_send(session, rows)
    return booking


@use_case
def expire_requests(session: Session, *, now: datetime | None = None) -> int:
    """Expire every request still pending at its start time; returns how many expired.

    The held voucher value goes back to the voucher and the founder and the managers are told.
    The time is not offered to the waitlist: it has already begun.
    """
    now = now or utcnow()
    begin_write(session)
    overdue = session.scalars(
        _locked(EquipmentBooking.status == BookingStatus.PENDING, EquipmentBooking.starts_at <= now)
        # Re-checked after the lock wait: a request approved meanwhile is skipped.
        .execution_options(populate_existing=True)
    ).all()
    rows: list[Notification] = []
    for booking in overdue:
        if booking.status != BookingStatus.PENDING:
            continue
        rows += _give_up_time(
            session,
            booking,
            BookingStatus.EXPIRED,
            None,
            "facilities.booking_expired",
            offer_to_waitlist=False,
        )
    commit_and_send(session, rows)
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
        _locked(
            who,
            EquipmentBooking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED)),
            EquipmentBooking.starts_at > now,
        )
    ).all()
    rows: list[Notification] = []
    for booking in future:
        rows += _give_up_time(
            session,
            booking,
            BookingStatus.CANCELLED,
            None,
            "facilities.booking_cancelled",
            offer_to_waitlist=True,
        )
    return rows
