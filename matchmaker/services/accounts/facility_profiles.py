"""Facilities and their equipment: a facility manager registers a facility and its instruments.

Like every profile use case: the session first, ``actor`` checked (the facility's managers,
operators), values checked (``profile_values``), one commit, then ``profile_changed`` for each
instrument whose matching text changed (a facility itself is not matched, its equipment is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, FacilityManager, User
from matchmaker.models.users import Role
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.accounts.profile_values import (
    apply_values,
    check_codes,
    check_money,
    need_role,
    pick,
    require_text,
)
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.transactions import commit, use_case

FACILITY_FIELDS = (
    "name", "kind", "description", "address", "location", "opening_hours", "contact_email",
)  # fmt: skip
EQUIPMENT_FIELDS = (
    "name", "category", "model_specs", "description", "price_per_hour", "voucher_eligible",
    "training_required", "booking_mode",
)  # fmt: skip


def _validate_facility(values: dict[str, Any]) -> None:
    require_text(values, "name")
    if "kind" in values and values["kind"] not in vocab.FACILITY_KINDS:
        raise Invalid(_l("Choose a value from the list."), field="kind")


def editable_facility(session: Session, actor: User, facility_id: int) -> Facility:
    """The facility with its managers and equipment, if ``actor`` manages it or is an
    operator."""
    facility = session.scalar(
        sa.select(Facility)
        .where(Facility.id == facility_id)
        .options(selectinload(Facility.managers), selectinload(Facility.equipment))
    )
    if facility is None:
        raise NotFound(_l("No such facility."))
    if not (actor.is_operator or facility.has_manager(actor)):
        raise Forbidden(_l("Only the facility's managers can edit it."))
    return facility


@use_case
def create_facility(session: Session, actor: User, values: Mapping[str, Any]) -> Facility:
    """A facility manager registers a facility and becomes its manager."""
    need_role(actor, Role.FACILITY_MANAGER)
    data = pick(values, FACILITY_FIELDS)
    for field in ("name", "kind"):
        if field not in data:
            raise Invalid(_l("This field is required."), field=field)
    _validate_facility(data)
    facility = Facility(**data)
    facility.managers.append(FacilityManager(user_id=actor.id))
    session.add(facility)
    commit(session)
    return facility


@use_case
def update_facility(
    session: Session, actor: User, facility_id: int, values: Mapping[str, Any]
) -> Facility:
    """Edit a facility; its instruments are re-indexed, since they are matched with
    their facility's place and description."""
    facility = editable_facility(session, actor, facility_id)
    data = pick(values, FACILITY_FIELDS)
    _validate_facility(data)
    apply_values(facility, data)
    commit(session)
    # Equipment is matched with its facility's place and description.
    _equipment_changed(e.id for e in facility.equipment)
    return facility


def _equipment_changed(ids: Iterable[int]) -> None:
    for equipment_id in ids:
        profile_changed("equipment", equipment_id)


def _validate_equipment(values: dict[str, Any]) -> None:
    require_text(values, "name")
    check_codes(values)
    check_money(values, "price_per_hour", required=True)
    for flag in ("voucher_eligible", "training_required"):
        if flag in values:
            values[flag] = bool(values[flag])


@use_case
def add_equipment(
    session: Session, actor: User, facility_id: int, values: Mapping[str, Any]
) -> Equipment:
    """A manager adds an instrument to the facility ``facility_id``."""
    facility = editable_facility(session, actor, facility_id)
    data = pick(values, EQUIPMENT_FIELDS)
    for field in ("name", "category"):
        if field not in data:
            raise Invalid(_l("This field is required."), field=field)
    _validate_equipment(data)
    equipment = Equipment(**data)
    facility.equipment.append(equipment)
    commit(session)
    profile_changed("equipment", equipment.id)
    return equipment


def editable_equipment(session: Session, actor: User, equipment_id: int) -> Equipment:
    """The instrument, if ``actor`` may edit its facility."""
    equipment = session.get(Equipment, equipment_id)
    if equipment is None:
        raise NotFound(_l("No such instrument."))
    editable_facility(session, actor, equipment.facility_id)
    return equipment


@use_case
def update_equipment(
    session: Session, actor: User, equipment_id: int, values: Mapping[str, Any]
) -> Equipment:
    """Edit an instrument (its managers or operators)."""
    equipment = editable_equipment(session, actor, equipment_id)
    data = pick(values, EQUIPMENT_FIELDS)
    _validate_equipment(data)
    apply_values(equipment, data)
    commit(session)
    profile_changed("equipment", equipment.id)
    return equipment


@use_case
def set_equipment_active(
    session: Session, actor: User, equipment_id: int, active: bool
) -> Equipment:
    """A manager takes an instrument out of service (or back); it leaves the directory."""
    equipment = editable_equipment(session, actor, equipment_id)
    equipment.is_active = active
    commit(session)
    profile_changed("equipment", equipment.id)
    return equipment
