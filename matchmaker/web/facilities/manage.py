"""Facility managers' pages: approvals inbox, availability and rules, trainings, usage and
utilisation with chart and exports. Part of the ``facilities`` blueprint."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services.errors import ServiceError
from matchmaker.services.facilities import utilisation
from matchmaker.services.facilities.bookings import equipment_setup, queries
from matchmaker.services.facilities.equipment_availability import local_today, rules_for
from matchmaker.timezones import to_utc
from matchmaker.web.facilities import forms
from matchmaker.web.facilities.access import require_facility_manager
from matchmaker.web.facilities.blueprint import bp
from matchmaker.web.facilities.downloads import requested_file

if TYPE_CHECKING:
    from matchmaker.models import Equipment

# -- managers ---------------------------------------------------------------------------------


@bp.get("/manage")
@login_required
def manage() -> str:
    require_facility_manager()
    return render_template(
        "facilities/manage.html",
        facilities=equipment_setup.managed_facilities(db.session, current_user),
        inbox=queries.manager_inbox(db.session, current_user),
        csrf_form=forms.EmptyForm(),
        decline_form=forms.DeclineForm(),
    )


def _rules_form(eq: Equipment) -> forms.RulesForm:
    # The form's limits are named as the rules' columns; the mode and the training gate are the
    # instrument's own.
    return forms.RulesForm(
        obj=rules_for(db.session, eq.id),
        booking_mode=eq.booking_mode,
        training_required=eq.training_required,
    )


def _render_setup(eq: Equipment, **form_overrides: Any) -> str:
    values = {
        "window_form": forms.WindowForm(formdata=None),
        "exception_form": forms.ExceptionForm(formdata=None),
        "rules_form": _rules_form(eq) if "rules_form" not in form_overrides else None,
        "training_form": forms.TrainingForm(formdata=None),
    }
    values.update(form_overrides)
    return render_template(
        "facilities/setup.html",
        equipment=eq,
        csrf_form=forms.EmptyForm(),
        **equipment_setup.setup_view(db.session, eq.id),
        **values,
    )


def _publish(
    equipment_id: int,
    form_name: str,
    form: FlaskForm,
    save: Callable[[], object],
    field_for: Callable[[str | None], Any],
    done: str,
) -> WerkzeugResponse | tuple[str, int]:
    """Save what a setup form publishes for an instrument the user manages, then back to its
    setup page. An invalid form, or the service's refusal (shown on ``field_for(exc.field)``),
    renders the page again with ``form`` as ``form_name`` and its errors."""
    eq = equipment_setup.managed_equipment(db.session, current_user, equipment_id)
    if not form.validate_on_submit():
        return _render_setup(eq, **{form_name: form}), 422
    try:
        save()
    except ServiceError as exc:
        field_for(exc.field).errors = [str(exc.message)]
        return _render_setup(eq, **{form_name: form}), 422
    flash(done, "success")
    return redirect(url_for(".setup", equipment_id=equipment_id))


def _removed(delete: Callable[[], int], done: str) -> WerkzeugResponse:
    """Remove a published row (``delete`` returns its instrument's id), back to the setup page."""
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    equipment_id = delete()
    flash(done, "info")
    return redirect(url_for(".setup", equipment_id=equipment_id))


@bp.get("/manage/equipment/<int:equipment_id>")
@login_required
def setup(equipment_id: int) -> str:
    eq = equipment_setup.managed_equipment(db.session, current_user, equipment_id)
    return _render_setup(eq)


@bp.post("/manage/equipment/<int:equipment_id>/windows")
@login_required
def add_window(equipment_id: int) -> WerkzeugResponse | tuple[str, int]:
    form = forms.WindowForm()
    return _publish(
        equipment_id,
        "window_form",
        form,
        lambda: equipment_setup.add_weekly_window(
            db.session,
            current_user,
            equipment_id,
            [int(d) for d in form.weekdays.data or []],
            form.start_time.data,
            form.end_time.data,
        ),
        lambda name: form.weekdays if name == "weekdays" else form.end_time,
        _("Weekly availability published."),
    )


@bp.post("/manage/windows/<int:window_id>/delete")
@login_required
def delete_window(window_id: int) -> WerkzeugResponse:
    return _removed(
        lambda: equipment_setup.delete_window(db.session, current_user, window_id),
        _("Window removed."),
    )


@bp.post("/manage/equipment/<int:equipment_id>/exceptions")
@login_required
def add_exception(equipment_id: int) -> WerkzeugResponse | tuple[str, int]:
    form = forms.ExceptionForm()

    def save() -> object:
        starts_at = to_utc(datetime.combine(form.day.data, form.start_time.data))
        ends_at = to_utc(datetime.combine(form.end_day.data or form.day.data, form.end_time.data))
        return equipment_setup.add_exception(
            db.session, current_user, equipment_id, kind=form.kind.data or "blackout",
            starts_at=starts_at, ends_at=ends_at, note=form.note.data or "",
        )  # fmt: skip

    return _publish(
        equipment_id, "exception_form", form, save, lambda _name: form.end_time, _("Saved.")
    )


@bp.post("/manage/exceptions/<int:exception_id>/delete")
@login_required
def delete_exception(exception_id: int) -> WerkzeugResponse:
    return _removed(
        lambda: equipment_setup.delete_exception(db.session, current_user, exception_id),
        _("Removed."),
    )


@bp.post("/manage/equipment/<int:equipment_id>/rules")
@login_required
def save_rules(equipment_id: int) -> WerkzeugResponse | tuple[str, int]:
    form = forms.RulesForm()
    return _publish(
        equipment_id,
        "rules_form",
        form,
        lambda: equipment_setup.save_rules(
            db.session,
            current_user,
            equipment_id,
            min_minutes=form.min_minutes.data or 0,
            max_minutes=form.max_minutes.data or 0,
            granularity_minutes=form.granularity_minutes.data or 0,
            buffer_minutes=form.buffer_minutes.data or 0,
            lead_time_minutes=form.lead_time_minutes.data or 0,
            horizon_days=form.horizon_days.data or 0,
            weekly_quota_hours=form.weekly_quota_hours.data,
            cancel_notice_hours=form.cancel_notice_hours.data or 0,
            booking_mode=form.booking_mode.data or "instant",
            training_required=bool(form.training_required.data),
        ),
        lambda name: getattr(form, name or "", None) or form.min_minutes,
        _("Booking rules saved."),
    )


@bp.post("/manage/equipment/<int:equipment_id>/trainings")
@login_required
def grant_training(equipment_id: int) -> WerkzeugResponse | tuple[str, int]:
    form = forms.TrainingForm()
    return _publish(
        equipment_id,
        "training_form",
        form,
        lambda: equipment_setup.grant_training(
            db.session, current_user, equipment_id, form.email.data or "", form.valid_until.data
        ),
        lambda name: form.valid_until if name == "valid_until" else form.email,
        _("Training recorded."),
    )


@bp.post("/manage/trainings/<int:training_id>/delete")
@login_required
def revoke_training(training_id: int) -> WerkzeugResponse:
    return _removed(
        lambda: equipment_setup.revoke_training(db.session, current_user, training_id),
        _("Removed."),
    )


@bp.get("/manage/usage")
@login_required
def usage() -> str | Response:
    require_facility_manager()
    facilities = equipment_setup.managed_facilities(db.session, current_user)
    form = forms.UsageFilterForm(request.args)
    form.facility_id.choices = [(0, _("All my facilities"))] + [(f.id, f.name) for f in facilities]
    all_equipment = [e for f in facilities for e in f.equipment]
    form.equipment_id.choices = [(0, _("All instruments"))] + [
        (e.id, f"{e.name} · {e.facility.name}") for e in all_equipment
    ]
    form.validate()
    today = local_today()
    first = form.first.data or today - timedelta(days=30)
    last = form.last.data or today + timedelta(days=30)
    if last < first:
        first, last = last, first
    if (last - first).days > 366 * 2:
        last = first + timedelta(days=366 * 2)
    selected = [
        e
        for e in all_equipment
        if (not form.facility_id.data or e.facility_id == form.facility_id.data)
        and (not form.equipment_id.data or e.id == form.equipment_id.data)
    ]
    report = utilisation.usage_report(db.session, selected, first, last)
    exported = requested_file(
        f"utilisation-{first.isoformat()}-{last.isoformat()}",
        lambda: utilisation.report_csv(report),
        lambda: utilisation.report_xlsx(report),
    )
    if exported is not None:
        return exported
    chart = {
        "labels": [d.isoformat() for d in report.days],
        "datasets": [
            {"label": _("Hours open"), "data": report.daily_open},
            {"label": _("Hours booked"), "data": report.daily_booked},
            {"label": _("Hours used"), "data": report.daily_used},
        ],
    }
    query = {k: v for k, v in request.args.items() if k != "format"}
    query.update(first=first.isoformat(), last=last.isoformat())
    return render_template(
        "facilities/usage.html",
        form=form,
        report=report,
        chart_json=json.dumps(chart, ensure_ascii=False).replace("</", "<\\/"),
        query=query,
    )
