"""Operator moderation. (Being written: see the profiles helper.)"""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@login_required
def users() -> str:
    abort(501)
