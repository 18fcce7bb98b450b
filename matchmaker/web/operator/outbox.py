"""/operator/outbox: the e-mails "sent" while no SMTP server is configured (operators only).

Its own blueprint, registered in ``create_app``, so the operator console's module stays as it is.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from matchmaker.extensions import db
from matchmaker.mail import smtp_configured
from matchmaker.services import outbox
from matchmaker.web.access import operators_only

bp = Blueprint("outbox", __name__, url_prefix="/operator/outbox")
bp.before_request(operators_only)


@bp.get("/", endpoint="index")
def index() -> str:
    return render_template(
        "operator/outbox.html",
        emails=outbox.recent(db.session),
        smtp=smtp_configured(current_app.config),
    )
