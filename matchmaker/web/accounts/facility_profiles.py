"""Onboarding and editing of facilities and their equipment (instruments)."""

from __future__ import annotations

from flask import flash, render_template, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.models import Facility
from matchmaker.services.accounts import facility_profiles as service
from matchmaker.web.accounts.profile_forms import EquipmentForm, FacilityForm, ProfileForm
from matchmaker.web.accounts.profile_pages import ProfileEditor, bp, flash_saved, saved


def _render_facility(form: ProfileForm, facility: Facility | None) -> str:
    return render_template("profiles/facility_form.html", form=form, facility=facility)


FACILITY_PAGES = ProfileEditor(
    kind="facility",
    fields=service.FACILITY_FIELDS,
    form=lambda facility: FacilityForm(obj=facility),
    render=_render_facility,
    editable=service.editable_facility,
    create=service.create_facility,
    update=service.update_facility,
    created=lambda: _("The facility has been created. Now add its equipment."),
)
FACILITY_PAGES.register("facilities")
_back_to = FACILITY_PAGES.back_to


@bp.route("/facilities/<int:facility_id>/equipment/new", methods=["GET", "POST"])
@login_required
def new_equipment(facility_id: int) -> str | Response:
    facility = service.editable_facility(db.session, current_user, facility_id)
    form = EquipmentForm()
    if saved(
        form,
        service.EQUIPMENT_FIELDS,
        lambda values: service.add_equipment(db.session, current_user, facility_id, values),
    ):
        flash(_("The instrument has been added."), "success")
        return _back_to(facility_id)
    return render_template(
        "profiles/equipment_form.html", form=form, facility=facility, equipment=None
    )


@bp.route("/equipment/<int:equipment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_equipment(equipment_id: int) -> str | Response:
    equipment = service.editable_equipment(db.session, current_user, equipment_id)
    form = EquipmentForm(obj=equipment)
    if saved(
        form,
        service.EQUIPMENT_FIELDS,
        lambda values: service.update_equipment(db.session, current_user, equipment_id, values),
    ):
        flash_saved()
        return _back_to(equipment.facility_id)
    return render_template(
        "profiles/equipment_form.html", form=form, facility=equipment.facility, equipment=equipment
    )


@bp.post("/equipment/<int:equipment_id>/active")
@login_required
def set_equipment_active(equipment_id: int) -> Response:
    active = request.form.get("active") == "1"
    equipment = service.set_equipment_active(db.session, current_user, equipment_id, active)
    if active:
        flash(_("The instrument is bookable again."), "success")
    else:
        flash(_("The instrument has been taken out of service."), "info")
    return _back_to(equipment.facility_id)
