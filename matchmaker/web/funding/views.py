"""Funding pages: the founder's asks and pitches, the investor's deal flow and pipeline, and
double opt-in introductions. Thin views: parse, call one service, render or redirect."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from matchmaker.extensions import db
from matchmaker.filenames import attachment_headers, safe_file_name
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import FundingAsk, Investor, Startup
from matchmaker.services import exports
from matchmaker.services.errors import Forbidden, ServiceError
from matchmaker.services.funding import (
    asks as funding,
)
from matchmaker.services.funding import (
    introductions,
    pipeline,
    pitch_decks,
    pitch_meetings,
    pitch_messages,
)
from matchmaker.services.mentoring import availability
from matchmaker.timezones import DEFAULT_ZONE
from matchmaker.web.forms import id_arg, parse_id
from matchmaker.web.funding.forms import (
    AskForm,
    EmptyForm,
    IntroductionForm,
    MeetingForm,
    MoveForm,
    NoteForm,
    PitchForm,
    PitchMessageForm,
)
from matchmaker.web.panels import DashboardPanel, NavItem
from matchmaker.web.recommendations.reasons import reason_text
from matchmaker.web.redirects import redirect_next

bp = Blueprint("funding", __name__, url_prefix="/funding")

Page = str | WerkzeugResponse | tuple[str, int]  # a form page again comes with its 4xx status


def _show_error(form: FlaskForm, exc: ServiceError) -> None:
    field = getattr(form, exc.field or "", None)
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        flash(str(exc.message), "danger")


BEIJING = DEFAULT_ZONE  # pitch meetings are set in Beijing time


@bp.app_template_filter("funding_time")
def funding_time(moment: datetime | None) -> str:
    """A stored (naive UTC) time in Beijing time, as on the mentoring and facility pages."""
    if moment is None:
        return ""
    local = availability.to_local(moment, BEIJING).strftime("%Y-%m-%d %H:%M")
    return _("%(when)s (Beijing time)", when=local)


@bp.app_template_global("funding_reason")
def funding_reason(reason: Any, viewer: str = "startup") -> str | None:
    """The engine's wording of a reason (``web.recommendations.reasons``); None for the funding
    area's own codes, which ``funding/_macros.html`` words."""
    try:
        return reason_text(reason.code, dict(reason.params), viewer)
    except (KeyError, TypeError, ValueError):
        return None


def _engine_on() -> bool:
    return bool(current_app.config.get("FUNDING_USE_ENGINE", True))


# --- founder side ----------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> str:
    return render_template(
        "funding/index.html",
        overview=funding.founder_overview(db.session, current_user),
        weekly_limit=_weekly_limit(),
        stage_labels=pipeline.FOUNDER_STAGE_LABELS,
    )


def _weekly_limit() -> int:
    return int(current_app.config.get("FUNDING_PITCHES_PER_WEEK", funding.DEFAULT_PITCHES_PER_WEEK))


def _stage_deck(form: AskForm) -> pitch_decks.StagedDeck | None:
    upload = form.deck.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return pitch_decks.stage_deck(
        upload.stream,
        upload.filename,
        upload_dir=current_app.config["UPLOAD_DIR"],
        max_bytes=int(
            current_app.config.get("PITCH_DECK_MAX_BYTES", pitch_decks.DEFAULT_MAX_BYTES)
        ),
    )


def _save_ask(form: AskForm, **target: Any) -> FundingAsk | None:
    try:
        deck = _stage_deck(form)
        return funding.save_ask(
            db.session,
            current_user,
            funding.AskInput(
                round=form.round.data or "",
                amount=form.amount.data if form.amount.data is not None else "",
                currency=form.currency.data or "",
                instrument=form.instrument.data or "",
                use_of_funds=form.use_of_funds.data or "",
                traction=form.traction.data or "",
                is_open=bool(form.is_open.data),
            ),
            deck=deck,
            upload_dir=current_app.config["UPLOAD_DIR"],
            **target,
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        _show_error(form, exc)
        return None


@bp.route("/startups/<int:startup_id>/asks/new", methods=["GET", "POST"])
@login_required
def new_ask(startup_id: int) -> Page:
    startup = db.session.get(Startup, startup_id) or abort(404)
    if not funding.is_startup_member(db.session, current_user, startup_id):
        raise Forbidden(_l("Only the startup's team can manage its funding."))
    form = AskForm()
    if form.validate_on_submit():
        ask = _save_ask(form, startup_id=startup_id)
        if ask is not None:
            flash(_("Your funding ask is saved. Now pitch the investors that fit it."), "success")
            return redirect(url_for("funding.ask", ask_id=ask.id))
    return render_template("funding/ask_form.html", form=form, startup=startup, ask=None), (
        422 if form.errors else 200
    )


@bp.route("/asks/<int:ask_id>/edit", methods=["GET", "POST"])
@login_required
def edit_ask(ask_id: int) -> Page:
    ask = funding.ask_for_member(db.session, current_user, ask_id)
    form = AskForm(obj=ask)
    if form.validate_on_submit():
        saved = _save_ask(form, ask_id=ask_id)
        if saved is not None:
            flash(_("Your funding ask is saved."), "success")
            return redirect(url_for("funding.ask", ask_id=ask_id))
    deck = funding.deck_of(db.session, ask_id)
    return render_template(
        "funding/ask_form.html", form=form, startup=ask.startup, ask=ask, deck=deck
    ), (422 if form.errors else 200)


@bp.get("/asks/<int:ask_id>")
@login_required
def ask(ask_id: int) -> str:
    ask = funding.ask_for_member(db.session, current_user, ask_id)
    matches = funding.recommend_investors_for_ask(db.session, ask, use_engine=_engine_on())
    return _render_ask(ask, matches, PitchForm())


def _render_ask(ask: FundingAsk, matches: list[funding.InvestorMatch], form: PitchForm) -> str:
    form.investor_ids.choices = [(m.investor.id, m.investor.name) for m in matches if not m.pitch]
    used = funding.pitches_this_week(db.session, ask.startup_id)
    pitches = funding.ask_pitches(db.session, ask.id)
    intros = {
        v.intro.investor_id: v
        for v in introductions.introductions_for(db.session, current_user)
        if v.intro.startup_id == ask.startup_id
    }
    return render_template(
        "funding/ask.html",
        ask=ask,
        deck=funding.deck_of(db.session, ask.id),
        matches=matches,
        pitches=pitches,
        thread_sizes=pitch_messages.thread_sizes(db.session, [p.id for p in pitches]),
        form=form,
        weekly_limit=_weekly_limit(),
        left=max(0, _weekly_limit() - used),
        stage_labels=pipeline.FOUNDER_STAGE_LABELS,
        pass_reasons=pipeline.PASS_REASONS,
        intros=intros,
        intro_form=EmptyForm(),
    )


@bp.post("/asks/<int:ask_id>/pitch")
@login_required
def send_pitch(ask_id: int) -> Page:
    ask = funding.ask_for_member(db.session, current_user, ask_id)
    form = PitchForm()
    # The investors offered are the ones posted (the service checks each); anything that is not
    # an id stays out of the choices, so the form refuses it instead of int() raising.
    posted = [parse_id(raw) for raw in request.form.getlist("investor_ids")]
    form.investor_ids.choices = [(i, "") for i in posted if i is not None]
    if form.validate_on_submit():
        try:
            sent = funding.send_pitches(
                db.session,
                current_user,
                ask_id,
                form.investor_ids.data or [],
                message=form.message.data or "",
                weekly_limit=_weekly_limit(),
                link_for=lambda p: url_for("funding.deal", pitch_id=p.id, _external=True),
            )
        except ServiceError as exc:
            if exc.status in (403, 404):
                raise
            flash(str(exc.message), "danger")
            ask = funding.ask_for_member(db.session, current_user, ask_id)
            matches = funding.recommend_investors_for_ask(db.session, ask, use_engine=_engine_on())
            return _render_ask(ask, matches, form), exc.status
        flash(
            ngettext(
                "Pitch sent to %(num)d investor.", "Pitch sent to %(num)d investors.", len(sent)
            ),
            "success",
        )
        return redirect(url_for("funding.ask", ask_id=ask_id))
    flash(_("Choose at least one investor to pitch."), "danger")
    return redirect(url_for("funding.ask", ask_id=ask.id))


@bp.get("/asks/<int:ask_id>/deck")
@login_required
def deck(ask_id: int) -> Response:
    deck = funding.deck_for_viewer(db.session, current_user, ask_id)
    path = pitch_decks.deck_path(current_app.config["UPLOAD_DIR"], deck.stored_name)
    if not path.is_file():
        abort(404)
    # Saved, never opened in a tab of this site: a file that is also HTML (a polyglot) can then
    # neither run nor be sniffed into anything but a PDF, and its name cannot disguise itself.
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=safe_file_name(deck.original_name, "pitch-deck.pdf"),
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- investor side ---------------------------------------------------------------------------


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
    filters = pipeline.DealFilters(
        sector=request.args.get("sector", ""),
        round=request.args.get("round", ""),
        stage=request.args.get("stage", ""),
        ticket_min=_decimal_arg("ticket_min"),
        ticket_max=_decimal_arg("ticket_max"),
        location=(request.args.get("location") or "").strip(),
        pipeline=request.args.get("pipeline", ""),
    )
    flow = pipeline.deal_flow(
        db.session,
        current_user,
        id_arg("investor_id"),
        filters,
        use_engine=_engine_on(),
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
    rows = pipeline.pipeline_rows(db.session, current_user, investor_id)
    header = ["startup", "round", "amount", "currency", "instrument", "stage", "since"]
    table = [
        [
            p.startup.name,
            p.ask.round,
            p.ask.amount,
            p.ask.currency,
            p.ask.instrument,
            p.stage,
            p.created_at.date().isoformat(),
        ]
        for p in rows
    ]
    return Response(
        exports.to_csv(header, table),
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
            if exc.status in (403, 404):
                raise
            _show_error(form, exc)
            status = exc.status
        else:
            flash(_("The meeting is set; the founders have been told."), "success")
            return redirect(url_for("funding.deal", pitch_id=pitch_id))
    pitch = pipeline.pitch_for_member(db.session, current_user, pitch_id)
    return _render_deal(pitch, MoveForm(), NoteForm(), form), status


@bp.get("/pitches/<int:pitch_id>/meeting.ics")
@login_required
def meeting_ics(pitch_id: int) -> Response:
    body = pitch_meetings.meeting_ics(db.session, current_user, pitch_id)
    return Response(
        body,
        mimetype="text/calendar",
        headers=attachment_headers(f"meeting-{pitch_id}.ics"),
    )


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
            if exc.status in (403, 404):
                raise
            _show_error(form, exc)
            flash(str(exc.message), "danger")
            pitch = pipeline.pitch_for_member(db.session, current_user, pitch_id)
            return _render_deal(pitch, form, NoteForm()), exc.status
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
            if exc.status in (403, 404):
                raise
            _show_error(form, exc)
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
            pipeline.STAGE_LABELS
            if thread.side == "investor"
            else pipeline.FOUNDER_STAGE_LABELS
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
            if exc.status in (403, 404):
                raise
            _show_error(form, exc)
            status = exc.status
        else:
            flash(_("Your message has been sent."), "success")
            return redirect(url_for("funding.pitch_thread", pitch_id=pitch_id))
    thread = pitch_messages.thread_for(db.session, current_user, pitch_id)
    return _render_thread(thread, form), status


# --- introductions ---------------------------------------------------------------------------


@bp.get("/introductions")
@login_required
def introductions_page() -> str:
    return render_template(
        "funding/introductions.html",
        views=introductions.introductions_for(db.session, current_user),
        form=EmptyForm(),
    )


@bp.get("/api/introductions")
@login_required
def introductions_api() -> Response:
    """JSON of the user's introductions; contacts only once both sides accepted."""
    return jsonify(
        introductions=[
            {
                "id": v.intro.id,
                "startup": v.intro.startup.name,
                "investor": v.intro.investor.name,
                "status": v.intro.status,
                "my_side": v.my_side,
                "contacts": [c.__dict__ for c in v.contacts],
            }
            for v in introductions.introductions_for(db.session, current_user)
        ]
    )


def _intro_link() -> str:
    return url_for("funding.introductions_page", _external=True)


def _back(default: str) -> WerkzeugResponse:
    return redirect_next(default)


@bp.post("/introductions/request")
@login_required
def request_intro() -> WerkzeugResponse:
    form = IntroductionForm()
    if not form.validate_on_submit():
        abort(400)
    # Hidden ids: a value that cannot name a row (a 20-digit number is out of PostgreSQL's
    # integer range) is a bad request, not a 500.
    startup_id, investor_id = parse_id(form.startup_id.data), parse_id(form.investor_id.data)
    if startup_id is None or investor_id is None:
        abort(400)
    try:
        intro = introductions.request_introduction(
            db.session,
            current_user,
            startup_id=startup_id,
            investor_id=investor_id,
            side=form.side.data or "",
            message=form.message.data or "",
            link=_intro_link(),
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "danger")
    else:
        if intro.is_accepted:
            flash(_("Introduction accepted: you can now see each other's contacts."), "success")
        else:
            flash(_("Introduction requested. Contacts are shared once they accept."), "success")
    return _back(url_for("funding.introductions_page"))


@bp.post("/introductions/<int:intro_id>/<any(accept, decline):answer>")
@login_required
def answer_intro(intro_id: int, answer: str) -> WerkzeugResponse:
    if not EmptyForm().validate_on_submit():
        abort(400)
    action = (
        introductions.accept_introduction
        if answer == "accept"
        else introductions.decline_introduction
    )
    try:
        intro = action(db.session, current_user, intro_id, link=_intro_link())
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "danger")
    else:
        if intro.is_accepted:
            flash(_("Introduction accepted: you can now see each other's contacts."), "success")
        elif answer == "accept":
            flash(_("Accepted. Contacts are shared once the other side accepts too."), "success")
        else:
            flash(_("Introduction declined."), "info")
    return _back(url_for("funding.introductions_page"))


# --- navigation, dashboard, detail pages -----------------------------------------------------


def nav_items(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    if user.has_role("founder"):
        items.append(NavItem(url_for("funding.index"), str(_l("Funding"))))
    if user.has_role("investor"):
        items.append(NavItem(url_for("funding.deal_flow"), str(_l("Deal flow"))))
    return items


def dashboard_panels(user: Any) -> list[DashboardPanel]:
    if not getattr(user, "is_authenticated", False):
        return []
    if not (user.has_role("founder") or user.has_role("investor")):
        return []
    return [DashboardPanel("funding/_panel.html", funding.dashboard_counts(db.session, user), 40)]


def investor_section(investor: Investor, user: Any) -> list[DashboardPanel]:
    """On a fund's page: a founder with an open ask may pitch it or ask for an introduction."""
    if not getattr(user, "is_authenticated", False) or not user.has_role("founder"):
        return []
    asks = funding.open_asks_for_member(db.session, user)
    if not asks:
        return []
    return [DashboardPanel("funding/_investor_section.html", {"investor": investor, "asks": asks})]


def startup_section(startup: Startup, user: Any) -> list[DashboardPanel]:
    """On a startup's page: a fund member may ask for an introduction."""
    if not getattr(user, "is_authenticated", False):
        return []
    funds = funding.member_investor_ids(db.session, user)
    if not funds:
        return []
    existing = {
        fid: introductions.introduction_between(db.session, startup.id, fid) for fid in funds
    }
    investors = [db.session.get(Investor, fid) for fid in funds]
    return [
        DashboardPanel(
            "funding/_startup_section.html",
            {"startup": startup, "investors": investors, "existing": existing},
        )
    ]

