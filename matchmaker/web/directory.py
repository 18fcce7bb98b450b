"""Public directories. (Being written: see the profiles helper.)"""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("directory", __name__)


@bp.get("/startups")
def startups() -> str:
    abort(501)


@bp.get("/startups/<int:startup_id>")
def startup(startup_id: int) -> str:
    abort(501)


@bp.get("/mentors")
def mentors() -> str:
    abort(501)


@bp.get("/mentors/<int:mentor_id>")
def mentor(mentor_id: int) -> str:
    abort(501)


@bp.get("/investors")
def investors() -> str:
    abort(501)


@bp.get("/investors/<int:investor_id>")
def investor(investor_id: int) -> str:
    abort(501)


@bp.get("/facilities")
def facilities() -> str:
    abort(501)


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int) -> str:
    abort(501)


@bp.get("/equipment")
def equipment() -> str:
    abort(501)


@bp.get("/equipment/<int:equipment_id>")
def equipment_detail(equipment_id: int) -> str:
    abort(501)
