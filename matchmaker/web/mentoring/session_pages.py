"""One session's page and everything its parties do on it: answer a request, cancel, move,
complete, mark a no-show, review, set the place, dispute; and its ``.ics`` file.

Every action posts a small form to ``/mentoring/sessions/<id>/<action>`` (``ACTIONS`` maps each
to its form, its use case, the use case's values from the form and its message); a refusal
re-renders the page with that form open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from matchmaker.extensions import db
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
from matchmaker.web.downloads import calendar_file
from matchmaker.web.mentoring import forms
from matchmaker.web.mentoring.blueprint import (
    APP_ZONE,
    attach,
    bp,
    key_to_time,
    keys_to_times,
    mentoring_time,
    reasons_for,
    request_ttl,
    session_url,
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


def _review_values(f: Any) -> dict[str, Any]:
    """A review's fields; a mentor's form has no follow-up, public comment or sharing boxes."""
    return {
        "rating": _rating(f),
        "notes": f.notes.data or "",
        "follow_up_actions": f.follow_up_actions.data or "",
        "wants_follow_up": bool(getattr(f, "wants_follow_up", None) and f.wants_follow_up.data),
        "public_comment": (f.public_comment.data or "") if hasattr(f, "public_comment") else "",
        "share_comment": bool(hasattr(f, "share_comment") and f.share_comment.data),
    }


@dataclass(frozen=True)
class SessionAction:
    """An action posted on a session's page: its form, the use case it runs (with the session's
    link, and ``values`` read from the form) and what the page says once it is done."""

    form: type[FlaskForm]
    use_case: Callable[..., Any]
    done: Any  # a lazy message, flashed in the reader's language
    values: Callable[[Any], dict[str, Any]] = lambda f: {}
    # The action hands the request to the other side, who gets MENTORING_REQUEST_TTL_HOURS.
    passes_turn: bool = False


ACTIONS: dict[str, SessionAction] = {
    "accept": SessionAction(
        forms.AcceptForm,
        answering.accept_request,
        _l("Accepted: the session is scheduled."),
        lambda f: {"starts_at": key_to_time(f.slot.data)},
    ),
    "decline": SessionAction(
        forms.DeclineForm,
        answering.decline_request,
        _l("The request has been declined."),
        lambda f: {"reason": f.reason.data or "", "note": f.note.data or ""},
    ),
    "propose": SessionAction(
        forms.ProposeForm,
        answering.propose_times,
        _l("Your proposed times have been sent."),
        lambda f: {"slot_starts": keys_to_times(f.slots.data)},
        passes_turn=True,
    ),
    "ask": SessionAction(
        forms.QuestionForm,
        answering.ask_for_info,
        _l("Your question has been sent."),
        lambda f: {"question": f.question.data},
        passes_turn=True,
    ),
    "answer": SessionAction(
        forms.AnswerForm,
        answering.answer_info,
        _l("Your answer has been sent."),
        lambda f: {"answer": f.answer.data},
        passes_turn=True,
    ),
    "choose": SessionAction(
        forms.ChooseForm,
        answering.choose_proposed_time,
        _l("The session is scheduled."),
        lambda f: {"starts_at": key_to_time(f.slot.data)},
    ),
    "withdraw": SessionAction(
        forms.ConfirmForm, requesting.withdraw_request, _l("Your request has been withdrawn.")
    ),
    "cancel": SessionAction(
        forms.CancelForm,
        scheduled.cancel_session,
        _l("The session has been cancelled."),
        lambda f: {"note": f.note.data or ""},
    ),
    "reschedule": SessionAction(
        forms.RescheduleForm,
        scheduled.reschedule_session,
        _l("The session has been moved."),
        lambda f: {"starts_at": key_to_time(f.slot.data)},
    ),
    "complete": SessionAction(
        forms.ConfirmForm,
        scheduled.complete_session,
        _l("The session is marked as completed. Please rate it."),
    ),
    "no_show": SessionAction(
        forms.ConfirmForm, scheduled.mark_no_show, _l("The session is marked as a no-show.")
    ),
    "review": SessionAction(
        forms.ReviewForm,
        reviews.review_session,
        _l("Thank you: your review has been saved."),
        _review_values,
    ),
    "place": SessionAction(
        forms.PlaceForm,
        meetings.set_meeting_place,
        _l("The place of the session has been saved."),
        lambda f: {"place": f.meeting_place.data or "", "url": f.meeting_url.data or ""},
    ),
    "dispute": SessionAction(
        forms.DisputeForm,
        meetings.dispute_no_show,
        _l("Your dispute has been recorded."),
        lambda f: {"note": f.note.data or ""},
    ),
}


@bp.post("/mentoring/sessions/<int:session_id>/<action>")
@login_required
def session_action(session_id: int, action: str) -> Response | tuple[str, int]:
    if action not in ACTIONS:
        abort(404)
    spec = ACTIONS[action]
    form = spec.form()
    if not form.validate_on_submit():
        # Check the user may see the session at all before showing form errors.
        return _render_session(session_id, 422, (action, form))
    try:
        values = spec.values(form)  # a malformed slot key is refused here, next to its field
        if spec.passes_turn:
            values["ttl_hours"] = request_ttl()
        result = spec.use_case(db.session, current_user, session_id, link_for=session_url, **values)
    except (Invalid, Conflict) as exc:
        attach(form, exc)
        return _render_session(session_id, status_of(exc), (action, form))
    flash(str(spec.done), "success")
    # A moved session lives on as a new one: show that.
    target = getattr(result, "id", session_id) if action == "reschedule" else session_id
    return redirect(session_url(target))


@bp.get("/mentoring/sessions/<int:session_id>.ics")
@login_required
def session_ics(session_id: int) -> Response:
    body = session_calendar.session_ics(db.session, current_user, session_id)
    return calendar_file(body, f"mentoring-{session_id}.ics")
