"""Asking for a session and the lists of them: a founder's request form and overview, and the
mentor's inbox (with the engine's reasons for each request's match)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services.errors import Conflict, Invalid
from matchmaker.services.mentoring import queries, requesting
from matchmaker.web.forms import parse_id
from matchmaker.web.mentoring import forms
from matchmaker.web.mentoring.blueprint import (
    APP_ZONE,
    attach,
    bp,
    keys_to_times,
    reasons_for,
    request_ttl,
    session_url,
    slot_choices,
    status_of,
)


@bp.route("/mentoring/request/<int:mentor_id>", methods=["GET", "POST"])
@login_required
def request_session(mentor_id: int) -> str | Response | tuple[str, int]:
    page = queries.request_page(db.session, current_user, mentor_id)
    mentor = page.mentor
    form = forms.RequestForm()
    form.startup_id.choices = [(s.id, s.name) for s in page.startups]
    form.slots.choices = slot_choices(page.slots, APP_ZONE)
    if request.method == "GET" and request.args.get("follow_up_of"):
        form.follow_up_of.data = request.args.get("follow_up_of")
    status = 200
    if form.validate_on_submit():
        try:
            follow_up = form.follow_up_of.data
            ms = requesting.request_session(
                db.session,
                current_user,
                mentor_id=mentor.id,
                startup_id=form.startup_id.data or 0,
                topic=form.topic.data or "",
                goal=form.goal.data or "",
                slot_starts=keys_to_times(form.slots.data),
                follow_up_of_id=parse_id(follow_up),
                ttl_hours=request_ttl(),
                link_for=session_url,
            )
        except (Invalid, Conflict) as exc:
            attach(form, exc)
            status = status_of(exc)
        else:
            flash(_("Your request has been sent to %(name)s.", name=mentor.name), "success")
            return redirect(url_for("mentoring.session_detail", session_id=ms.id))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "mentoring/request.html",
            form=form,
            mentor=mentor,
            receiving=page.receiving,
            slots=page.slots,
        ),
        status,
    )


@bp.get("/mentoring/")
@login_required
def my_mentoring() -> str:
    overview = queries.founder_overview(db.session, current_user)
    return render_template("mentoring/my.html", overview=overview, zone=APP_ZONE)


@bp.get("/mentoring/inbox")
@login_required
def inbox() -> str:
    box = queries.mentor_inbox(db.session, current_user)
    reasons = {ms.id: reasons_for(ms.startup_id, ms.mentor_id) for ms in box.pending}
    return render_template(
        "mentoring/inbox.html", inbox=box, reasons=reasons, zone=box.mentor.timezone
    )
