"""/operator/outbox: the e-mails "sent" while no SMTP server is configured (operators only).

Its own blueprint, registered in ``create_app``, so the operator console's module stays as it is.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required

from matchmaker.extensions import db
from matchmaker.mail import smtp_configured
from matchmaker.services import outbox

bp = Blueprint("outbox", __name__, url_prefix="/operator/outbox")


@bp.before_request
@login_required
def _operators_only() -> None:
    if not current_user.is_operator:
        abort(403)


@bp.get("/", endpoint="index")
def index() -> str:
    return render_template(
        "operator/outbox.html",
        emails=outbox.recent(db.session),
        smtp=smtp_configured(current_app.config),
    )
