"""The public policy center (/policies): published support measures; operators also see drafts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from matchmaker import vocab
from matchmaker.extensions import db
from matchmaker.services.operator.policy_center import policies
from matchmaker.web.i18n import current_locale

policies_bp = Blueprint("policies", __name__, url_prefix="/policies")


@policies_bp.get("/", endpoint="index")
def policy_index() -> str:
    return render_template("policies/index.html", policies=policies.published_policies(db.session))


@policies_bp.get("/<int:policy_id>")
def detail(policy_id: int) -> str:
    policy = policies.get_policy(
        db.session,
        policy_id,
        published_only=not (current_user.is_authenticated and current_user.is_operator),
    )
    return render_template("policies/detail.html", policy=policy)


@policies_bp.app_template_global("policy_kind_label")
def policy_kind_label(kind: str) -> str:
    return vocab.label(policies.POLICY_KIND_LABELS, kind, current_locale())
