"""Whom a booking use case tells, and how: the booking's parties (its founder and the facility's
managers) get a notification inside the transaction and an e-mail once it has committed; the
recommendation engine gets the outcome it learns from.

E-mail is queued by ``commit_and_send`` for every caller: views, jobs and commands all run with
an app (and its queue). A bare session outside any app is not a caller of these use cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from matchmaker.models import Equipment, Facility, MatchOutcome, Notification
from matchmaker.models.bookings import EquipmentBooking
from matchmaker.services import notifications
from matchmaker.services.transactions import CHANGE_CONFLICTS, commit
from matchmaker.timezones import wall_clock


def when_text(starts_at: datetime, ends_at: datetime) -> str:
    """A booking's time as notifications show it, in the facility's local time."""
    start, end = wall_clock(starts_at), wall_clock(ends_at)
    return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}"


def parties_loaded() -> list[LoaderOption]:
    """The loader options a booking query needs for ``notify_parties`` and the managers'
    checks: the instrument, its facility and managers, and the startup."""
    return [
        selectinload(EquipmentBooking.equipment)
        .selectinload(Equipment.facility)
        .selectinload(Facility.managers),
        selectinload(EquipmentBooking.startup),
    ]


def notify_parties(
    session: Session, booking: EquipmentBooking, kind: str, **extra: Any
) -> list[Notification]:
    """Tell the booker and the facility's managers (inside the transaction); the rows are
    sent by ``commit_and_send``."""
    managers = [m.user_id for m in booking.equipment.facility.managers]
    return notifications.notify(
        session,
        sorted({booking.user_id, *managers}),
        kind,
        link=f"/facilities/bookings/{booking.id}",
        equipment=booking.equipment.name,
        startup=booking.startup.name,
        when=when_text(booking.starts_at, booking.ends_at),
        **extra,
    )


def commit_and_send(
    session: Session, rows: list[Notification], conflict: Any = CHANGE_CONFLICTS
) -> None:
    """Commit the use case (``conflict``: its message if a constraint refuses), then queue the
    e-mail of its notifications."""
    commit(session, conflict)
    notifications.send_after_commit(session, rows)


def record_outcome(session: Session, booking: EquipmentBooking, outcome: str) -> None:
    """What became of a booking (booked, completed, no-show), for the engine to learn from."""
    session.add(
        MatchOutcome(
            startup_id=booking.startup_id,
            candidate_kind="equipment",
            candidate_id=booking.equipment_id,
            outcome=outcome,
        )
    )
