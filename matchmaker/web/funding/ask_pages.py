"""Funding pages, founder side: the founder's funding overview, an ask (new, edit, its page
with the investors that fit it), sending pitches, and the pitch deck's download."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from matchmaker.extensions import db
from matchmaker.filenames import safe_file_name
from matchmaker.i18n import gettext as _
from matchmaker.i18n import ngettext
from matchmaker.services.errors import ServiceError
from matchmaker.services.funding import asks as funding
from matchmaker.services.funding import (
    introductions,
    overview,
    pipeline,
    pitch_decks,
    pitch_messages,
    pitches,
)
from matchmaker.web.forms import parse_id, refusal_status
from matchmaker.web.funding.blueprint import Page, bp, engine_on, weekly_limit
from matchmaker.web.funding.forms import AskForm, EmptyForm, PitchForm
from matchmaker.web.recommendations.caller import engine_caller

if TYPE_CHECKING:
    from matchmaker.models import FundingAsk


@bp.get("/")
@login_required
def index() -> str:
    return render_template(
        "funding/index.html",
        overview=overview.founder_overview(db.session, current_user),
        weekly_limit=weekly_limit(),
        stage_labels=pipeline.FOUNDER_STAGE_LABELS,
    )


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
        refusal_status(exc, form)
        return None


@bp.route("/startups/<int:startup_id>/asks/new", methods=["GET", "POST"])
@login_required
def new_ask(startup_id: int) -> Page:
    startup = funding.startup_for_member(db.session, current_user, startup_id)
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
    return _render_ask(ask, _investors_for(ask), PitchForm())


def _investors_for(ask: FundingAsk) -> list[funding.InvestorMatch]:
    """The investors the ask page offers to pitch, ranked by the engine when it is on."""
    return funding.recommend_investors_for_ask(
        db.session, ask, use_engine=engine_on(), caller=engine_caller()
    )


def _render_ask(ask: FundingAsk, matches: list[funding.InvestorMatch], form: PitchForm) -> str:
    form.investor_ids.choices = [(m.investor.id, m.investor.name) for m in matches if not m.pitch]
    used = pitches.pitches_this_week(db.session, ask.startup_id)
    sent = overview.ask_pitches(db.session, ask.id)
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
        pitches=sent,
        thread_sizes=pitch_messages.thread_sizes(db.session, [p.id for p in sent]),
        form=form,
        weekly_limit=weekly_limit(),
        left=max(0, weekly_limit() - used),
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
            sent = pitches.send_pitches(
                db.session,
                current_user,
                ask_id,
                form.investor_ids.data or [],
                message=form.message.data or "",
                weekly_limit=weekly_limit(),
                link_for=lambda p: url_for("funding.deal", pitch_id=p.id, _external=True),
            )
        except ServiceError as exc:
            status = refusal_status(exc)
            ask = funding.ask_for_member(db.session, current_user, ask_id)
            return _render_ask(ask, _investors_for(ask), form), status
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
