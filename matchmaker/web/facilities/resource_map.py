"""The public navigation map of innovation resources (/map): a district map of the city with
the list beside it, and the same data as JSON for the map's script (no inline script: CSP)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectField, StringField
from wtforms.validators import Length

from matchmaker import vocab
from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Facility
from matchmaker.services.errors import ServiceError
from matchmaker.services.facilities import resource_map as service
from matchmaker.web.i18n import current_locale
from matchmaker.web.panels import DashboardPanel, NavItem

bp = Blueprint("resource_map", __name__, url_prefix="/map")


def _profile_link(kind: str, entity_id: int) -> str:
    """A map item's link: the directory page of the facility, mentor or investor."""
    values: dict[str, Any] = {f"{kind}_id": entity_id}
    return url_for(f"directory.{kind}", **values)


@bp.get("/", endpoint="index")
def index() -> tuple[str, int]:
    status = 200
    try:
        filters = service.MapFilters.parse(request.args)
    except ServiceError as exc:
        # A bad filter (a hand-edited URL): say so, and show the whole map.
        error: Any = exc.message
        filters, status = service.MapFilters(), 422
    else:
        error = None
    data = service.resource_map(db.session, filters, current_locale(), _profile_link)
    return render_template(
        "map/index.html",
        data=data,
        filters=filters,
        error=error,
        kinds=service.RESOURCE_KINDS,
        districts=service.DISTRICTS,
        sectors=vocab.SECTORS,
        chain=vocab.CHAIN_SERVICES,
        # the map draws what the list shows: the parsed filters, not the raw query string
        data_url=url_for("resource_map.data", **{k: v for k, v in vars(filters).items() if v}),
    ), status


@bp.get("/data.json")
def data() -> tuple[Response, int]:
    try:
        filters = service.MapFilters.parse(request.args)
    except ServiceError as exc:
        return jsonify(error=str(exc.message), field=exc.field), 422
    result = service.resource_map(db.session, filters, current_locale(), _profile_link)
    payload = result.as_json()
    payload["labels"] = {
        "kinds": {k: vocab.label(service.RESOURCE_KINDS, k, current_locale())
                  for k in service.RESOURCE_KINDS},
        "districts": {d: vocab.label(service.DISTRICTS, d, current_locale())
                      for d in service.DISTRICTS},
        "resources": _("resources"),
    }  # fmt: skip
    return jsonify(payload), 200


class FacilityLocationForm(FlaskForm):
    # Free text checked by the service (the district list is long; unknown names are refused
    # there with a translated message, so the form and any other caller agree).
    district = SelectField(_l("District"), validate_choice=False)
    latitude = StringField(_l("Latitude"), validators=[Length(max=20)])
    longitude = StringField(_l("Longitude"), validators=[Length(max=20)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = current_locale()
        self.district.choices = [("", _("Not given"))] + [
            (code, vocab.label(service.DISTRICTS, code, locale)) for code in service.DISTRICTS
        ]


@bp.post("/facilities/<int:facility_id>/location")
@login_required
def facility_location(facility_id: int) -> WerkzeugResponse:
    form = FacilityLocationForm()
    back = url_for("directory.facility", facility_id=facility_id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return redirect(back)
    try:
        service.set_facility_location(
            db.session,
            current_user,
            facility_id,
            district=form.district.data,
            latitude=form.latitude.data,
            longitude=form.longitude.data,
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "danger")
    else:
        flash(_("The facility's place on the map is saved."), "success")
    return redirect(back)


def facility_section(entity: Any, user: Any) -> list[DashboardPanel]:
    if not isinstance(entity, Facility):
        return []
    manager = bool(
        getattr(user, "is_authenticated", False) and (user.is_operator or entity.has_manager(user))
    )
    form = None
    if manager:
        form = FacilityLocationForm(
            formdata=None,
            district=entity.district,
            latitude="" if entity.latitude is None else str(entity.latitude),
            longitude="" if entity.longitude is None else str(entity.longitude),
        )
    district = entity.district or service.district_of(entity.location, entity.address)
    return [
        DashboardPanel(
            "map/_facility_location.html",
            {
                "facility": entity,
                "district": district,
                "district_label": vocab.label(service.DISTRICTS, district, current_locale()),
                "form": form,
            },
            order=45,
        )
    ]


def nav_items(user: Any) -> list[NavItem]:
    return [NavItem(url_for("resource_map.index"), _("Resource map"))]
