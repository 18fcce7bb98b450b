"""A founder's bookings and waitlist offers, and one booking's page with what its founder
and its facility's managers can do there (cancel, approve, decline, check in, record usage,
no-show). Part of the ``facilities`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.services.accounts.dashboard import member_startups
from matchmaker.services.calendar import render_ics
from matchmaker.services.errors import ServiceError
from matchmaker.services.facilities import catalogue
from matchmaker.services.facilities.bookings import lifecycle, queries, reserve, waitlist
from matchmaker.web.downloads import calendar_file
from matchmaker.web.facilities import forms
from matchmaker.web.facilities.blueprint import bp
from matchmaker.web.facilities.choices import voucher_choices
from matchmaker.web.facilities.flashes import flash_booked, flash_refusal
from matchmaker.web.redirects import safe_next


@bp.get("/bookings")
@login_required
def my_bookings() -> str:
    return render_template(
        "facilities/my_bookings.html",
        bookings=queries.founder_bookings(db.session, current_user),
        waitlist=queries.founder_waitlist(db.session, current_user),
        csrf_form=forms.EmptyForm(),
    )


def _visible_booking(booking_id: int) -> Any:
    booking = queries.booking_detail(db.session, booking_id)
    if booking is None:
        abort(404)
    member = any(m.user_id == current_user.id for m in booking.startup.members)
    if not (member or reserve.can_manage(current_user, booking.equipment)):
        abort(404)
    return booking


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int) -> str:
    b = _visible_booking(booking_id)
    return render_template(
        "facilities/booking.html",
        booking=b,
        can_manage=reserve.can_manage(current_user, b.equipment),
        csrf_form=forms.EmptyForm(),
        decline_form=forms.DeclineForm(),
        usage_form=forms.UsageForm(actual_minutes=b.minutes),
    )


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int) -> Response:
    b = _visible_booking(booking_id)
    ics = render_ics([queries.booking_event(b)], name=b.equipment.name)
    return calendar_file(ics, f"booking-{b.id}.ics")


def _booking_action(booking_id: int, action: Any, done: str) -> WerkzeugResponse:
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    try:
        action()
        flash(done, "success")
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash_refusal(exc)
    target = safe_next(request.form.get("next"))
    if target and target.startswith("/facilities/"):
        return redirect(target)
    return redirect(url_for(".booking", booking_id=booking_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int) -> WerkzeugResponse:
    return _booking_action(
        booking_id,
        lambda: lifecycle.cancel_booking(db.session, current_user, booking_id),
        _("The booking is cancelled."),
    )


@bp.post("/bookings/<int:booking_id>/approve")
@login_required
def approve(booking_id: int) -> WerkzeugResponse:
    return _booking_action(
        booking_id,
        lambda: lifecycle.approve_booking(db.session, current_user, booking_id),
        _("The booking is approved."),
    )


@bp.post("/bookings/<int:booking_id>/decline")
@login_required
def decline(booking_id: int) -> WerkzeugResponse:
    form = forms.DeclineForm()
    if not form.validate_on_submit():
        flash(_("Please give the founder a reason."), "danger")
        return redirect(url_for(".booking", booking_id=booking_id))
    return _booking_action(
        booking_id,
        lambda: lifecycle.decline_booking(
            db.session, current_user, booking_id, form.reason.data or ""
        ),
        _("The booking is declined."),
    )


@bp.post("/bookings/<int:booking_id>/check-in")
@login_required
def check_in(booking_id: int) -> WerkzeugResponse:
    return _booking_action(
        booking_id,
        lambda: lifecycle.check_in(db.session, current_user, booking_id),
        _("Checked in."),
    )


@bp.post("/bookings/<int:booking_id>/usage")
@login_required
def record_usage(booking_id: int) -> WerkzeugResponse:
    form = forms.UsageForm()
    if not form.validate_on_submit():
        flash(_("Enter the minutes used (1 to 1440)."), "danger")
        return redirect(url_for(".booking", booking_id=booking_id))
    return _booking_action(
        booking_id,
        lambda: lifecycle.record_usage(
            db.session, current_user, booking_id, form.actual_minutes.data or 0
        ),
        _("Usage recorded; the booking is completed."),
    )


@bp.post("/bookings/<int:booking_id>/no-show")
@login_required
def no_show(booking_id: int) -> WerkzeugResponse:
    return _booking_action(
        booking_id,
        lambda: lifecycle.mark_no_show(db.session, current_user, booking_id),
        _("Marked as a no-show."),
    )


@bp.get("/waitlist/<int:entry_id>")
@login_required
def waitlist_offer(entry_id: int) -> str:
    entry = catalogue.waitlist_offer(db.session, current_user, entry_id)
    if entry is None:
        abort(404)
    startups = member_startups(db.session, current_user)
    return render_template(
        "facilities/waitlist_offer.html",
        entry=entry,
        voucher_choices=voucher_choices(startups, entry.equipment.category),
        csrf_form=forms.EmptyForm(),
    )


@bp.post("/waitlist/<int:entry_id>/accept")
@login_required
def accept_offer(entry_id: int) -> WerkzeugResponse:
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    try:
        b = reserve.accept_offer(
            db.session,
            current_user,
            entry_id,
            voucher_id=request.form.get("voucher_id", type=int) or None,
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash_refusal(exc)
        return redirect(url_for(".my_bookings"))
    flash_booked(b)
    return redirect(url_for(".booking", booking_id=b.id))


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave_waitlist(entry_id: int) -> WerkzeugResponse:
    if not forms.EmptyForm().validate_on_submit():
        abort(400)
    try:
        waitlist.leave_waitlist(db.session, current_user, entry_id)
    except ServiceError:
        abort(404)
    flash(_("You left the waitlist."), "info")
    return redirect(url_for(".my_bookings"))
