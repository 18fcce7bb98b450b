"""Funding, investor side: a fund's deal flow and the pipeline its members share.

new -> reviewing -> meeting -> due_diligence -> term_sheet -> invested, and passed from any open
stage (with a reason from ``PASS_REASONS``). Everything here is private to the fund: a member of
another fund, the founder and operators get 404 for a pipeline entry and never see its notes.
The founder sees only the stage and, for a pass, the reason's kind wording.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import FundingAsk, Investor, MatchOutcome, PortfolioEntry, Startup, User
from matchmaker.models.base import utcnow
from matchmaker.models.funding import FundNote, Introduction, Pitch, PitchStageChange
from matchmaker.services import notifications
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.funding.asks import member_investor_ids
from matchmaker.services.funding.matching import FitReason, ask_satisfies, fit_reasons, fit_score
from matchmaker.services.recommendations import bridge
from matchmaker.services.transactions import commit, use_case

log = logging.getLogger(__name__)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("reviewing", "passed"),
    "reviewing": ("meeting", "passed"),
    "meeting": ("due_diligence", "passed"),
    "due_diligence": ("term_sheet", "passed"),
    "term_sheet": ("invested", "passed"),
    "invested": (),
    "passed": (),
}

STAGE_LABELS = {
    "new": _l("New"),
    "reviewing": _l("Reviewing"),
    "meeting": _l("Meeting"),
    "due_diligence": _l("Due diligence"),
    "term_sheet": _l("Term sheet"),
    "invested": _l("Invested"),
    "passed": _l("Passed"),
}

# What the founder sees of a stage: the fund's working labels are not always kind words.
FOUNDER_STAGE_LABELS = {
    "new": _l("Sent"),
    "reviewing": _l("Being reviewed"),
    "meeting": _l("Meeting requested"),
    "due_diligence": _l("Due diligence"),
    "term_sheet": _l("Term sheet"),
    "invested": _l("Invested"),
    "passed": _l("Not proceeding"),
}

# code -> (the fund's label, the kind wording the founder sees)
PASS_REASONS: dict[str, tuple[Any, Any]] = {
    "outside_thesis": (
        _l("Outside our thesis"),
        _l("The fund is focusing on other areas for now; this says nothing about your work."),
    ),
    "too_early": (
        _l("Too early for us"),
        _l("The fund invests at a later stage. They would be glad to hear from you as you grow."),
    ),
    "ticket_size": (
        _l("Ticket size does not fit"),
        _l("The amount you are raising does not fit the fund's ticket size at the moment."),
    ),
    "no_capacity": (
        _l("No capacity right now"),
        _l("The fund has no room for new investments at the moment."),
    ),
    "portfolio_conflict": (
        _l("Conflicts with a portfolio company"),
        _l("The fund backs a company close to yours and wants to avoid a conflict of interest."),
    ),
    "other": (
        _l("Other"),
        _l("The fund has decided not to proceed this time. Thank you for thinking of them."),
    ),
}

# Outcomes the engine learns from (models/outcomes.py).
_OUTCOMES = {"meeting": "meeting", "invested": "invested", "passed": "passed"}


def _member_pitch(session: Session, user: Any, pitch_id: int, *, lock: bool = False) -> Pitch:
    """The pitch if ``user`` belongs to the fund it was sent to; 404 otherwise (no leaks)."""
    stmt = sa.select(Pitch).where(Pitch.id == pitch_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    pitch = session.scalar(stmt)
    if pitch is None or pitch.investor_id not in member_investor_ids(session, user):
        raise NotFound(_l("This deal does not exist."))
    return pitch


def pitch_for_member(session: Session, user: Any, pitch_id: int) -> Pitch:
    return _member_pitch(session, user, pitch_id)


def notes_for(session: Session, user: Any, pitch_id: int) -> list[FundNote]:
    pitch = _member_pitch(session, user, pitch_id)
    return list(
        session.scalars(
            sa.select(FundNote)
            .where(FundNote.pitch_id == pitch.id, FundNote.investor_id == pitch.investor_id)
            .options(selectinload(FundNote.author))
            .order_by(FundNote.created_at, FundNote.id)
        )
    )


@use_case
def add_note(session: Session, user: User, pitch_id: int, body: str) -> FundNote:
    body = (body or "").strip()
    if not body:
        raise Invalid(_l("Write something first."), field="body")
    if len(body) > 5000:
        raise Invalid(_l("A note can be at most 5000 characters."), field="body")
    user_id = user.id
    begin_write(session)  # a stale read snapshot must not fail the write on SQLite
    pitch = _member_pitch(session, session.get(User, user_id), pitch_id)
    note = FundNote(pitch_id=pitch.id, investor_id=pitch.investor_id, author_id=user_id, body=body)
    session.add(note)
    commit(session)
    return note


def allowed_moves(stage: str) -> tuple[str, ...]:
    return TRANSITIONS.get(stage, ())


@use_case
def move_pitch(
    session: Session,
    user: User,
    pitch_id: int,
    to_stage: str,
    *,
    pass_reason: str = "",
    link_for_founder: str = "",
) -> Pitch:
    """Move a deal one step along the pipeline, or pass it with a reason.

    Invested adds a portfolio entry; meeting, invested and passed add a ``MatchOutcome`` for the
    engine; meeting proposes an introduction that both sides must accept.
    """
    user_id = user.id
    begin_write(session)
    me = session.get(User, user_id)
    pitch = _member_pitch(session, me, pitch_id, lock=True)
    if to_stage not in allowed_moves(pitch.stage):
        raise Invalid(
            _l(
                "A deal cannot move from %(from)s to %(to)s.",
                **{
                    "from": STAGE_LABELS.get(pitch.stage, pitch.stage),
                    "to": STAGE_LABELS.get(to_stage, to_stage),
                },
            ),
            field="to_stage",
        )
    if to_stage == "passed" and pass_reason not in PASS_REASONS:
        raise Invalid(_l("Choose why you pass."), field="pass_reason")
    startup = session.get(Startup, pitch.startup_id)
    investor = session.get(Investor, pitch.investor_id)
    if startup is None or investor is None:
        raise NotFound(_l("This deal does not exist."))
    pitch.history.append(
        PitchStageChange(from_stage=pitch.stage, to_stage=to_stage, changed_by_id=user_id)
    )
    pitch.stage = to_stage
    pitch.updated_at = utcnow()
    if to_stage == "passed":
        pitch.pass_reason = pass_reason
    if to_stage in _OUTCOMES:
        session.add(
            MatchOutcome(
                startup_id=startup.id,
                candidate_kind="investor",
                candidate_id=investor.id,
                outcome=_OUTCOMES[to_stage],
            )
        )
    if to_stage == "invested":
        ask = session.get(FundingAsk, pitch.ask_id)
        session.add(
            PortfolioEntry(
                investor_id=investor.id,
                company=startup.name,
                description=startup.one_liner,
                sector=startup.sectors[0] if startup.sectors else "",
                round=ask.round if ask else "",
                year=utcnow().year,
                startup_id=startup.id,
            )
        )
    if to_stage == "meeting":
        _propose_introduction(session, pitch, user_id)
    rows = notifications.notify(
        session,
        [m.user_id for m in startup.members],
        f"funding.pitch_{to_stage}",
        link=link_for_founder,
        startup=startup.name,
        investor=investor.name,
    )
    investor_id = investor.id
    commit(session)
    notifications.send_after_commit(session, rows)
    if to_stage in _OUTCOMES:
        _profile_changed(investor_id)
    return pitch


def _propose_introduction(session: Session, pitch: Pitch, user_id: int) -> None:
    exists = session.scalar(
        sa.select(Introduction.id).where(
            Introduction.startup_id == pitch.startup_id,
            Introduction.investor_id == pitch.investor_id,
        )
    )
    if exists is None:
        session.add(
            Introduction(
                startup_id=pitch.startup_id,
                investor_id=pitch.investor_id,
                pitch_id=pitch.id,
                requested_by_side="system",
                requested_by_id=user_id,
            )
        )


def _profile_changed(investor_id: int) -> None:
    from matchmaker.services.accounts.profile_events import profile_changed

    profile_changed("investor", investor_id)


# --- deal flow -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealFilters:
    sector: str = ""
    round: str = ""
    stage: str = ""  # the startup's incubation stage
    ticket_min: Decimal | None = None
    ticket_max: Decimal | None = None
    location: str = ""
    pipeline: str = ""  # a pipeline stage; "" = open deals, "all" = every deal

    def admits(self, startup: Startup, ask: FundingAsk | None) -> bool:
        if self.sector and self.sector not in startup.sectors:
            return False
        if self.stage and startup.stage != self.stage:
            return False
        if self.location and self.location.casefold() not in (startup.location or "").casefold():
            return False
        if self.round and (ask is None or ask.round != self.round):
            return False
        if self.ticket_min is not None and (ask is None or ask.amount < self.ticket_min):
            return False
        return not (self.ticket_max is not None and (ask is None or ask.amount > self.ticket_max))


@dataclass
class Deal:
    startup: Startup
    ask: FundingAsk | None
    score: float
    fit: list[FitReason] = field(default_factory=list)
    reasons: list[Any] = field(default_factory=list)
    pitch: Pitch | None = None
    introduction: Introduction | None = None


@dataclass
class DealFlow:
    investor: Investor
    funds: list[Investor]
    pitches: list[Deal]
    recommended: list[Deal]


def _engine_startups(session: Session, investor_id: int, limit: int) -> dict[int, Any]:
    try:
        matches = bridge.recommend_startups_for_investor(session, investor_id, limit=limit)
    except Exception:  # optional: the stated-preference ranking still works
        log.exception("recommend_startups_for_investor failed for investor %s", investor_id)
        # A read, not a use case: a failed statement aborts a PostgreSQL transaction, and the
        # fallback's reads need a fresh one.
        session.rollback()
        return {}
    return {int(m.id): m for m in matches}


def deal_flow(
    session: Session,
    user: Any,
    investor_id: int | None,
    filters: DealFilters,
    *,
    use_engine: bool = True,
    recommend_limit: int = 10,
) -> DealFlow:
    """The fund's incoming pitches and recommended startups, both ranked and explained."""
    fund_ids = member_investor_ids(session, user)
    if not fund_ids:
        raise NotFound(_l("You are not a member of any fund yet."))
    chosen = investor_id if investor_id is not None else fund_ids[0]
    if chosen not in fund_ids:
        raise NotFound(_l("This deal does not exist."))
    funds = list(session.scalars(sa.select(Investor).where(Investor.id.in_(fund_ids))))
    investor = next(f for f in funds if f.id == chosen)
    engine = _engine_startups(session, chosen, recommend_limit * 3) if use_engine else {}

    stmt = (
        sa.select(Pitch)
        .where(Pitch.investor_id == chosen)
        .options(
            selectinload(Pitch.startup),
            selectinload(Pitch.ask),
        )
    )
    if filters.pipeline and filters.pipeline != "all":
        stmt = stmt.where(Pitch.stage == filters.pipeline)
    elif not filters.pipeline:
        stmt = stmt.where(Pitch.stage.not_in(("invested", "passed")))
    pitches = session.scalars(stmt).all()
    intros = {
        i.startup_id: i
        for i in session.scalars(sa.select(Introduction).where(Introduction.investor_id == chosen))
    }
    incoming = []
    for p in pitches:
        if not filters.admits(p.startup, p.ask):
            continue
        fit = fit_reasons(investor, p.ask, p.startup)
        match = engine.get(p.startup_id)
        score = fit_score(fit) + (float(match.score) if match is not None else 0.0)
        incoming.append(
            Deal(
                p.startup,
                p.ask,
                score,
                fit,
                list(match.reasons) if match is not None else [],
                p,
                intros.get(p.startup_id),
            )
        )
    incoming.sort(key=lambda d: (-d.score, d.startup.name))

    pitched = set(session.scalars(sa.select(Pitch.startup_id).where(Pitch.investor_id == chosen)))
    startups = session.scalars(
        sa.select(Startup)
        .where(Startup.is_active.is_(True))
        .where(Startup.id.not_in(pitched) if pitched else sa.true())
    ).all()
    open_asks: dict[int, FundingAsk] = {}
    for a in session.scalars(
        sa.select(FundingAsk)
        .where(FundingAsk.is_open.is_(True))
        .order_by(FundingAsk.created_at, FundingAsk.id)
    ):
        open_asks[a.startup_id] = a  # the latest open ask wins
    recommended = []
    for s in startups:
        ask = open_asks.get(s.id)
        if ask is None or not ask_satisfies(investor, ask, s) or not filters.admits(s, ask):
            continue
        fit = fit_reasons(investor, ask, s)
        match = engine.get(s.id)
        score = fit_score(fit) + (1.0 + float(match.score) if match is not None else 0.0)
        reasons = list(match.reasons) if match is not None else []
        recommended.append(Deal(s, ask, score, fit, reasons, None, intros.get(s.id)))
    recommended.sort(key=lambda d: (-d.score, d.startup.name))
    return DealFlow(investor, funds, incoming, recommended[:recommend_limit])


def pipeline_rows(session: Session, user: Any, investor_id: int) -> list[Pitch]:
    """Every deal of the fund, for the CSV export (no contact details, no notes)."""
    if investor_id not in member_investor_ids(session, user):
        raise NotFound(_l("This deal does not exist."))
    return list(
        session.scalars(
            sa.select(Pitch)
            .where(Pitch.investor_id == investor_id)
            .options(selectinload(Pitch.startup), selectinload(Pitch.ask))
            .order_by(Pitch.created_at)
        )
    )
