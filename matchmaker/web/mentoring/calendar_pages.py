"""Mentoring sessions in the user's calendar app: the private feed it subscribes to (the token
in its address is the only credential) and the page that issues or revokes that address."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services import calendar
from matchmaker.services.calendar_feed import user_feed
from matchmaker.web.mentoring import forms
from matchmaker.web.mentoring.blueprint import bp


@bp.get("/calendar/feed/<token>.ics")
def calendar_feed(token: str) -> Response:
    """The private feed a calendar app subscribes to; the token is the only credential."""
    user = calendar.user_for_feed_token(db.session, token)
    if user is None:
        abort(404)
    return Response(
        user_feed(db.session, user),
        mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=300"},
    )


@bp.get("/mentoring/calendar")
@login_required
def calendar_settings() -> str:
    token = current_user.calendar_token
    url = url_for("mentoring.calendar_feed", token=token, _external=True) if token else None
    return render_template("mentoring/calendar.html", feed_url=url, form=forms.ConfirmForm())


@bp.post("/mentoring/calendar")
@login_required
def issue_calendar_token() -> Response:
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    calendar.issue_feed_token(db.session, current_user)
    flash(_("Your calendar feed address is ready. Any earlier address no longer works."), "success")
    return redirect(url_for("mentoring.calendar_settings"))


@bp.post("/mentoring/calendar/revoke")
@login_required
def revoke_calendar_token() -> Response:
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    calendar.revoke_feed_token(db.session, current_user)
    flash(_("Your calendar feed has been switched off."), "success")
    return redirect(url_for("mentoring.calendar_settings"))
