"""Demo funding data: pitches along the pipeline, fund notes and introductions.

Pitches go only to investors whose stated preferences the ask satisfies (as in the app), and the
demo founder's startup is pitched to the demo investor's fund so both demo logins have a deal
to work on. Timestamps are offsets from the anchor; choices come from ``ctx.rng``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.demo.context import DemoContext
from matchmaker.models import FundingAsk, Investor, MatchOutcome, PortfolioEntry, Startup
from matchmaker.models.funding import (
    REQUESTED_BY_SYSTEM,
    FundNote,
    Introduction,
    IntroductionStatus,
    Pitch,
    PitchStage,
    PitchStageChange,
)
from matchmaker.services.funding.matching import ask_satisfies

S = PitchStage
PATH: list[str] = [S.NEW, S.REVIEWING, S.MEETING, S.DUE_DILIGENCE, S.TERM_SHEET, S.INVESTED]
PASS_REASONS = ["outside_thesis", "too_early", "ticket_size", "no_capacity"]
NOTES = [
    "团队技术背景扎实，需要核实客户订单的真实性。",
    "Strong technical team; check the customer pipeline before the next call.",
    "估值偏高，可以考虑联合其他机构共同投资。",
    "Follow up on the pilot-line capacity and the IP ownership.",
]


def _at(ctx: DemoContext, days: int) -> datetime:
    return datetime.combine(ctx.anchor - timedelta(days=days), time(hour=10))


def _pitch(
    session: Session, ctx: DemoContext, ask: FundingAsk, investor: Investor, final: str, age: int
) -> Pitch:
    sender = ask.startup.members[0].user_id if ask.startup.members else None
    partner = investor.members[0].user_id if investor.members else None
    pitch = Pitch(
        ask_id=ask.id,
        startup_id=ask.startup_id,
        investor_id=investor.id,
        sent_by_id=sender,
        message="",
        stage=final,
        created_at=_at(ctx, age),
        updated_at=_at(ctx, max(0, age - 6)),
    )
    steps = PATH[: PATH.index(final) + 1] if final in PATH else [S.NEW, S.REVIEWING, S.PASSED]
    previous = ""
    for i, stage in enumerate(steps):
        pitch.history.append(
            PitchStageChange(
                from_stage=previous,
                to_stage=stage,
                changed_by_id=sender if stage == S.NEW else partner,
                created_at=_at(ctx, max(0, age - 2 * i)),
            )
        )
        previous = stage
    if final == S.PASSED:
        pitch.pass_reason = ctx.rng.choice(PASS_REASONS)
    session.add(pitch)
    session.flush()
    if final in (S.MEETING, S.INVESTED, S.PASSED):
        session.add(
            MatchOutcome(
                startup_id=ask.startup_id,
                candidate_kind="investor",
                candidate_id=investor.id,
                outcome=final,
                created_at=_at(ctx, max(0, age - 4)),
            )
        )
    if final == S.INVESTED:
        investor.portfolio.append(
            PortfolioEntry(
                company=ask.startup.name,
                description=ask.startup.one_liner,
                sector=ask.startup.sectors[0] if ask.startup.sectors else "",
                round=ask.round,
                year=ctx.anchor.year,
                startup_id=ask.startup_id,
            )
        )
    if partner is not None and ctx.rng.random() < 0.5:
        session.add(
            FundNote(
                pitch_id=pitch.id,
                investor_id=investor.id,
                author_id=partner,
                body=ctx.rng.choice(NOTES),
                created_at=_at(ctx, max(0, age - 1)),
            )
        )
    return pitch


def _introduce(
    session: Session, ctx: DemoContext, pitch: Pitch, *, accepted: bool, age: int
) -> None:
    exists = session.scalar(
        sa.select(Introduction.id).where(
            Introduction.startup_id == pitch.startup_id,
            Introduction.investor_id == pitch.investor_id,
        )
    )
    if exists is not None:
        return
    intro = Introduction(
        startup_id=pitch.startup_id,
        investor_id=pitch.investor_id,
        pitch_id=pitch.id,
        requested_by_side=REQUESTED_BY_SYSTEM,
        created_at=_at(ctx, age),
        updated_at=_at(ctx, age),
        investor_accepted_at=_at(ctx, age),
    )
    if accepted:
        intro.startup_accepted_at = _at(ctx, max(0, age - 1))
        intro.status = IntroductionStatus.ACCEPTED
    session.add(intro)


def load_area(session: Session, ctx: DemoContext) -> None:
    asks = [a for a in ctx.funding_asks if a.is_open]
    investors = [i for i in ctx.investors if i.is_active]
    if not asks or not investors:
        return
    pitched: set[tuple[int, int]] = set()

    demo_founder = ctx.demo_users.get("founder")
    demo_investor = ctx.demo_users.get("investor")
    own_startup = next(
        (
            s
            for s in session.scalars(sa.select(Startup))
            if demo_founder is not None and s.has_member(demo_founder)
        ),
        None,
    )
    own_fund = next(
        (i for i in investors if demo_investor is not None and i.has_member(demo_investor)), None
    )
    if own_startup is not None and own_fund is not None:
        own_ask = next((a for a in asks if a.startup_id == own_startup.id), None)
        if own_ask is not None:
            pitch = _pitch(session, ctx, own_ask, own_fund, S.MEETING, 9)
            _introduce(session, ctx, pitch, accepted=False, age=5)
            pitched.add((own_ask.id, own_fund.id))

    finals = [S.NEW, S.NEW, S.REVIEWING, S.MEETING, S.DUE_DILIGENCE, S.TERM_SHEET, S.PASSED]
    for ask in asks:
        fitting = [i for i in investors if ask_satisfies(i, ask, ask.startup)]
        ctx.rng.shuffle(fitting)
        for investor in fitting[: ctx.rng.randint(0, 3)]:
            if (ask.id, investor.id) in pitched:
                continue
            final = ctx.rng.choice(finals) if ctx.rng.random() < 0.95 else S.INVESTED
            if final == S.INVESTED and len(investor.portfolio) >= 7:
                final = S.TERM_SHEET  # keep portfolios at a realistic size (3-8 companies)
            pitch = _pitch(session, ctx, ask, investor, final, ctx.rng.randint(3, 40))
            pitched.add((ask.id, investor.id))
            if final in (S.MEETING, S.DUE_DILIGENCE, S.TERM_SHEET, S.INVESTED):
                _introduce(session, ctx, pitch, accepted=final != S.MEETING, age=8)
    session.commit()
