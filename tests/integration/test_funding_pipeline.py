"""The fund's pipeline: every legal and illegal transition, outcomes, notes and fund isolation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import (
    FundingAsk,
    Investor,
    MatchOutcome,
    Notification,
    PortfolioEntry,
    User,
)
from matchmaker.models.funding import PIPELINE_STAGES, Introduction, Pitch, PitchStage
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.funding import deal_flow, pipeline, pitches
from matchmaker.services.funding.pipeline import TRANSITIONS
from matchmaker.services.recommendations.engine_settings import Caller
from tests.factories import make_investor, make_startup, make_user

PATH = ["new", "reviewing", "meeting", "due_diligence", "term_sheet", "invested"]


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(EMBEDDING_MODEL="hashing")


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.test_request_context():
        yield db.session


@dataclass
class Deal:
    founder: User
    partner: User
    pitch_id: int
    startup_id: int
    investor_id: int


def _deal(session: Session, db_session: Session) -> Deal:
    founder = make_user(db_session, "founder")
    partner = make_user(db_session, "investor")
    startup = make_startup(db_session, founder)
    fund = make_investor(db_session, partner)
    ask = FundingAsk(
        startup_id=startup.id, round="seed", amount=Decimal("2000000"), instrument="equity"
    )
    db_session.add(ask)
    db_session.commit()
    [pitch] = pitches.send_pitches(session, founder, ask.id, [fund.id])
    db_session.rollback()  # a fresh snapshot: the service committed through another session
    return Deal(founder, partner, pitch.id, startup.id, fund.id)


def _stage(db_session: Session, pitch_id: int) -> str:
    db_session.rollback()
    return db_session.scalar(sa.select(Pitch.stage).where(Pitch.id == pitch_id)) or ""


def _walk_to(session: Session, deal: Deal, stage: str) -> None:
    if stage == "passed":
        pipeline.move_pitch(session, deal.partner, deal.pitch_id, "passed", pass_reason="too_early")
        return
    for nxt in PATH[1 : PATH.index(stage) + 1]:
        pipeline.move_pitch(session, deal.partner, deal.pitch_id, nxt)


def test_every_stage_the_database_accepts_has_moves_and_labels() -> None:
    """The stage vocabulary (``PitchStage``) is the CHECK constraint's, and the pipeline's
    transitions and both sides' labels cover each of its stages."""
    check = next(c for c in Pitch.__table__.constraints if str(c.name).endswith("stage_known"))
    assert set(PitchStage) == set(re.findall(r"'(\w+)'", str(check.sqltext)))
    for table in (TRANSITIONS, pipeline.STAGE_LABELS, pipeline.FOUNDER_STAGE_LABELS):
        assert set(table) == set(PitchStage)


ILLEGAL = [(a, b) for a in PIPELINE_STAGES for b in PIPELINE_STAGES if b not in TRANSITIONS[a]]
LEGAL = [(a, b) for a in PIPELINE_STAGES for b in TRANSITIONS[a]]


@pytest.mark.parametrize(("from_stage", "to_stage"), LEGAL)
def test_every_legal_transition(
    session: Session, db_session: Session, from_stage: str, to_stage: str
) -> None:
    deal = _deal(session, db_session)
    _walk_to(session, deal, from_stage)
    pipeline.move_pitch(
        session, deal.partner, deal.pitch_id, to_stage, pass_reason="outside_thesis"
    )
    assert _stage(db_session, deal.pitch_id) == to_stage


@pytest.mark.parametrize(("from_stage", "to_stage"), ILLEGAL)
def test_every_illegal_transition_is_refused(
    session: Session, db_session: Session, from_stage: str, to_stage: str
) -> None:
    deal = _deal(session, db_session)
    _walk_to(session, deal, from_stage)
    with pytest.raises(Invalid):
        pipeline.move_pitch(session, deal.partner, deal.pitch_id, to_stage, pass_reason="other")
    assert _stage(db_session, deal.pitch_id) == from_stage


def test_unknown_stage_and_pass_without_reason_are_refused(
    session: Session, db_session: Session
) -> None:
    deal = _deal(session, db_session)
    with pytest.raises(Invalid):
        pipeline.move_pitch(session, deal.partner, deal.pitch_id, "signed")
    with pytest.raises(Invalid) as err:
        pipeline.move_pitch(session, deal.partner, deal.pitch_id, "passed")
    assert err.value.field == "pass_reason"
    with pytest.raises(Invalid):
        pipeline.move_pitch(session, deal.partner, deal.pitch_id, "passed", pass_reason="rude")
    assert _stage(db_session, deal.pitch_id) == "new"


def test_invested_becomes_portfolio_entry_and_outcomes(
    session: Session, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed: list[tuple[str, int]] = []
    from matchmaker.services.accounts import profile_events

    monkeypatch.setattr(profile_events, "profile_changed", lambda k, i: changed.append((k, i)))
    deal = _deal(session, db_session)
    _walk_to(session, deal, "invested")
    db_session.rollback()
    entry = db_session.scalar(
        sa.select(PortfolioEntry).where(PortfolioEntry.startup_id == deal.startup_id)
    )
    assert entry is not None and entry.investor_id == deal.investor_id
    outcomes = db_session.scalars(
        sa.select(MatchOutcome.outcome).where(MatchOutcome.startup_id == deal.startup_id)
    ).all()
    assert sorted(outcomes) == ["invested", "meeting"]
    assert ("investor", deal.investor_id) in changed
    history = db_session.scalar(sa.select(Pitch).where(Pitch.id == deal.pitch_id))
    assert history is not None and [h.to_stage for h in history.history] == PATH
    # The founder heard of every step.
    kinds = db_session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == deal.founder.id)
    ).all()
    assert {f"funding.pitch_{s}" for s in PATH[1:]} <= set(kinds)


def test_pass_records_outcome_and_kind_reason(session: Session, db_session: Session) -> None:
    deal = _deal(session, db_session)
    pipeline.move_pitch(session, deal.partner, deal.pitch_id, "passed", pass_reason="ticket_size")
    db_session.rollback()
    pitch = db_session.get(Pitch, deal.pitch_id)
    assert pitch is not None and pitch.pass_reason == "ticket_size"
    assert (
        db_session.scalar(
            sa.select(MatchOutcome.outcome).where(MatchOutcome.startup_id == deal.startup_id)
        )
        == "passed"
    )


def test_meeting_proposes_an_introduction(session: Session, db_session: Session) -> None:
    deal = _deal(session, db_session)
    _walk_to(session, deal, "meeting")
    db_session.rollback()
    intro = db_session.scalar(sa.select(Introduction))
    assert intro is not None and intro.status == "pending" and intro.pitch_id == deal.pitch_id
    assert not intro.accepted_by("startup") and not intro.accepted_by("investor")


def test_fund_isolation_and_private_notes(
    session: Session, db_session: Session, web_caller: Caller
) -> None:
    deal = _deal(session, db_session)
    other_partner = make_user(db_session, "investor")
    make_investor(db_session, other_partner)
    colleague = make_user(db_session, "investor")
    db_session.rollback()
    from matchmaker.models import InvestorMember

    db_session.add(InvestorMember(investor_id=deal.investor_id, user_id=colleague.id))
    db_session.commit()

    pipeline.add_note(session, deal.partner, deal.pitch_id, "Strong team, thin moat")
    # A colleague in the same fund shares the pipeline and notes and can move the deal.
    assert [n.body for n in pipeline.notes_for(session, colleague, deal.pitch_id)] == [
        "Strong team, thin moat"
    ]
    pipeline.move_pitch(session, colleague, deal.pitch_id, "reviewing")
    # Fund B, the founder and an outsider see nothing and can do nothing.
    for outsider in (other_partner, deal.founder):
        with pytest.raises(NotFound):
            pipeline.pitch_for_member(session, outsider, deal.pitch_id)
        with pytest.raises(NotFound):
            pipeline.notes_for(session, outsider, deal.pitch_id)
        with pytest.raises(NotFound):
            pipeline.add_note(session, outsider, deal.pitch_id, "hi")
        with pytest.raises(NotFound):
            pipeline.move_pitch(session, outsider, deal.pitch_id, "meeting")
        with pytest.raises(NotFound):
            deal_flow.pipeline_table(session, outsider, deal.investor_id)
    flow = deal_flow.deal_flow(
        session, other_partner, None, deal_flow.DealFilters(), use_engine=False, caller=web_caller
    )
    assert flow.pitches == []
    with pytest.raises(NotFound):
        deal_flow.deal_flow(
            session, other_partner, deal.investor_id, deal_flow.DealFilters(), caller=web_caller
        )
    assert _stage(db_session, deal.pitch_id) == "reviewing"


def test_empty_note_refused(session: Session, db_session: Session) -> None:
    deal = _deal(session, db_session)
    with pytest.raises(Invalid):
        pipeline.add_note(session, deal.partner, deal.pitch_id, "   ")


@pytest.mark.parametrize("use_engine", [False, True])
def test_deal_flow_ranks_explains_and_filters(
    session: Session, db_session: Session, use_engine: bool, web_caller: Caller
) -> None:
    deal = _deal(session, db_session)
    other_founder = make_user(db_session, "founder")
    # In a region the fund states (Chongqing and Chengdu): region filters like round and ticket.
    fund = db_session.get(Investor, deal.investor_id)
    assert fund is not None
    fund.regions = ["Chongqing", "Chengdu"]
    quiet = make_startup(
        db_session, other_founder, name="Quiet Labs", location="Chengdu", sectors=["new_energy"]
    )
    db_session.add(
        FundingAsk(
            startup_id=quiet.id, round="angel", amount=Decimal("4000000"), instrument="equity"
        )
    )
    bio = make_startup(db_session, other_founder, name="Bio Co", sectors=["biotechnology"])
    db_session.add(
        FundingAsk(startup_id=bio.id, round="seed", amount=Decimal("4000000"), instrument="equity")
    )
    db_session.commit()
    session.rollback()
    flow = deal_flow.deal_flow(
        session,
        deal.partner,
        None,
        deal_flow.DealFilters(),
        use_engine=use_engine,
        caller=web_caller,
    )
    assert [d.pitch.id for d in flow.pitches if d.pitch] == [deal.pitch_id]
    assert flow.pitches[0].fit
    assert [d.startup.name for d in flow.recommended] == ["Quiet Labs"]  # Bio Co fits no sector
    assert {r.code for r in flow.recommended[0].fit} >= {"shared_sectors", "stage_fit"}
    chengdu = deal_flow.DealFilters(location="chengdu")
    flow = deal_flow.deal_flow(
        session, deal.partner, None, chengdu, use_engine=use_engine, caller=web_caller
    )
    assert flow.pitches == [] and [d.startup.name for d in flow.recommended] == ["Quiet Labs"]
    big = deal_flow.DealFilters(ticket_min=Decimal("3000000"), round="angel")
    flow = deal_flow.deal_flow(
        session, deal.partner, None, big, use_engine=use_engine, caller=web_caller
    )
    assert flow.pitches == [] and [d.startup.name for d in flow.recommended] == ["Quiet Labs"]
    sector = deal_flow.DealFilters(sector="biotechnology")
    flow = deal_flow.deal_flow(
        session, deal.partner, None, sector, use_engine=use_engine, caller=web_caller
    )
    assert flow.pitches == [] and flow.recommended == []
