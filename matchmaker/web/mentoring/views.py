"""Mentoring pages: requests, the mentor inbox, sessions, availability, calendar and office hours.

Views parse a form, call one use case of ``services.mentoring.sessions`` (or ``availability``) and
redirect; a refusal (``Invalid``/``Conflict``) re-renders the page with the message and the error
status, while ``Forbidden``/``NotFound`` go to the global error pages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from babel.dates import format_datetime
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.filenames import attachment_headers
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MentorProfile, Startup
from matchmaker.services import calendar
from matchmaker.services.calendar_feed import user_feed
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from matchmaker.services.mentoring import (
    answering,
    availability,
    meetings,
    queries,
    ratings,
    requesting,
    reviews,
    scheduled,
    session_calendar,
    sessions,
)
from matchmaker.services.mentoring import office_hours as office_hours_service
from matchmaker.web.forms import parse_id
from matchmaker.web.i18n import current_locale
from matchmaker.web.mentoring import forms
from matchmaker.web.panels import DashboardPanel, NavItem
from matchmaker.web.recommendations.reasons import reason_texts

bp = Blueprint("mentoring", __name__)

APP_ZONE = "Asia/Shanghai"


# --- helpers ----------------------------------------------------------------------------------


@bp.app_template_filter("mentoring_time")
def mentoring_time(moment: datetime | None, zone: str | None = None) -> str:
    """A naive UTC time shown in ``zone`` in the reader's language, with the zone's name."""
    if moment is None:
        return ""
    tz = availability.zone(zone or APP_ZONE)
    local = moment.replace(tzinfo=availability.zone("UTC"))
    text = format_datetime(local, "yyyy-MM-dd EEE HH:mm", tzinfo=tz, locale=current_locale())
    return f"{text} ({tz.key})"


@bp.app_template_filter("mentoring_clock")
def mentoring_clock(moment: datetime | None, zone: str | None = None) -> str:
    """Only the wall-clock time (HH:MM) of a naive UTC time in ``zone``."""
    if moment is None:
        return ""
    return availability.to_local(moment, zone or APP_ZONE).strftime("%H:%M")


def _slot_choices(slots: list[availability.Slot], zone: str) -> list[tuple[str, str]]:
    return [(s.key, mentoring_time(s.starts_at, zone)) for s in slots]


def _keys_to_times(keys: list[str] | None) -> list[datetime]:
    """Posted slot keys as datetimes; a malformed key is refused with a clear message."""
    out = []
    for key in keys or []:
        moment = availability.parse_slot_key(key)
        if moment is None:
            raise Invalid(_l("The mentor does not offer that time."), field="slots")
        out.append(moment)
    return out


def _key_to_time(key: str | None, field: str = "slot") -> datetime:
    moment = availability.parse_slot_key(key or "")
    if moment is None:
        raise Invalid(_l("The mentor does not offer that time."), field=field)
    return moment


def _attach(form: FlaskForm, exc: ServiceError) -> None:
    """Show a refusal next to its field, or above the form."""
    db.session.rollback()
    field = getattr(form, exc.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), str(exc.message)]
    else:
        flash(str(exc.message), "danger")


def _status_of(exc: ServiceError) -> int:
    return exc.status if isinstance(exc, Invalid | Conflict) else 422


def _reasons_for(startup_id: int, mentor_id: int) -> list[str]:
    return reason_texts(
        queries.match_reasons(db.session, startup_id, mentor_id), "candidate"
    )


# --- founder: request and overview -------------------------------------------------------------


@bp.route("/mentoring/request/<int:mentor_id>", methods=["GET", "POST"])
@login_required
def request_session(mentor_id: int) -> str | Response | tuple[str, int]:
    mentor = db.session.get(MentorProfile, mentor_id)
    if mentor is None or not mentor.is_active:
        abort(404)
    startups = sessions.founder_startups(db.session, current_user)
    if not startups:
        raise Forbidden(_l("Create your startup's profile before requesting a session."))
    form = forms.RequestForm()
    form.startup_id.choices = [(s.id, s.name) for s in startups]
    slots = availability.free_slots(db.session, mentor)
    form.slots.choices = _slot_choices(slots, APP_ZONE)
    receiving = availability.receiving_requests(db.session, mentor)
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
                slot_starts=_keys_to_times(form.slots.data),
                follow_up_of_id=parse_id(follow_up),
            )
        except (Invalid, Conflict) as exc:
            _attach(form, exc)
            status = _status_of(exc)
        else:
            flash(_("Your request has been sent to %(name)s.", name=mentor.name), "success")
            return redirect(url_for("mentoring.session_detail", session_id=ms.id))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "mentoring/request.html", form=form, mentor=mentor, receiving=receiving, slots=slots
        ),
        status,
    )


@bp.get("/mentoring/")
@login_required
def my_mentoring() -> str:
    overview = queries.founder_overview(db.session, current_user)
    return render_template("mentoring/my.html", overview=overview, zone=APP_ZONE)


# --- mentor: inbox and availability ------------------------------------------------------------


@bp.get("/mentoring/inbox")
@login_required
def inbox() -> str:
    box = queries.mentor_inbox(db.session, current_user)
    reasons = {ms.id: _reasons_for(ms.startup_id, ms.mentor_id) for ms in box.pending}
    return render_template(
        "mentoring/inbox.html", inbox=box, reasons=reasons, zone=box.mentor.timezone
    )


def _availability_page(status: int = 200, **bound: FlaskForm) -> tuple[str, int]:
    view = availability.availability_view(db.session, current_user)
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
        _attach(form, exc)
        return _availability_page(_status_of(exc), **{name: form})
    flash(str(done), "success")
    return redirect(url_for("mentoring.availability_page"))


@bp.post("/mentoring/availability/settings")
@login_required
def save_settings() -> Response | tuple[str, int]:
    return _availability_post(
        "settings",
        forms.SettingsForm(),
        lambda f: availability.update_settings(
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
        lambda f: availability.add_weekly_slot(
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
        lambda f: availability.add_opening(
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
        lambda f: availability.add_blackout(
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
    availability.remove_entry(db.session, current_user, kind, entry_id)
    flash(_("Removed."), "success")
    return redirect(url_for("mentoring.availability_page"))


# --- one session -------------------------------------------------------------------------------


def _session_forms(view: queries.SessionView, zone: str) -> dict[str, FlaskForm]:
    ms = view.ms
    own = _slot_choices(view.free_slots, zone)
    founder_props = [p for p in ms.proposals if p.proposed_by == "founder"]
    mentor_props = [p for p in ms.proposals if p.proposed_by == "mentor"]
    accept = forms.AcceptForm(formdata=None)
    proposed_keys = {p.starts_at.strftime(availability.SLOT_KEY_FORMAT) for p in founder_props}
    accept.slot.choices = [
        (p.starts_at.strftime(availability.SLOT_KEY_FORMAT), mentoring_time(p.starts_at, zone))
        for p in founder_props
    ] + [c for c in own if c[0] not in proposed_keys]
    choose = forms.ChooseForm(formdata=None)
    choose.slot.choices = [
        (p.starts_at.strftime(availability.SLOT_KEY_FORMAT), mentoring_time(p.starts_at, zone))
        for p in mentor_props
    ]
    propose = forms.ProposeForm(formdata=None)
    propose.slots.choices = own
    reschedule = forms.RescheduleForm(formdata=None)
    reschedule.slot.choices = own
    review = forms.ReviewForm(formdata=None)
    if view.side != "founder":
        del review.wants_follow_up  # only founders ask for a follow-up session
        del review.public_comment  # and only founders' comments reach the mentor's page
        del review.share_comment
    return {
        "accept": accept,
        "decline": forms.DeclineForm(formdata=None),
        "propose": propose,
        "ask": forms.QuestionForm(formdata=None),
        "answer": forms.AnswerForm(formdata=None),
        "choose": choose,
        "withdraw": forms.ConfirmForm(formdata=None),
        "cancel": forms.CancelForm(formdata=None),
        "reschedule": reschedule,
        "complete": forms.ConfirmForm(formdata=None),
        "no_show": forms.ConfirmForm(formdata=None),
        "review": review,
        "place": forms.PlaceForm(
            formdata=None, meeting_place=ms.meeting_place, meeting_url=ms.meeting_url
        ),
        "dispute": forms.DisputeForm(formdata=None),
    }


def _render_session(
    session_id: int, status: int = 200, bound: tuple[str, FlaskForm] | None = None
) -> tuple[str, int]:
    view = queries.session_view(db.session, current_user, session_id)
    zone = view.ms.mentor.timezone if view.side == "mentor" else APP_ZONE
    session_forms = _session_forms(view, zone)
    if bound is not None:
        name, form = bound
        old = session_forms[name]
        for field_name in ("slot", "slots"):
            if hasattr(old, field_name) and hasattr(form, field_name):
                getattr(form, field_name).choices = getattr(old, field_name).choices
        session_forms[name] = form
    reasons = (
        _reasons_for(view.ms.startup_id, view.ms.mentor_id)
        if view.side == "mentor" and view.ms.status == "requested"
        else []
    )
    return (
        render_template(
            "mentoring/session.html",
            view=view,
            ms=view.ms,
            zone=zone,
            forms=session_forms,
            reasons=reasons,
            open_form=bound[0] if bound else None,
            status_label=sessions.status_label,
            decline_reasons=sessions.DECLINE_REASONS,
            notice_hours=sessions.CHANGE_NOTICE_HOURS,
        ),
        status,
    )


@bp.get("/mentoring/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int) -> tuple[str, int]:
    return _render_session(session_id)


def _rating(form: forms.ReviewForm) -> int:
    try:
        return int(form.rating.data or 0)
    except ValueError:
        return 0


ACTIONS: dict[str, tuple[type[FlaskForm], Callable[[Any, int], Any], Any]] = {
    "accept": (
        forms.AcceptForm,
        lambda f, sid: answering.accept_request(
            db.session, current_user, sid, _key_to_time(f.slot.data)
        ),
        _l("Accepted: the session is scheduled."),
    ),
    "decline": (
        forms.DeclineForm,
        lambda f, sid: answering.decline_request(
            db.session, current_user, sid, reason=f.reason.data or "", note=f.note.data or ""
        ),
        _l("The request has been declined."),
    ),
    "propose": (
        forms.ProposeForm,
        lambda f, sid: answering.propose_times(
            db.session, current_user, sid, _keys_to_times(f.slots.data)
        ),
        _l("Your proposed times have been sent."),
    ),
    "ask": (
        forms.QuestionForm,
        lambda f, sid: answering.ask_for_info(db.session, current_user, sid, f.question.data),
        _l("Your question has been sent."),
    ),
    "answer": (
        forms.AnswerForm,
        lambda f, sid: answering.answer_info(db.session, current_user, sid, f.answer.data),
        _l("Your answer has been sent."),
    ),
    "choose": (
        forms.ChooseForm,
        lambda f, sid: answering.choose_proposed_time(
            db.session, current_user, sid, _key_to_time(f.slot.data)
        ),
        _l("The session is scheduled."),
    ),
    "withdraw": (
        forms.ConfirmForm,
        lambda f, sid: requesting.withdraw_request(db.session, current_user, sid),
        _l("Your request has been withdrawn."),
    ),
    "cancel": (
        forms.CancelForm,
        lambda f, sid: scheduled.cancel_session(
            db.session, current_user, sid, note=f.note.data or ""
        ),
        _l("The session has been cancelled."),
    ),
    "reschedule": (
        forms.RescheduleForm,
        lambda f, sid: scheduled.reschedule_session(
            db.session, current_user, sid, _key_to_time(f.slot.data)
        ),
        _l("The session has been moved."),
    ),
    "complete": (
        forms.ConfirmForm,
        lambda f, sid: scheduled.complete_session(db.session, current_user, sid),
        _l("The session is marked as completed. Please rate it."),
    ),
    "no_show": (
        forms.ConfirmForm,
        lambda f, sid: scheduled.mark_no_show(db.session, current_user, sid),
        _l("The session is marked as a no-show."),
    ),
    "review": (
        forms.ReviewForm,
        lambda f, sid: reviews.review_session(
            db.session,
            current_user,
            sid,
            rating=_rating(f),
            notes=f.notes.data or "",
            follow_up_actions=f.follow_up_actions.data or "",
            wants_follow_up=bool(getattr(f, "wants_follow_up", None) and f.wants_follow_up.data),
            public_comment=(f.public_comment.data or "") if hasattr(f, "public_comment") else "",
            share_comment=bool(hasattr(f, "share_comment") and f.share_comment.data),
        ),
        _l("Thank you: your review has been saved."),
    ),
    "place": (
        forms.PlaceForm,
        lambda f, sid: meetings.set_meeting_place(
            db.session,
            current_user,
            sid,
            place=f.meeting_place.data or "",
            url=f.meeting_url.data or "",
        ),
        _l("The place of the session has been saved."),
    ),
    "dispute": (
        forms.DisputeForm,
        lambda f, sid: meetings.dispute_no_show(
            db.session, current_user, sid, note=f.note.data or ""
        ),
        _l("Your dispute has been recorded."),
    ),
}


@bp.post("/mentoring/sessions/<int:session_id>/<action>")
@login_required
def session_action(session_id: int, action: str) -> Response | tuple[str, int]:
    if action not in ACTIONS:
        abort(404)
    form_class, run, done = ACTIONS[action]
    form = form_class()
    if not form.validate_on_submit():
        # Check the user may see the session at all before showing form errors.
        return _render_session(session_id, 422, (action, form))
    try:
        result = run(form, session_id)
    except (Invalid, Conflict) as exc:
        _attach(form, exc)
        return _render_session(session_id, _status_of(exc), (action, form))
    flash(str(done), "success")
    target = getattr(result, "id", session_id) if action == "reschedule" else session_id
    return redirect(url_for("mentoring.session_detail", session_id=target))


@bp.get("/mentoring/sessions/<int:session_id>.ics")
@login_required
def session_ics(session_id: int) -> Response:
    body = session_calendar.session_ics(db.session, current_user, session_id)
    return Response(
        body,
        mimetype="text/calendar",
        headers=attachment_headers(f"mentoring-{session_id}.ics"),
    )


# --- calendar feed ------------------------------------------------------------------------------


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


# --- office hours (operators) --------------------------------------------------------------------


def _require_operator() -> None:
    if not current_user.is_operator:
        raise Forbidden(_l("Only operators can plan office hours."))


def _office_hours_form() -> forms.OfficeHoursForm:
    form = forms.OfficeHoursForm()
    form.startups.choices = [
        (s.id, s.name)
        for s in db.session.scalars(
            sa.select(Startup).where(Startup.is_active).order_by(Startup.name)
        )
    ]
    form.mentors.choices = [
        (m.id, m.name)
        for m in db.session.scalars(
            sa.select(MentorProfile)
            .where(MentorProfile.is_active)
            .options(sa.orm.selectinload(MentorProfile.user))
            .order_by(MentorProfile.id)
        )
    ]
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
        db.session, day, form.startups.data, form.mentors.data
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
            db.session, current_user, bookings, topic=form.topic.data or "strategy"
        )
    except (Invalid, Conflict, NotFound) as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        plan = office_hours_service.plan_office_hours(
            db.session, day, form.startups.data, form.mentors.data
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


# --- navigation, dashboard, mentor page ---------------------------------------------------------


def nav_items(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    if user.has_role("founder"):
        items.append(NavItem(url_for("mentoring.my_mentoring"), str(_("My mentoring"))))
    if user.has_role("mentor"):
        items.append(NavItem(url_for("mentoring.inbox"), str(_("Mentor inbox"))))
    if user.is_operator:
        items.append(NavItem(url_for("mentoring.office_hours"), str(_("Office hours"))))
    return items


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    if not getattr(user, "is_authenticated", False):
        return []
    if not (user.has_role("founder") or user.has_role("mentor")):
        return []
    counts = queries.pending_counts(db.session, user)
    return [
        DashboardPanel(
            "mentoring/_panel.html",
            {
                "counts": counts,
                "is_mentor": user.has_role("mentor"),
                "is_founder": user.has_role("founder"),
            },
            order=30,
        )
    ]


def mentor_section(mentor: MentorProfile, user: Any) -> list[DashboardPanel]:
    slots = availability.free_slots(db.session, mentor)[:5]
    can_request = bool(
        getattr(user, "is_authenticated", False)
        and user.id != mentor.user_id
        and sessions.founder_startups(db.session, user)
    )
    return [
        DashboardPanel(
            "mentoring/_mentor_section.html",
            {
                "mentor": mentor,
                "slots": slots,
                "receiving": availability.receiving_requests(db.session, mentor),
                "can_request": can_request,
                "zone": APP_ZONE,
                "rating": ratings.mentor_rating(db.session, mentor.id),
            },
            order=20,
        )
    ]

