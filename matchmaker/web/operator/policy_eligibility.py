"""Which startups a policy fits, and what the near-misses lack (/operator/policies/<id>/eligible,
operators only). The list comes from ``services.operator.policy_center.policy_eligibility``."""

from __future__ import annotations

from flask import Blueprint, render_template

from matchmaker.extensions import db
from matchmaker.services.operator.policy_center import policy_eligibility
from matchmaker.web.access import operators_only
from matchmaker.web.i18n import current_locale

bp = Blueprint("policy_eligibility", __name__, url_prefix="/operator/policies")
bp.before_request(operators_only)


@bp.get("/<int:policy_id>/eligible")
def eligible(policy_id: int) -> str:
    listing = policy_eligibility.eligibility_list(db.session, policy_id, locale=current_locale())
    return render_template("operator/policy_eligible.html", listing=listing)
