"""The public navigation map of innovation resources (/map): a district map of the city with
the list beside it, and the same data as JSON for the map's script (no inline script: CSP)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from matchmaker import vocab
from matchmaker.extensions import db
from matchmaker.services import resource_map as service
from matchmaker.services.errors import ServiceError
from matchmaker.web.i18n import current_locale
from matchmaker.web.navigation import NavItem, register_nav

bp = Blueprint("resource_map", __name__, url_prefix="/map")


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
    data = service.resource_map(db.session, filters, current_locale())
    return render_template(
        "map/index.html",
        data=data,
        filters=filters,
        error=error,
        kinds=service.RESOURCE_KINDS,
        districts=service.DISTRICTS,
        sectors=vocab.SECTORS,
        chain=vocab.CHAIN_SERVICES,
    ), status


@bp.get("/data.json")
def data() -> tuple[Response, int]:
    try:
        filters = service.MapFilters.parse(request.args)
    except ServiceError as exc:
        return jsonify(error=str(exc.message), field=exc.field), 422
    result = service.resource_map(db.session, filters, current_locale())
    payload = result.as_json()
    payload["labels"] = {
        "kinds": {k: vocab.label(service.RESOURCE_KINDS, k, current_locale())
                  for k in service.RESOURCE_KINDS},
        "districts": {d: vocab.label(service.DISTRICTS, d, current_locale())
                      for d in service.DISTRICTS},
        "resources": _("resources"),
    }  # fmt: skip
    return jsonify(payload), 200


def _nav(user: Any) -> list[NavItem]:
    return [NavItem(url_for("resource_map.index"), _("Resource map"))]


register_nav(_nav)
