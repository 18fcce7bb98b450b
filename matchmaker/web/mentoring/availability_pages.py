"""The mentor's availability page: settings (zone, monthly capacity, pause), weekly slots,
one-off openings and blackout days. Each form posts to its own route and the page is re-rendered
with that form's errors when the service refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import Conflict, Invalid
from matchmaker.services.mentoring import availability_settings
from matchmaker.web.mentoring import forms
from matchmaker.web.mentoring.blueprint import attach, bp, status_of


def _availability_page(status: int = 200, **bound: FlaskForm) -> tuple[str, int]:
    view = availability_settings.availability_view(db.session, current_user)
    settings = bound.get("settings") or forms.SettingsForm(
        formdata=None,
        timezone=view.mentor.timezone,
        capacity_per_month=view.mentor.capacity_per_month,
        accepting_requests=view.mentor.accepting_requests,
    )
    return (
        render_template(
            "mentoring/availability.html",
            view=view,
            zone=view.mentor.timezone,
            settings_form=settings,
            weekly_form=bound.get("weekly") or forms.WeeklySlotForm(formdata=None),
            opening_form=bound.get("opening") or forms.OpeningForm(formdata=None),
            blackout_form=bound.get("blackout") or forms.BlackoutForm(formdata=None),
            confirm_form=forms.ConfirmForm(),
            weekdays=dict(forms.WEEKDAYS),
        ),
        status,
    )


@bp.get("/mentoring/availability")
@login_required
def availability_page() -> tuple[str, int]:
    return _availability_page()


def _availability_post(
    name: str, form: FlaskForm, action: Callable[[FlaskForm], Any], done: Any
) -> Response | tuple[str, int]:
    if not form.validate_on_submit():
        return _availability_page(422, **{name: form})
    try:
        action(form)
    except (Invalid, Conflict) as exc:
        attach(form, exc)
        return _availability_page(status_of(exc), **{name: form})
    flash(str(done), "success")
    return redirect(url_for("mentoring.availability_page"))


@bp.post("/mentoring/availability/settings")
@login_required
def save_settings() -> Response | tuple[str, int]:
    return _availability_post(
        "settings",
        forms.SettingsForm(),
        lambda f: availability_settings.update_settings(
            db.session,
            current_user,
            timezone=f.timezone.data or "",
            capacity_per_month=int(f.capacity_per_month.data or 0),
            accepting_requests=bool(f.accepting_requests.data),
        ),
        _l("Your settings have been saved."),
    )


@bp.post("/mentoring/availability/weekly")
@login_required
def add_weekly() -> Response | tuple[str, int]:
    return _availability_post(
        "weekly",
        forms.WeeklySlotForm(),
        lambda f: availability_settings.add_weekly_slot(
            db.session,
            current_user,
            weekday=int(f.weekday.data),
            start_minute=f.start_time.data.hour * 60 + f.start_time.data.minute,
            duration_minutes=int(f.duration_minutes.data),
        ),
        _l("Weekly slot added."),
    )


@bp.post("/mentoring/availability/opening")
@login_required
def add_opening() -> Response | tuple[str, int]:
    return _availability_post(
        "opening",
        forms.OpeningForm(),
        lambda f: availability_settings.add_opening(
            db.session,
            current_user,
            local_start=f.starts_at.data,
            duration_minutes=int(f.duration_minutes.data),
        ),
        _l("Opening added."),
    )


@bp.post("/mentoring/availability/blackout")
@login_required
def add_blackout() -> Response | tuple[str, int]:
    return _availability_post(
        "blackout",
        forms.BlackoutForm(),
        lambda f: availability_settings.add_blackout(
            db.session, current_user, day=f.day.data, note=f.note.data or ""
        ),
        _l("Day blocked."),
    )


@bp.post("/mentoring/availability/<kind>/<int:entry_id>/remove")
@login_required
def remove_availability(kind: str, entry_id: int) -> Response:
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    availability_settings.remove_entry(db.session, current_user, kind, entry_id)
    flash(_("Removed."), "success")
    return redirect(url_for("mentoring.availability_page"))
