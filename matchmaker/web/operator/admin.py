"""Operator moderation: accounts (suspend/restore) and any profile (deactivate/reactivate)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker import vocab
from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services.errors import Invalid
from matchmaker.services.operator import moderation
from matchmaker.web.access import operators_only
from matchmaker.web.forms import int_arg
from matchmaker.web.redirects import redirect_next

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(operators_only)

PROFILE_PAGES = {
    "startup": ("directory.startup", "startup_id"),
    "mentor": ("directory.mentor", "mentor_id"),
    "investor": ("directory.investor", "investor_id"),
    "facility": ("directory.facility", "facility_id"),
    "equipment": ("directory.equipment_detail", "equipment_id"),
}


@bp.get("/users")
def users() -> str:
    role = request.args.get("role", "")
    role = role if role in vocab.ROLES else ""
    status = request.args.get("status", "")
    page = moderation.list_users(
        db.session,
        current_user,
        q=request.args.get("q", "").strip()[:100],
        role=role,
        status=status if status in ("active", "suspended") else "",
        page=int_arg("page", 1, 99999) or 1,
    )
    return render_template("admin/users.html", page=page, role=role, status=status)


@bp.post("/users/<int:user_id>/active")
def set_user_active(user_id: int) -> Response:
    active = request.form.get("active") == "1"
    try:
        user = moderation.set_user_active(db.session, current_user, user_id, active)
    except Invalid as exc:
        flash(str(exc.message), "danger")
    else:
        if active:
            flash(_("%(name)s's account has been restored.", name=user.display_name), "success")
        else:
            flash(_("%(name)s's account has been suspended.", name=user.display_name), "info")
    return redirect_next(url_for("admin.users"))


@bp.post("/<kind>/<int:entity_id>/active")
def set_profile_active(kind: str, entity_id: int) -> Response:
    if kind not in PROFILE_PAGES:
        abort(404)
    active = request.form.get("active") == "1"
    moderation.set_profile_active(db.session, current_user, kind, entity_id, active)
    if active:
        flash(_("The profile is visible again."), "success")
    else:
        flash(_("The profile has been deactivated and is hidden from the directory."), "info")
    endpoint, arg = PROFILE_PAGES[kind]
    values: dict[str, Any] = {arg: entity_id}
    return redirect_next(url_for(endpoint, **values))
