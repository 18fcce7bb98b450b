"""Funding pages, investor side: a fund's deal flow and its pipeline export, one deal (stage
moves, private notes, the meeting), and the conversation on a pitch both teams read."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from matchmaker.extensions import db
from matchmaker.filenames import attachment_headers
from matchmaker.i18n import gettext as _
from matchmaker.services import exports
from matchmaker.services.errors import ServiceError
from matchmaker.services.funding import asks as funding
from matchmaker.services.funding import deal_flow as deals
from matchmaker.services.funding import (
    introductions,
    pipeline,
    pitch_meetings,
    pitch_messages,
)
from matchmaker.services.mentoring import availability
from matchmaker.web.downloads import calendar_file
from matchmaker.web.forms import id_arg, refusal_status
from matchmaker.web.funding.blueprint import BEIJING, Page, bp, engine_on
from matchmaker.web.funding.forms import (
    EmptyForm,
    MeetingForm,
    MoveForm,
    NoteForm,
    PitchMessageForm,
)
from matchmaker.web.recommendations.caller import engine_caller


def _decimal_arg(name: str) -> Decimal | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@bp.get("/deal-flow")
@login_required
def deal_flow() -> str:
    filters = deals.DealFilters(
        sector=request.args.get("sector", ""),
        round=request.args.get("round", ""),
        stage=request.args.get("stage", ""),
        ticket_min=_decimal_arg("ticket_min"),
        ticket_max=_decimal_arg("ticket_max"),
        location=(request.args.get("location") or "").strip(),
        pipeline=request.args.get("pipeline", ""),
    )
    flow = deals.deal_flow(
        db.session,
        current_user,
        id_arg("investor_id"),
        filters,
        use_engine=engine_on(),
        caller=engine_caller(),
    )
    return render_template(
        "funding/deal_flow.html",
        flow=flow,
        filters=filters,
        stage_labels=pipeline.STAGE_LABELS,
        intro_form=EmptyForm(),
    )


@bp.get("/deal-flow/<int:investor_id>/pipeline.csv")
@login_required
def pipeline_csv(investor_id: int) -> Response:
    table = deals.pipeline_table(db.session, current_user, investor_id)
    return Response(
        exports.to_csv(deals.PIPELINE_COLUMNS, table),
        mimetype="text/csv",
        headers=attachment_headers(f"pipeline-{investor_id}.csv"),
    )


@bp.get("/deals/<int:pitch_id>")
@login_required
def deal(pitch_id: int) -> str:
    pitch = pipeline.pitch_for_member(db.session, current_user, pitch_id)
    return _render_deal(pitch, MoveForm(), NoteForm())


def _render_deal(
    pitch: Any, move_form: MoveForm, note_form: NoteForm, meeting_form: MeetingForm | None = None
) -> str:
    return render_template(
        "funding/deal.html",
        pitch=pitch,
        notes=pipeline.notes_for(db.session, current_user, pitch.id),
        moves=pipeline.allowed_moves(pitch.stage),
        stage_labels=pipeline.STAGE_LABELS,
        pass_reasons=pipeline.PASS_REASONS,
        deck=funding.deck_of(db.session, pitch.ask_id),
        move_form=move_form,
        note_form=note_form,
        intro=introductions.introduction_between(db.session, pitch.startup_id, pitch.investor_id),
        intro_form=EmptyForm(),
        thread_size=pitch_messages.thread_sizes(db.session, [pitch.id]).get(pitch.id, 0),
        meeting_form=meeting_form or _meeting_form(pitch),
        meeting_stages=pitch_meetings.MEETING_STAGES,
    )


def _meeting_form(pitch: Any) -> MeetingForm:
    starts = pitch.meeting_starts_at
    return MeetingForm(
        formdata=None,
        starts_at=availability.to_local(starts, BEIJING) if starts else None,
        minutes=(
            int((pitch.meeting_ends_at - starts).total_seconds() // 60)
            if starts and pitch.meeting_ends_at
            else 60
        ),
        place=pitch.meeting_place,
        url=pitch.meeting_url,
    )


@bp.post("/deals/<int:pitch_id>/meeting")
@login_required
def set_meeting(pitch_id: int) -> Page:
    """The fund sets when and where it meets the founders (a Beijing time in the form)."""
    form = MeetingForm()
    status = 422
    if form.validate_on_submit():
        local = form.starts_at.data
        try:
            pitch_meetings.set_meeting(
                db.session,
                current_user,
                pitch_id,
                starts_at=availability.to_utc(local, BEIJING) if local else None,
                minutes=int(form.minutes.data or 0),
                place=form.place.data or "",
                url=form.url.data or "",
                link=url_for("funding.pitch_thread", pitch_id=pitch_id, _external=True),
            )
        except ServiceError as exc:
            status = refusal_status(exc, form)
        else:
            flash(_("The meeting is set; the founders have been told."), "success")
            return redirect(url_for("funding.deal", pitch_id=pitch_id))
    pitch = pipeline.pitch_for_member(db.session, current_user, pitch_id)
    return _render_deal(pitch, MoveForm(), NoteForm(), form), status


@bp.get("/pitches/<int:pitch_id>/meeting.ics")
@login_required
def meeting_ics(pitch_id: int) -> Response:
    body = pitch_meetings.meeting_ics(db.session, current_user, pitch_id)
    return calendar_file(body, f"meeting-{pitch_id}.ics")


@bp.post("/deals/<int:pitch_id>/stage")
@login_required
def move(pitch_id: int) -> Page:
    form = MoveForm()
    if form.validate_on_submit():
        try:
            pipeline.move_pitch(
                db.session,
                current_user,
                pitch_id,
                form.to_stage.data or "",
                pass_reason=form.pass_reason.data or "",
                link_for_founder=url_for("funding.index", _external=True),
            )
        except ServiceError as exc:
            status = refusal_status(exc, form)
            flash(str(exc.message), "danger")
            pitch = pipeline.pitch_for_member(db.session, current_user, pitch_id)
            return _render_deal(pitch, form, NoteForm()), status
        flash(_("The deal is updated."), "success")
    return redirect(url_for("funding.deal", pitch_id=pitch_id))


@bp.post("/deals/<int:pitch_id>/notes")
@login_required
def add_note(pitch_id: int) -> Page:
    form = NoteForm()
    if form.validate_on_submit():
        try:
            pipeline.add_note(db.session, current_user, pitch_id, form.body.data or "")
        except ServiceError as exc:
            refusal_status(exc, form)
        else:
            return redirect(url_for("funding.deal", pitch_id=pitch_id))
    pitch = pipeline.pitch_for_member(db.session, current_user, pitch_id)
    return _render_deal(pitch, MoveForm(), form), 422


# --- the conversation on a pitch -------------------------------------------------------------


def _render_thread(thread: pitch_messages.PitchThread, form: PitchMessageForm) -> str:
    return render_template(
        "funding/pitch_thread.html",
        thread=thread,
        pitch=thread.pitch,
        form=form,
        kind_labels=pitch_messages.KIND_LABELS,
        stage_labels=(
            pipeline.STAGE_LABELS if thread.side == "investor" else pipeline.FOUNDER_STAGE_LABELS
        ),
    )


@bp.get("/pitches/<int:pitch_id>/messages")
@login_required
def pitch_thread(pitch_id: int) -> str:
    thread = pitch_messages.thread_for(db.session, current_user, pitch_id)
    return _render_thread(thread, PitchMessageForm(formdata=None, kinds=thread.kinds))


@bp.post("/pitches/<int:pitch_id>/messages")
@login_required
def post_pitch_message(pitch_id: int) -> Page:
    thread = pitch_messages.thread_for(db.session, current_user, pitch_id)
    # Every kind of the writer's side: a closed deal is refused by the service, with its reason.
    form = PitchMessageForm(kinds=pitch_messages.KINDS_BY_SIDE[thread.side])
    status = 422
    if form.validate_on_submit():
        try:
            pitch_messages.post_message(
                db.session,
                current_user,
                pitch_id,
                kind=form.kind.data or "",
                body=form.body.data or "",
                link=url_for("funding.pitch_thread", pitch_id=pitch_id, _external=True),
            )
        except ServiceError as exc:
            status = refusal_status(exc, form)
        else:
            flash(_("Your message has been sent."), "success")
            return redirect(url_for("funding.pitch_thread", pitch_id=pitch_id))
    thread = pitch_messages.thread_for(db.session, current_user, pitch_id)
    return _render_thread(thread, form), status
