"""Who may open a blueprint's pages: checks a blueprint installs with ``bp.before_request``."""

from __future__ import annotations

from flask import abort
from flask_login import current_user, login_required


@login_required  # anonymous visitors are sent to sign in (and come back)
def operators_only() -> None:
    """Signed-in operators only; anyone else signed in gets 403."""
    if not current_user.is_operator:
        abort(403)
