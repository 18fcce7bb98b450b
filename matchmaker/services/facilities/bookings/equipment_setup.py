"""What a facility manager publishes: weekly windows, one-off openings, blackouts, booking
rules and mode, and the users trained on an instrument."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, FacilityManager, User, utcnow
from matchmaker.models.bookings import (
    AvailabilityException,
    AvailabilityWindow,
    BookingRules,
    EquipmentTraining,
    ExceptionKind,
)
from matchmaker.models.facilities import BookingMode
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.facilities.equipment_availability import local_today
from matchmaker.services.transactions import commit, use_case


def managed_equipment(session: Session, user: User, equipment_id: int) -> Equipment:
    """The instrument, if ``user`` manages its facility (or is an operator)."""
    equipment = session.scalar(
        sa.select(Equipment)
        .where(Equipment.id == equipment_id)
        .options(selectinload(Equipment.facility).selectinload(Facility.managers))
    )
    if equipment is None:
        raise NotFound(_l("No such instrument."))
    if not (user.is_operator or equipment.facility.has_manager(user)):
        raise Forbidden(_l("Only the facility's managers can do this."))
    return equipment


def managed_facilities(session: Session, user: User) -> list[Facility]:
    """The facilities ``user`` manages (every one for an operator), with their instruments."""
    stmt = sa.select(Facility).options(selectinload(Facility.equipment))
    if not user.is_operator:
        stmt = stmt.join(FacilityManager).where(FacilityManager.user_id == user.id)
    return list(session.scalars(stmt.order_by(Facility.name)).unique())


@use_case
def save_rules(
    session: Session,
    user: User,
    equipment_id: int,
    *,
    min_minutes: int,
    max_minutes: int,
    granularity_minutes: int,
    buffer_minutes: int,
    lead_time_minutes: int,
    horizon_days: int,
    weekly_quota_hours: Decimal | None,
    cancel_notice_hours: int,
    booking_mode: str,
    training_required: bool,
) -> BookingRules:
    """Set an instrument's booking rules, mode and training requirement (its managers and
    operators). Rules apply to bookings made from now on; existing bookings stand."""
    equipment = managed_equipment(session, user, equipment_id)
    if booking_mode not in vocab.BOOKING_MODES:
        raise Invalid(_l("Unknown booking mode."), field="booking_mode")
    if min_minutes <= 0 or granularity_minutes <= 0:
        raise Invalid(_l("Lengths must be positive."), field="min_minutes")
    if max_minutes < min_minutes:
        raise Invalid(_l("The maximum length must be at least the minimum."), field="max_minutes")
    if min(buffer_minutes, lead_time_minutes, cancel_notice_hours) < 0 or horizon_days <= 0:
        raise Invalid(_l("Margins cannot be negative."), field="buffer_minutes")
    if weekly_quota_hours is not None and weekly_quota_hours <= 0:
        raise Invalid(_l("The weekly quota must be positive."), field="weekly_quota_hours")
    rules = session.get(BookingRules, equipment_id) or BookingRules(equipment_id=equipment_id)
    rules.min_minutes = min_minutes
    rules.max_minutes = max_minutes
    rules.granularity_minutes = granularity_minutes
    rules.buffer_minutes = buffer_minutes
    rules.lead_time_minutes = lead_time_minutes
    rules.horizon_days = horizon_days
    rules.weekly_quota_hours = weekly_quota_hours
    rules.cancel_notice_hours = cancel_notice_hours
    session.add(rules)
    equipment.booking_mode = BookingMode(booking_mode)
    equipment.training_required = training_required
    equipment.updated_at = utcnow()
    commit(session)
    return rules


@use_case
def add_weekly_window(
    session: Session, user: User, equipment_id: int, weekdays: Iterable[int], start: time, end: time
) -> list[AvailabilityWindow]:
    """Publish the same opening on several weekdays.

    A window that repeats or overlaps one already published on that weekday is refused (the
    whole request, nothing half-saved): overlapping windows would double the open hours that
    utilisation divides by. The database has the last word: a unique constraint everywhere and,
    on PostgreSQL, an exclusion constraint on overlapping times (migration 0008); SQLite
    serialises this check and the insert with ``begin_write``.
    """
    days = sorted({int(d) for d in weekdays})
    if not days or any(not 0 <= d <= 6 for d in days):
        raise Invalid(_l("Choose at least one weekday."), field="weekdays")
    if end <= start:
        raise Invalid(_l("The window must end after it starts."), field="end_time")
    begin_write(session)
    managed_equipment(session, user, equipment_id)
    clashes = session.scalars(
        sa.select(AvailabilityWindow).where(
            AvailabilityWindow.equipment_id == equipment_id,
            AvailabilityWindow.weekday.in_(days),
            AvailabilityWindow.start_time < end,
            AvailabilityWindow.end_time > start,
        )
    ).all()
    if clashes:
        raise Invalid(_window_clash(clashes[0], start, end), field="weekdays")
    windows = [
        AvailabilityWindow(equipment_id=equipment_id, weekday=d, start_time=start, end_time=end)
        for d in days
    ]
    session.add_all(windows)
    try:
        # The constraints answer at the insert: a window published meanwhile is refused here,
        # with the form's weekdays to blame (the commit below then has nothing left to refuse).
        session.flush()
    except IntegrityError as exc:
        raise Conflict(WINDOW_OVERLAP, field="weekdays") from exc
    commit(session, WINDOW_OVERLAP)
    return windows


WINDOW_OVERLAP = _l("This window overlaps one already published for the same weekday.")


def _window_clash(existing: AvailabilityWindow, start: time, end: time) -> object:
    if existing.start_time == start and existing.end_time == end:
        return _l("This window is already published.")
    return _l(
        "This window overlaps %(start)s–%(end)s, already published for the same weekday.",
        start=existing.start_time.strftime("%H:%M"),
        end=existing.end_time.strftime("%H:%M"),
    )


@use_case
def delete_window(session: Session, user: User, window_id: int) -> int:
    """Remove a weekly window; returns its equipment's id."""
    return _delete_published(session, user, AvailabilityWindow, window_id, _l("No such window."))


@use_case
def add_exception(
    session: Session,
    user: User,
    equipment_id: int,
    *,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> AvailabilityException:
    """A one-off opening or a maintenance blackout (UTC times)."""
    managed_equipment(session, user, equipment_id)
    if kind not in tuple(ExceptionKind):
        raise Invalid(_l("Unknown kind."), field="kind")
    if ends_at <= starts_at:
        raise Invalid(_l("The period must end after it starts."), field="ends_at")
    row = AvailabilityException(
        equipment_id=equipment_id,
        kind=ExceptionKind(kind),
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
    )
    session.add(row)
    commit(session)
    return row


@use_case
def delete_exception(session: Session, user: User, exception_id: int) -> int:
    """Remove a one-off opening or blackout; returns its equipment's id."""
    return _delete_published(
        session, user, AvailabilityException, exception_id, _l("No such period.")
    )


@use_case
def grant_training(
    session: Session, manager: User, equipment_id: int, email: str, valid_until: date
) -> EquipmentTraining:
    """Record a user (by e-mail) as trained on an instrument until ``valid_until``, or move
    the date of an existing record; the trainee is notified."""
    equipment = managed_equipment(session, manager, equipment_id)
    if valid_until < local_today():
        raise Invalid(
            _l("This training has already expired: enter a date from today on."),
            field="valid_until",
        )
    trainee = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if trainee is None:
        raise NotFound(_l("No user with this e-mail address."), field="email")
    row = session.scalar(
        sa.select(EquipmentTraining).where(
            EquipmentTraining.equipment_id == equipment_id,
            EquipmentTraining.user_id == trainee.id,
        )
    ) or EquipmentTraining(equipment_id=equipment_id, user_id=trainee.id)
    row.valid_until = valid_until
    row.granted_by_id = manager.id
    session.add(row)
    rows = notifications.notify(
        session,
        [trainee],
        "facilities.training_granted",
        equipment=equipment.name,
        until=valid_until.isoformat(),
    )
    commit(session)
    notifications.send_after_commit(session, rows)
    return row


@use_case
def revoke_training(session: Session, manager: User, training_id: int) -> int:
    """Remove a training record; returns its equipment's id."""
    return _delete_published(
        session, manager, EquipmentTraining, training_id, _l("No such training record.")
    )


# What a manager publishes about an instrument, row by row.
_Published = TypeVar("_Published", AvailabilityWindow, AvailabilityException, EquipmentTraining)


def _delete_published(
    session: Session, user: User, model: type[_Published], row_id: int, missing: object
) -> int:
    """Delete one row ``user`` published for an instrument they manage (``missing``: the
    refusal when there is no such row); returns the instrument's id, for the page to return
    to. Commits."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    equipment_id = row.equipment_id
    managed_equipment(session, user, equipment_id)
    session.delete(row)
    commit(session)
    return equipment_id


def setup_view(session: Session, equipment_id: int) -> dict[str, object]:
    """Everything the availability page lists, loaded up front."""
    return {
        "windows": list(
            session.scalars(
                sa.select(AvailabilityWindow)
                .where(AvailabilityWindow.equipment_id == equipment_id)
                .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time)
            )
        ),
        "exceptions": list(
            session.scalars(
                sa.select(AvailabilityException)
                .where(
                    AvailabilityException.equipment_id == equipment_id,
                    AvailabilityException.ends_at > utcnow(),
                )
                .order_by(AvailabilityException.starts_at)
            )
        ),
        "trainings": list(
            session.scalars(
                sa.select(EquipmentTraining)
                .where(EquipmentTraining.equipment_id == equipment_id)
                .options(selectinload(EquipmentTraining.user))
                .order_by(EquipmentTraining.valid_until)
            )
        ),
    }
