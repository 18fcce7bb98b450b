"""One session's page and everything its parties do on it: answer a request, cancel, move,
complete, mark a no-show, review, set the place, dispute; and its ``.ics`` file.

Every action posts a small form to ``/mentoring/sessions/<id>/<action>`` (``ACTIONS`` maps each
to its form, its use case and its message); a refusal re-renders the page with that form open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from matchmaker.extensions import db
from matchmaker.filenames import attachment_headers
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import Conflict, Invalid
from matchmaker.services.mentoring import (
    answering,
    availability,
    meetings,
    queries,
    requesting,
    reviews,
    scheduled,
    session_calendar,
    sessions,
)
from matchmaker.web.mentoring import forms
from matchmaker.web.mentoring.blueprint import (
    APP_ZONE,
    attach,
    bp,
    key_to_time,
    keys_to_times,
    mentoring_time,
    reasons_for,
    slot_choices,
    status_of,
)


def _session_forms(view: queries.SessionView, zone: str) -> dict[str, FlaskForm]:
    ms = view.ms
    own = slot_choices(view.free_slots, zone)
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
        reasons_for(view.ms.startup_id, view.ms.mentor_id)
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
            db.session, current_user, sid, key_to_time(f.slot.data)
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
            db.session, current_user, sid, keys_to_times(f.slots.data)
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
            db.session, current_user, sid, key_to_time(f.slot.data)
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
            db.session, current_user, sid, key_to_time(f.slot.data)
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
        attach(form, exc)
        return _render_session(session_id, status_of(exc), (action, form))
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
