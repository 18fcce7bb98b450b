"""The catalogue founders search: active facilities and their instruments, and one instrument
or waitlist offer as a page shows it (with what the template reads loaded up front)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.models import Equipment, Facility, User
from matchmaker.models.bookings import WaitlistEntry


def active_facilities(session: Session) -> list[Facility]:
    """Open facilities by name (the search form's facility filter)."""
    return list(
        session.scalars(
            sa.select(Facility).where(Facility.is_active.is_(True)).order_by(Facility.name)
        )
    )


def equipment_by_id(session: Session, equipment_id: int) -> Equipment | None:
    """One instrument (active or not) with its facility and the facility's managers, which the
    instrument's page shows and checks; None if there is no such instrument."""
    return session.scalar(
        sa.select(Equipment)
        .where(Equipment.id == equipment_id)
        .options(selectinload(Equipment.facility).selectinload(Facility.managers))
    )


def waitlist_offer(session: Session, user: User, entry_id: int) -> WaitlistEntry | None:
    """A waitlist entry of ``user`` with its instrument; None for anyone else's (so a stranger
    cannot tell whether it exists)."""
    entry = session.scalar(
        sa.select(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id)
        .options(selectinload(WaitlistEntry.equipment))
    )
    if entry is None or entry.user_id != user.id:
        return None
    return entry


def find_equipment(
    session: Session,
    *,
    text: str = "",
    category: str = "",
    facility_id: int | None = None,
    max_price: Decimal | None = None,
    voucher_only: bool = False,
) -> list[Equipment]:
    """Active instruments of active facilities matching every filter given (``text`` in the
    name, description, specifications or facility name), by name, at most 200."""
    stmt = (
        sa.select(Equipment)
        .join(Facility)
        .where(Equipment.is_active.is_(True), Facility.is_active.is_(True))
        .options(selectinload(Equipment.facility))
    )
    if text.strip():
        like = f"%{text.strip()}%"
        stmt = stmt.where(
            sa.or_(
                Equipment.name.ilike(like),
                Equipment.description.ilike(like),
                Equipment.model_specs.ilike(like),
                Facility.name.ilike(like),
            )
        )
    if category:
        stmt = stmt.where(Equipment.category == category)
    if facility_id:
        stmt = stmt.where(Equipment.facility_id == facility_id)
    if max_price is not None:
        stmt = stmt.where(Equipment.price_per_hour <= max_price)
    if voucher_only:
        stmt = stmt.where(Equipment.voucher_eligible.is_(True))
    return list(session.scalars(stmt.order_by(Equipment.name).limit(200)))
