"""Shared facilities, the founder's way in: find an instrument, its calendar, book it (once
or weekly), join its waitlist, propose bookings from a need in words; the template globals of
every facilities page. The pages of a booking once made are ``booking_pages`` (imported here so
that the app factory's import of this module registers them), the managers' ``manage``, the
vouchers' ``vouchers``; all on the one ``facilities`` blueprint."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, utcnow
from matchmaker.services.accounts.dashboard import member_startups
from matchmaker.services.calendar import render_ics
from matchmaker.services.errors import ServiceError
from matchmaker.services.facilities import catalogue
from matchmaker.services.facilities.bookings import (
    need_parsing,
    queries,
    reserve,
    slot_proposals,
    waitlist,
)
from matchmaker.services.facilities.bookings.slot_checks import WantedSlot
from matchmaker.services.facilities.equipment_availability import local_today, rules_for
from matchmaker.timezones import to_utc, wall_clock
from matchmaker.web.facilities import (
    booking_pages,  # noqa: F401  (its routes, on bp)
    forms,
)
from matchmaker.web.facilities.blueprint import bp
from matchmaker.web.facilities.choices import voucher_choices
from matchmaker.web.facilities.flashes import flash_booked, flash_refusal
from matchmaker.web.forms import id_arg
from matchmaker.web.panels import DashboardPanel, NavItem
from matchmaker.web.recommendations.caller import engine_caller

STATUS_LABELS = {
    "pending": _l("Awaiting approval"),
    "confirmed": _l("Confirmed"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Completed"),
    "no_show": _l("No-show"),
    "expired": _l("Expired (not approved in time)"),
}
LEDGER_KINDS = {
    "issue": _l("Issued"),
    "hold": _l("Held for a booking"),
    "release": _l("Returned"),
    "redeem": _l("Redeemed"),
}


@bp.app_template_global("facility_local")
def facility_local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if moment is None else wall_clock(moment).strftime(fmt)


@bp.app_template_global("booking_status_label")
def booking_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_global("ledger_kind_label")
def ledger_kind_label(kind: str) -> str:
    return str(LEDGER_KINDS.get(kind, kind))


def _equipment_or_404(equipment_id: int) -> Equipment:
    equipment = catalogue.equipment_by_id(db.session, equipment_id)
    if equipment is None:
        abort(404)
    return equipment


# -- founder: find, calendar, book ------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> str:
    text = request.args.get("q", "")
    category = request.args.get("category", "")
    facility_id = id_arg("facility_id")
    try:
        max_price = Decimal(request.args["max_price"]) if request.args.get("max_price") else None
    except InvalidOperation:
        max_price = None
    if max_price is not None and not max_price.is_finite():
        max_price = None
    voucher_only = bool(request.args.get("voucher"))
    items = catalogue.find_equipment(
        db.session,
        text=text,
        category=category,
        facility_id=facility_id,
        max_price=max_price,
        voucher_only=voucher_only,
    )
    facilities = catalogue.active_facilities(db.session)
    startups = member_startups(db.session, current_user)
    propose = forms.ProposeForm()
    propose.startup_id.choices = [(s.id, s.name) for s in startups]
    return render_template(
        "facilities/index.html",
        items=items,
        facilities=facilities,
        args=request.args,
        propose=propose,
        has_startup=bool(startups),
    )


def _week_start(arg: str | None) -> date:
    try:
        day = date.fromisoformat(arg) if arg else local_today()
    except ValueError:
        day = local_today()
    return day - timedelta(days=day.weekday())


@bp.get("/equipment/<int:equipment_id>")
@login_required
def equipment(equipment_id: int) -> str:
    return _render_equipment(_equipment_or_404(equipment_id))


def _render_equipment(eq: Equipment, posted: forms.BookingForm | None = None) -> str:
    """The calendar and booking form; ``posted``: a refused booking's form, shown again with
    what the founder entered."""
    week = _week_start(request.args.get("week"))
    if posted is not None and posted.day.data and request.args.get("week") is None:
        week = _week_start(posted.day.data.isoformat())
    days = queries.week_calendar(db.session, eq, week)
    startups = member_startups(db.session, current_user)
    form = posted or forms.BookingForm()
    form.startup_id.choices = [(s.id, s.name) for s in startups]
    form.voucher_id.choices = (
        voucher_choices(startups, eq.category) if eq.voucher_eligible else [(0, _("No voucher"))]
    )
    form.seen_at.data = utcnow().isoformat(timespec="seconds")
    waitlist = forms.WaitlistForm()
    waitlist.startup_id.choices = form.startup_id.choices
    if posted is None and request.args.get("day"):
        try:
            form.day.data = date.fromisoformat(request.args["day"])
            form.start.data = datetime.strptime(request.args.get("start", "09:00"), "%H:%M").time()
        except ValueError:
            pass
    return render_template(
        "facilities/equipment.html",
        equipment=eq,
        rules=rules_for(db.session, eq.id),
        days=days,
        week=week,
        prev_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
        form=form,
        waitlist=waitlist,
        has_startup=bool(startups),
        can_manage=reserve.can_manage(current_user, eq),
    )


def _seen_at(form: forms.BookingForm) -> datetime | None:
    try:
        seen = datetime.fromisoformat(form.seen_at.data or "")
    except ValueError:
        return None
    return min(seen.replace(tzinfo=None), utcnow())


def _slot_from(form: Any, equipment_id: int) -> WantedSlot:
    """The slot a booking or waitlist form asks for (its day and start are local times)."""
    start = to_utc(datetime.combine(form.day.data, form.start.data))
    end = start + timedelta(minutes=int(form.minutes.data))
    return WantedSlot(equipment_id, form.startup_id.data, start, end)


@bp.post("/equipment/<int:equipment_id>/book")
@login_required
def book(equipment_id: int) -> WerkzeugResponse | str | tuple[str, int]:
    eq = _equipment_or_404(equipment_id)
    startups = member_startups(db.session, current_user)
    form = forms.BookingForm()
    form.startup_id.choices = [(s.id, s.name) for s in startups]
    form.voucher_id.choices = voucher_choices(startups, eq.category)
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            for error in errors:
                flash(f"{form[name].label.text}: {error}", "danger")
        return _render_equipment(eq, form), 422
    slot = _slot_from(form, equipment_id)
    weeks = form.weeks.data or 1
    purpose, voucher_id = form.purpose.data or "", form.voucher_id.data or None
    try:
        if weeks > 1:
            report = reserve.create_series(
                db.session, current_user, slot, weeks=weeks, purpose=purpose, voucher_id=voucher_id
            )
            return render_template("facilities/series_report.html", equipment=eq, report=report)
        booking = reserve.create_booking(
            db.session,
            current_user,
            slot,
            purpose=purpose,
            voucher_id=voucher_id,
            seen_at=_seen_at(form),
        )
    except ServiceError as exc:
        # The same page again, with what the founder entered and the true reason.
        flash_refusal(exc)
        return _render_equipment(eq, form), exc.status
    flash_booked(booking)
    return redirect(url_for(".booking", booking_id=booking.id))


@bp.post("/equipment/<int:equipment_id>/waitlist")
@login_required
def join_waitlist(equipment_id: int) -> WerkzeugResponse:
    _equipment_or_404(equipment_id)
    form = forms.WaitlistForm()
    form.startup_id.choices = [(s.id, s.name) for s in member_startups(db.session, current_user)]
    if form.validate_on_submit():
        try:
            waitlist.join_waitlist(db.session, current_user, _slot_from(form, equipment_id))
            flash(_("You are on the waitlist; we will notify you if the slot frees."), "success")
        except ServiceError as exc:
            flash_refusal(exc)
    else:
        flash(_("Please choose a date, a start time and a length."), "danger")
    return redirect(url_for(".equipment", equipment_id=equipment_id))


@bp.get("/equipment/<int:equipment_id>/calendar.ics")
def equipment_feed(equipment_id: int) -> Response:
    eq = _equipment_or_404(equipment_id)
    events = queries.equipment_feed_events(db.session, equipment_id)
    return Response(render_ics(events, name=eq.name), mimetype="text/calendar")


@bp.route("/propose", methods=["GET", "POST"])
@login_required
def propose() -> str:
    startups = member_startups(db.session, current_user)
    form = forms.ProposeForm()
    form.startup_id.choices = [(s.id, s.name) for s in startups]
    proposals = None
    need = None
    if form.validate_on_submit():
        need = need_parsing.parse_need(form.need.data or "")
        try:
            proposals = slot_proposals.propose_bookings(
                db.session,
                current_user,
                form.startup_id.data,
                need,
                category=form.category.data or None,
                caller=engine_caller(),
            )
        except ServiceError as exc:
            flash_refusal(exc)
    from matchmaker.web.recommendations.reasons import reason_texts

    return render_template(
        "facilities/propose.html",
        form=form,
        need=need,
        proposals=proposals,
        reason_texts=reason_texts,
        voucher_choices={
            p.equipment.id: voucher_choices(startups, p.equipment.category)
            for p in proposals or []
            if p.equipment.voucher_eligible
        },
        has_startup=bool(startups),
        csrf_form=forms.EmptyForm(),
    )


# -- navigation, dashboard panels, detail sections ------------------------------------------


def nav_items(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    if user.has_role("founder"):
        items.append(NavItem(url_for("facilities.index"), str(_("Book equipment"))))
    if user.has_role("facility_manager") or user.is_operator:
        items.append(NavItem(url_for("facilities.manage"), str(_("Facility bookings"))))
    if user.is_operator:
        items.append(NavItem(url_for("facilities.voucher_list"), str(_("Innovation vouchers"))))
    return items


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    if not getattr(user, "is_authenticated", False):
        return []
    panels = []
    if user.has_role("founder"):
        card = queries.founder_bookings_panel(db.session, user)
        panels.append(
            DashboardPanel(
                "facilities/_founder_panel.html",
                {"upcoming": card.upcoming, "balance": card.balance},
                order=60,
            )
        )
    if user.has_role("facility_manager"):
        inbox = queries.manager_inbox(db.session, user)
        panels.append(DashboardPanel("facilities/_manager_panel.html", {"inbox": inbox}, order=60))
    return panels


def equipment_section(entity: Any, user: Any) -> list[DashboardPanel]:
    if not isinstance(entity, Equipment):
        return []
    week = _week_start(None)
    days = queries.week_calendar(db.session, entity, week)
    return [
        DashboardPanel(
            "facilities/_equipment_section.html",
            {"equipment": entity, "days": days, "rules": rules_for(db.session, entity.id)},
            order=40,
        )
    ]


def facility_section(entity: Any, user: Any) -> list[DashboardPanel]:
    if not isinstance(entity, Facility):
        return []
    manager = getattr(user, "is_authenticated", False) and (
        user.is_operator or entity.has_manager(user)
    )
    return [
        DashboardPanel(
            "facilities/_facility_section.html",
            {"facility": entity, "manager": manager},
            order=40,
        )
    ]
