"""Office hours (operators): pick a day, startups and mentors, preview the optimal assignment
of startups to the mentors' free slots, adjust it and publish it as scheduled sessions."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import ngettext
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.mentoring import office_hours as office_hours_service
from matchmaker.web.forms import parse_id
from matchmaker.web.mentoring import forms
from matchmaker.web.mentoring.blueprint import bp, session_url
from matchmaker.web.recommendations.caller import engine_caller


def _require_operator() -> None:
    if not current_user.is_operator:
        raise Forbidden(_l("Only operators can plan office hours."))


def _office_hours_form() -> forms.OfficeHoursForm:
    form = forms.OfficeHoursForm()
    startups, mentors = office_hours_service.planning_choices(db.session)
    form.startups.choices = [(s.id, s.name) for s in startups]
    form.mentors.choices = [(m.id, m.name) for m in mentors]
    return form


@bp.route("/mentoring/office-hours", methods=["GET", "POST"])
@login_required
def office_hours() -> str | Response | tuple[str, int]:
    _require_operator()
    form = _office_hours_form()
    if request.method == "GET":
        form.day.data = form.day.data or office_hours_service.tomorrow()
        return render_template("mentoring/office_hours.html", form=form, plan=None)
    if not form.validate_on_submit():
        return render_template("mentoring/office_hours.html", form=form, plan=None), 422
    if not form.startups.data or not form.mentors.data:
        flash(_("Pick at least one startup and one mentor."), "danger")
        return render_template("mentoring/office_hours.html", form=form, plan=None), 422
    day: date = form.day.data
    plan = office_hours_service.plan_office_hours(
        db.session, day, form.startups.data, form.mentors.data, caller=engine_caller()
    )
    if request.form.get("action") != "publish":
        return render_template("mentoring/office_hours.html", form=form, plan=plan)
    bookings = []
    for row in plan.rows:
        field = f"slot-{row.mentor.id}-{row.slot.key}"
        chosen = request.form.get(field, "")
        if parse_id(chosen) in form.startups.data:
            bookings.append(
                office_hours_service.OfficeHoursBooking(
                    int(chosen), row.mentor.id, row.slot.starts_at
                )
            )
    try:
        created = office_hours_service.publish_office_hours(
            db.session,
            current_user,
            bookings,
            topic=form.topic.data or "strategy",
            link_for=session_url,
        )
    except (Invalid, Conflict, NotFound) as exc:
        flash(str(exc.message), "danger")
        plan = office_hours_service.plan_office_hours(
            db.session, day, form.startups.data, form.mentors.data, caller=engine_caller()
        )
        return render_template("mentoring/office_hours.html", form=form, plan=plan), exc.status
    flash(
        ngettext(
            "%(num)d office-hours session published.",
            "%(num)d office-hours sessions published.",
            len(created),
        ),
        "success",
    )
    return redirect(url_for("mentoring.office_hours"))
