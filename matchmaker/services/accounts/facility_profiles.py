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
from matchmaker.services.accounts.profile_rows import OwnedRows
from matchmaker.services.accounts.profile_values import (
    apply_values,
    check_codes,
    check_money,
    checked_values,
    editable_by,
    need_role,
    require_text,
)
from matchmaker.services.errors import Invalid
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


def facility_with_equipment(facility_id: int) -> sa.Select[Facility]:
    """The facility with its managers and instruments (its edit and detail pages)."""
    return (
        sa.select(Facility)
        .where(Facility.id == facility_id)
        .options(selectinload(Facility.managers), selectinload(Facility.equipment))
    )


def editable_facility(session: Session, actor: User, facility_id: int) -> Facility:
    """The facility with its managers and equipment, if ``actor`` manages it or is an
    operator."""
    return editable_by(
        actor,
        session.scalar(facility_with_equipment(facility_id)),
        Facility.has_manager,
        missing=_l("No such facility."),
        refused=_l("Only the facility's managers can edit it."),
    )


@use_case
def create_facility(session: Session, actor: User, values: Mapping[str, Any]) -> Facility:
    """A facility manager registers a facility and becomes its manager."""
    need_role(actor, Role.FACILITY_MANAGER)
    data = checked_values(values, FACILITY_FIELDS, _validate_facility, required=("name", "kind"))
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
    apply_values(facility, checked_values(values, FACILITY_FIELDS, _validate_facility))
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


EQUIPMENT: OwnedRows[Facility, Equipment] = OwnedRows(
    model=Equipment,
    fields=EQUIPMENT_FIELDS,
    required=("name", "category"),
    validate=_validate_equipment,
    editable_owner=editable_facility,
    owner_id=lambda equipment: equipment.facility_id,
    rows_of=lambda facility: facility.equipment,
    announced=lambda equipment: ("equipment", equipment.id),
    missing=_l("No such instrument."),
)


# A facility's instruments are rows it owns: added, edited (and found for editing) by whoever
# may edit the facility, each change re-indexing the instrument.
add_equipment = use_case(EQUIPMENT.add)
editable_equipment = EQUIPMENT.editable
update_equipment = use_case(EQUIPMENT.update)


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
