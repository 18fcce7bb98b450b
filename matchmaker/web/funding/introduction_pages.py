"""Funding pages: double opt-in introductions between a startup and a fund (the list, its
JSON, requesting one, accepting or declining). Contacts appear only once both sides accept."""

from __future__ import annotations

from flask import Response, abort, flash, jsonify, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.models.funding import Introduction
from matchmaker.services.errors import ServiceError
from matchmaker.services.funding import introductions
from matchmaker.web.forms import parse_id, refusal_status
from matchmaker.web.funding.blueprint import bp
from matchmaker.web.funding.forms import EmptyForm, IntroductionForm
from matchmaker.web.redirects import redirect_next


@bp.get("/introductions")
@login_required
def introductions_page() -> str:
    return render_template(
        "funding/introductions.html",
        views=introductions.introductions_for(db.session, current_user),
        form=EmptyForm(),
    )


@bp.get("/api/introductions")
@login_required
def introductions_api() -> Response:
    """JSON of the user's introductions; contacts only once both sides accepted."""
    return jsonify(
        introductions=[
            {
                "id": v.intro.id,
                "startup": v.intro.startup.name,
                "investor": v.intro.investor.name,
                "status": v.intro.status,
                "my_side": v.my_side,
                "contacts": [c.__dict__ for c in v.contacts],
            }
            for v in introductions.introductions_for(db.session, current_user)
        ]
    )


def _intro_link() -> str:
    return url_for("funding.introductions_page", _external=True)


def _back(default: str) -> WerkzeugResponse:
    return redirect_next(default)


def _flash_outcome(intro: Introduction, answer: str | None) -> None:
    """Tell the user where the introduction stands after their request (``answer`` None) or
    their answer ("accept" / "decline")."""
    if intro.is_accepted:
        flash(_("Introduction accepted: you can now see each other's contacts."), "success")
    elif answer is None:
        flash(_("Introduction requested. Contacts are shared once they accept."), "success")
    elif answer == "accept":
        flash(_("Accepted. Contacts are shared once the other side accepts too."), "success")
    else:
        flash(_("Introduction declined."), "info")


@bp.post("/introductions/request")
@login_required
def request_intro() -> WerkzeugResponse:
    form = IntroductionForm()
    if not form.validate_on_submit():
        abort(400)
    # Hidden ids: a value that cannot name a row (a 20-digit number is out of PostgreSQL's
    # integer range) is a bad request, not a 500.
    startup_id, investor_id = parse_id(form.startup_id.data), parse_id(form.investor_id.data)
    if startup_id is None or investor_id is None:
        abort(400)
    try:
        intro = introductions.request_introduction(
            db.session,
            current_user,
            startup_id=startup_id,
            investor_id=investor_id,
            side=form.side.data or "",
            message=form.message.data or "",
            link=_intro_link(),
        )
    except ServiceError as exc:
        refusal_status(exc)
    else:
        _flash_outcome(intro, None)
    return _back(url_for("funding.introductions_page"))


@bp.post("/introductions/<int:intro_id>/<any(accept, decline):answer>")
@login_required
def answer_intro(intro_id: int, answer: str) -> WerkzeugResponse:
    if not EmptyForm().validate_on_submit():
        abort(400)
    action = (
        introductions.accept_introduction
        if answer == "accept"
        else introductions.decline_introduction
    )
    try:
        intro = action(db.session, current_user, intro_id, link=_intro_link())
    except ServiceError as exc:
        refusal_status(exc)
    else:
        _flash_outcome(intro, answer)
    return _back(url_for("funding.introductions_page"))
