"""The notification inbox and the unread badge."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.services import notifications
from matchmaker.web.forms import parse_id
from matchmaker.web.redirects import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _unread_badge() -> dict[str, Any]:
    if getattr(current_user, "is_authenticated", False):
        user = current_user._get_current_object()  # the User: sa.inspect refuses a proxy
        return {"unread_notifications": notifications.unread_count(db.session, user)}
    return {"unread_notifications": 0}


@bp.get("/")
@login_required
def index() -> str:
    rows = notifications.recent(db.session, current_user)
    items = [(n, notifications.render(n)) for n in rows]
    return render_template("notifications/index.html", items=items)


@bp.post("/read")
@login_required
def mark_read() -> Response:
    raw = request.form.get("id")
    notifications.mark_read(db.session, current_user, parse_id(raw))
    target = safe_next(request.form.get("link"))
    if target:
        return redirect(target)
    return redirect(url_for("notifications.index"))
