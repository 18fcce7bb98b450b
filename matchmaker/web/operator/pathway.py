"""Each startup's pathway (/pathway/<id>): where it stands on the service chain, for its team
and for operators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services.operator import console
from matchmaker.services.recommendations import pathway, pathway_steps
from matchmaker.web.i18n import current_locale
from matchmaker.web.operator.forms import ActionForm
from matchmaker.web.recommendations.caller import engine_caller
from matchmaker.web.recommendations.reasons import reason_texts

pathway_bp = Blueprint("pathway", __name__, url_prefix="/pathway")


def stuck_days() -> int:
    """Days without progress after which a startup counts as stuck (OPERATOR_STUCK_DAYS)."""
    return int(current_app.config.get("OPERATOR_STUCK_DAYS", pathway.DEFAULT_STUCK_DAYS))


@pathway_bp.get("/")
@login_required
def mine() -> Response:
    first = console.first_startup_id(db.session, current_user)
    if first is None:
        if current_user.is_operator:
            return redirect(url_for("operator.pathways"))
        flash(_("Create a startup to see its pathway."), "info")
        return redirect(url_for("main.index"))
    return redirect(url_for("pathway.show", startup_id=first))


@pathway_bp.get("/<int:startup_id>")
@login_required
def show(startup_id: int) -> str:
    startup = pathway.startup_for_pathway(db.session, current_user, startup_id)
    view = pathway_steps.build_pathway(
        db.session,
        startup,
        use_engine=bool(current_app.config.get("OPERATOR_PATHWAY_ENGINE", True)),
        locale=current_locale(),
        stuck_days=stuck_days(),
        caller=engine_caller(),
    )
    return render_template(
        "operator/pathway.html",
        view=view,
        chain=pathway.CHAIN,
        form=ActionForm(),
    )


@pathway_bp.app_template_global("operator_reasons")
def operator_reasons(reasons: Any, viewer: str = "startup") -> list[str]:
    """Engine reasons (code + params) worded by web.recommendations.reasons; our own lazy texts as
    they are."""
    structured = [r for r in reasons if hasattr(r, "code")]
    texts = reason_texts(structured, viewer) if structured else []
    return texts + [str(r) for r in reasons if not hasattr(r, "code")]
