"""Operators manage API tokens (/operator/api-tokens): list them with their scopes and last use,
issue one (its secret is shown once, on the answer to the POST, never again), revoke one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.api import tokens
from matchmaker.services.errors import ServiceError
from matchmaker.web.access import operators_only
from matchmaker.web.forms import MultiCheckboxField, show_refusal

bp = Blueprint("api_tokens", __name__, url_prefix="/operator/api-tokens")
bp.before_request(operators_only)


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])
    scopes = MultiCheckboxField(
        _l("Scopes"), choices=[(s, tokens.SCOPE_LABELS[s]) for s in tokens.API_SCOPES]
    )
    user_email = StringField(
        _l("User e-mail (own-data scope only)"), validators=[Optional(), Length(max=254)]
    )


class RevokeForm(FlaskForm):
    """Only the CSRF token."""


def _page(form: TokenForm, secret: str | None = None, status: int = 200) -> Any:
    return (
        render_template(
            "operator/api_tokens.html",
            tokens=tokens.list_tokens(db.session),
            form=form,
            revoke_form=RevokeForm(),
            secret=secret,
            scope_labels=tokens.SCOPE_LABELS,
        ),
        status,
    )


@bp.get("/", endpoint="index")
def index() -> Any:
    return _page(TokenForm())


@bp.post("/")
def create() -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        issued = tokens.issue_token(
            db.session, current_user, form.name.data or "", list(form.scopes.data or []),
            form.user_email.data,
        )  # fmt: skip
    except ServiceError as exc:
        show_refusal(form, exc)
        return _page(form, status=exc.status)
    # The secret goes out in this answer only; the page must not be cached anywhere.
    body, status = _page(TokenForm(formdata=None), secret=issued.secret, status=201)
    return body, status, {"Cache-Control": "no-store"}


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int) -> WerkzeugResponse:
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        token = tokens.revoke_token(db.session, current_user, token_id)
    except ServiceError as exc:
        abort(exc.status)
    flash(_("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
