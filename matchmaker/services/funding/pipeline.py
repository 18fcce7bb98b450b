"""Funding, investor side: the pipeline a fund's members share (its deal flow page is
``deal_flow``).

new -> reviewing -> meeting -> due_diligence -> term_sheet -> invested, and passed from any open
stage (with a reason from ``PASS_REASONS``). Everything here is private to the fund: a member of
another fund, the founder and operators get 404 for a pipeline entry and never see its notes.
The founder sees only the stage and, for a pass, the reason's kind wording.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import FundingAsk, Investor, MatchOutcome, PortfolioEntry, Startup, User
from matchmaker.models.base import utcnow
from matchmaker.models.funding import (
    REQUESTED_BY_SYSTEM,
    FundNote,
    Introduction,
    Pitch,
    PitchStage,
    PitchStageChange,
)
from matchmaker.services import notifications
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.funding.asks import member_investor_ids
from matchmaker.services.funding.parties import members, notify_parties, pitch_parties
from matchmaker.services.transactions import commit, use_case

S = PitchStage

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.NEW: (S.REVIEWING, S.PASSED),
    S.REVIEWING: (S.MEETING, S.PASSED),
    S.MEETING: (S.DUE_DILIGENCE, S.PASSED),
    S.DUE_DILIGENCE: (S.TERM_SHEET, S.PASSED),
    S.TERM_SHEET: (S.INVESTED, S.PASSED),
    S.INVESTED: (),
    S.PASSED: (),
}

STAGE_LABELS: dict[str, Any] = {
    S.NEW: _l("New"),
    S.REVIEWING: _l("Reviewing"),
    S.MEETING: _l("Meeting"),
    S.DUE_DILIGENCE: _l("Due diligence"),
    S.TERM_SHEET: _l("Term sheet"),
    S.INVESTED: _l("Invested"),
    S.PASSED: _l("Passed"),
}

# What the founder sees of a stage: the fund's working labels are not always kind words.
FOUNDER_STAGE_LABELS: dict[str, Any] = {
    S.NEW: _l("Sent"),
    S.REVIEWING: _l("Being reviewed"),
    S.MEETING: _l("Meeting requested"),
    S.DUE_DILIGENCE: _l("Due diligence"),
    S.TERM_SHEET: _l("Term sheet"),
    S.INVESTED: _l("Invested"),
    S.PASSED: _l("Not proceeding"),
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

# The reason of a deal the fund declines in its conversation with the founders.
OTHER_REASON = "other"

# Stages the engine learns from, as MatchOutcome.outcome (models/outcomes.py).
_OUTCOMES: dict[str, str] = {S.MEETING: "meeting", S.INVESTED: "invested", S.PASSED: "passed"}


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
    """The deal for a member of the fund it was pitched to; NotFound for anyone else."""
    return _member_pitch(session, user, pitch_id)


def notes_for(session: Session, user: Any, pitch_id: int) -> list[FundNote]:
    """The fund's private notes on the deal, oldest first (NotFound for a non-member)."""
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
    """A note only the fund's members see (at most 5000 characters)."""
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
    """The stages a deal at ``stage`` may move to: the next one, or passed."""
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
    if to_stage == S.PASSED and pass_reason not in PASS_REASONS:
        raise Invalid(_l("Choose why you pass."), field="pass_reason")
    startup, investor = pitch_parties(session, pitch, _l("This deal does not exist."))
    change_stage(session, pitch, to_stage, startup, investor, user_id, pass_reason=pass_reason)
    rows = notify_parties(
        session,
        members(startup),
        f"funding.pitch_{to_stage}",
        startup=startup,
        investor=investor,
        link=link_for_founder,
    )
    investor_id = investor.id
    commit(session)
    notifications.send_after_commit(session, rows)
    if to_stage in _OUTCOMES:
        _profile_changed(investor_id)
    return pitch


def change_stage(
    session: Session,
    pitch: Pitch,
    to_stage: str,
    startup: Startup,
    investor: Investor,
    user_id: int,
    *,
    pass_reason: str = "",
) -> None:
    """Move the deal to ``to_stage`` (a move the caller checked), in its history, with the rows
    the new stage adds: an outcome for the engine (meeting, invested, passed), a portfolio
    entry (invested), an introduction to accept (meeting). No commit."""
    pitch.history.append(
        PitchStageChange(from_stage=pitch.stage, to_stage=to_stage, changed_by_id=user_id)
    )
    pitch.stage = to_stage
    pitch.updated_at = utcnow()
    if to_stage == S.PASSED:
        pitch.pass_reason = pass_reason
    _what_the_stage_brings(session, pitch, startup, investor, user_id)


def _what_the_stage_brings(
    session: Session, pitch: Pitch, startup: Startup, investor: Investor, user_id: int
) -> None:
    if pitch.stage in _OUTCOMES:
        session.add(
            MatchOutcome(
                startup_id=startup.id,
                candidate_kind="investor",
                candidate_id=investor.id,
                outcome=_OUTCOMES[pitch.stage],
            )
        )
    if pitch.stage == S.INVESTED:
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
    if pitch.stage == S.MEETING:
        _propose_introduction(session, pitch, user_id)


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
                requested_by_side=REQUESTED_BY_SYSTEM,
                requested_by_id=user_id,
            )
        )


def _profile_changed(investor_id: int) -> None:
    from matchmaker.services.accounts.profile_events import profile_changed

    profile_changed("investor", investor_id)
