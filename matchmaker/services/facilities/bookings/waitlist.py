"""The waitlist: a founder waits for a taken slot; when its holder lets it go (cancelled,
declined, no-show is not: the time has passed) the slot is offered to the earliest waiting
founder, who books it with ``reserve.accept_offer``."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Notification, User, utcnow
from matchmaker.models.bookings import EquipmentBooking, WaitlistEntry, WaitlistStatus
from matchmaker.services import notifications
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.facilities.bookings.notices import when_text
from matchmaker.services.facilities.bookings.slot_checks import WantedSlot
from matchmaker.services.facilities.equipment_availability import (
    active_bookings,
    busy_intervals,
    is_member,
    rules_for,
)
from matchmaker.services.transactions import commit, use_case


@use_case
def join_waitlist(
    session: Session,
    user: User,
    slot: WantedSlot,
) -> WaitlistEntry:
    """Wait for a taken slot; ``cancel``/``decline`` of the holder offers it automatically."""
    if not is_member(session, slot.startup_id, user):
        raise Forbidden(_l("You can only book for a startup you are a member of."))
    equipment = session.get(Equipment, slot.equipment_id)
    if equipment is None:
        raise NotFound(_l("No such instrument."))
    if slot.ends_at <= slot.starts_at or slot.starts_at < utcnow():
        raise Invalid(_l("Choose a future slot."), field="starts_at")
    if not active_bookings(session, slot.equipment_id, slot.starts_at, slot.ends_at):
        raise Invalid(_l("This slot is free: book it directly."))
    entry = WaitlistEntry(
        equipment_id=slot.equipment_id,
        startup_id=slot.startup_id,
        user_id=user.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
    )
    session.add(entry)
    commit(session)
    return entry


@use_case
def leave_waitlist(session: Session, user: User, entry_id: int) -> None:
    """Stop waiting (or decline an offer); only the founder who joined may."""
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound(_l("No such waitlist offer."))
    entry.status = WaitlistStatus.CANCELLED
    commit(session)


def offer_freed_time(session: Session, booking: EquipmentBooking) -> list[Notification]:
    """Offer the time ``booking`` no longer holds to waiting founders, earliest request first,
    one per slot (inside the caller's transaction); returns the notifications to send after
    the commit."""
    session.flush()
    entries = session.scalars(
        sa.select(WaitlistEntry)
        .where(
            WaitlistEntry.equipment_id == booking.equipment_id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
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
        entry.status = WaitlistStatus.OFFERED
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
