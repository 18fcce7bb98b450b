"""The profiles blueprint (``/me``) and what its pages share.

Its views live in ``profiles`` (onboarding, contacts, invitations, startups, mentor profile),
``investor_profiles`` and ``facility_profiles``; the app registers ``profiles.bp``, which
imports the other two so that their routes are on the blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.services.accounts import memberships
from matchmaker.services.errors import Conflict, Invalid

bp = Blueprint("profiles", __name__, url_prefix="/me")

T = TypeVar("T")


def attempt(form: FlaskForm, use_case: Callable[[], T]) -> T | None:
    """Run ``use_case``; on a refusal show its message next to its field and return None.
    (The service has already rolled its transaction back.)"""
    try:
        return use_case()
    except (Invalid, Conflict) as exc:
        field = form[exc.field] if exc.field and exc.field in form else None
        if field is not None:
            field.errors = [*field.errors, str(exc.message)]
        else:
            form.form_errors.append(str(exc.message))
        return None


def succeeds(form: FlaskForm, use_case: Callable[[], object]) -> bool:
    """``attempt`` for a use case that returns nothing: did it go through?"""

    def run() -> bool:
        use_case()
        return True

    return attempt(form, run) is not None


def flash_saved() -> None:
    """The one "saved" message of every profile form."""
    flash(_("Your changes have been saved."), "success")


def flash_invited() -> None:
    """What the inviter is told after an invitation, whatever happened (see ``memberships``)."""
    # The same words whether or not an account uses the address (no way to probe for accounts).
    flash(
        _(
            "If an account uses this e-mail address, its owner has been invited. "
            "They become a member once they accept."
        ),
        "success",
    )


def profiles_link() -> str:
    """The absolute address of one's profiles page, where invitations are answered."""
    return url_for("profiles.onboarding", _external=True)


def withdraw_invitation(kind: str, owner_id: int, invitation_id: int, back: str) -> Response:
    """A member takes back a pending invitation of their startup or fund; back to ``back``."""
    try:
        memberships.withdraw_invitation(db.session, current_user, kind, owner_id, invitation_id)
    except Conflict as exc:
        flash(str(exc.message), "danger")
    else:
        flash(_("The invitation has been withdrawn."), "info")
    return redirect(back)
