"""The home page: a role-aware dashboard built from the panels each area contributes."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from matchmaker.extensions import db
from matchmaker.services.accounts import dashboard
from matchmaker.web.navigation import dashboard_panels

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    if not current_user.is_authenticated:
        return render_template("main/landing.html", stats=dashboard.public_stats(db.session))
    overview = dashboard.overview_for(db.session, current_user)
    return render_template(
        "main/dashboard.html", overview=overview, panels=dashboard_panels(current_user)
    )
