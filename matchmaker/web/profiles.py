"""Onboarding and editing of one's own profiles. (Being written: see the profiles helper.)"""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("profiles", __name__, url_prefix="/me")


@bp.get("/")
@login_required
def onboarding() -> str:
    abort(501)


@bp.route("/startups/new", methods=["GET", "POST"])
@login_required
def new_startup() -> str:
    abort(501)


@bp.route("/startups/<int:startup_id>/edit", methods=["GET", "POST"])
@login_required
def edit_startup(startup_id: int) -> str:
    abort(501)


@bp.route("/mentor", methods=["GET", "POST"])
@login_required
def edit_mentor() -> str:
    abort(501)


@bp.route("/investors/new", methods=["GET", "POST"])
@login_required
def new_investor() -> str:
    abort(501)


@bp.route("/investors/<int:investor_id>/edit", methods=["GET", "POST"])
@login_required
def edit_investor(investor_id: int) -> str:
    abort(501)


@bp.route("/facilities/new", methods=["GET", "POST"])
@login_required
def new_facility() -> str:
    abort(501)


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@login_required
def edit_facility(facility_id: int) -> str:
    abort(501)
