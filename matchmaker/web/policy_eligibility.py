"""Which startups a policy fits, and what the near-misses lack (/operator/policies/<id>/eligible,
operators only). The list comes from ``services.policy_eligibility``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user

from matchmaker.extensions import db, login_manager
from matchmaker.services import policy_eligibility
from matchmaker.web.i18n import current_locale

bp = Blueprint("policy_eligibility", __name__, url_prefix="/operator/policies")


@bp.before_request
def _operators_only() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_operator:
        abort(403)
    return None


@bp.get("/<int:policy_id>/eligible")
def eligible(policy_id: int) -> str:
    listing = policy_eligibility.eligibility_list(db.session, policy_id, locale=current_locale())
    return render_template("operator/policy_eligible.html", listing=listing)
