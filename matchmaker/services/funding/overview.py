"""What the funding pages show at a glance: a founder's asks with their pitches and decks, an
ask's pitches, the open asks a founder can pitch with, and the dashboard panel's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.models import FundingAsk, InvestorMember, Startup, StartupMember
from matchmaker.models.base import utcnow
from matchmaker.models.funding import (
    FINAL_STAGES,
    Introduction,
    IntroductionStatus,
    Pitch,
    PitchDeck,
    PitchStage,
)
from matchmaker.services.funding.asks import member_startup_ids


@dataclass
class AskOverview:
    ask: FundingAsk
    pitches: list[Pitch]
    deck: PitchDeck | None


@dataclass
class StartupFunding:
    startup: Startup
    asks: list[AskOverview]
    pitches_this_week: int


def founder_overview(session: Session, user: Any) -> list[StartupFunding]:
    """Each of the user's startups (by name) with its asks (newest first), each ask's pitches
    and deck, and the pitches it sent this week: five statements however many startups."""
    ids = member_startup_ids(session, user)
    if not ids:
        return []
    startups = session.scalars(sa.select(Startup).where(Startup.id.in_(ids)).order_by(Startup.name))
    asks = session.scalars(
        sa.select(FundingAsk)
        .where(FundingAsk.startup_id.in_(ids))
        .order_by(FundingAsk.created_at.desc(), FundingAsk.id.desc())
    ).all()
    ask_ids = [a.id for a in asks]
    pitches = session.scalars(
        sa.select(Pitch)
        .where(Pitch.ask_id.in_(ask_ids))
        .options(selectinload(Pitch.investor))
        .order_by(Pitch.created_at.desc())
    ).all()
    decks = {
        d.ask_id: d
        for d in session.scalars(sa.select(PitchDeck).where(PitchDeck.ask_id.in_(ask_ids)))
    }
    # The rolling week of ``pitches.pitches_this_week``, for every startup at once.
    this_week: dict[int, int] = {
        startup_id: n
        for startup_id, n in session.execute(
            sa.select(Pitch.startup_id, sa.func.count(Pitch.id))
            .where(Pitch.startup_id.in_(ids), Pitch.created_at >= utcnow() - timedelta(days=7))
            .group_by(Pitch.startup_id)
        )
    }
    out = []
    for s in startups:
        overviews = [
            AskOverview(a, [p for p in pitches if p.ask_id == a.id], decks.get(a.id))
            for a in asks
            if a.startup_id == s.id
        ]
        out.append(StartupFunding(s, overviews, int(this_week.get(s.id, 0))))
    return out


def ask_pitches(session: Session, ask_id: int) -> list[Pitch]:
    """The ask's pitches with their investors, newest first."""
    return list(
        session.scalars(
            sa.select(Pitch)
            .where(Pitch.ask_id == ask_id)
            .options(selectinload(Pitch.investor))
            .order_by(Pitch.created_at.desc())
        )
    )


def open_asks_for_member(session: Session, user: Any) -> list[FundingAsk]:
    """The open asks of the user's startups (with the startup), newest first: what a founder
    can pitch a fund with from the fund's page."""
    ids = member_startup_ids(session, user)
    if not ids:
        return []
    return list(
        session.scalars(
            sa.select(FundingAsk)
            .where(FundingAsk.startup_id.in_(ids), FundingAsk.is_open.is_(True))
            .options(selectinload(FundingAsk.startup))
            .order_by(FundingAsk.created_at.desc())
        )
    )


@lru_cache(maxsize=1)
def _dashboard_counts_statement() -> sa.Select[Any]:
    """``dashboard_counts``' one statement for the user bound as ``user_id``: built once per
    process (building it and its cache key cost more than running it)."""
    user_id: sa.BindParameter[int] = sa.bindparam("user_id", type_=sa.Integer)
    startups = sa.select(StartupMember.startup_id).where(StartupMember.user_id == user_id)
    funds = sa.select(InvestorMember.investor_id).where(InvestorMember.user_id == user_id)

    def count(column: Any, *where: Any) -> Any:
        return sa.select(sa.func.count(column)).where(*where).scalar_subquery()

    return sa.select(
        startups.exists().label("is_founder"),
        funds.exists().label("is_investor"),
        count(
            FundingAsk.id, FundingAsk.startup_id.in_(startups), FundingAsk.is_open.is_(True)
        ).label("open_asks"),
        count(Pitch.id, Pitch.startup_id.in_(startups), Pitch.stage.not_in(FINAL_STAGES)).label(
            "active_pitches"
        ),
        count(Pitch.id, Pitch.investor_id.in_(funds), Pitch.stage == PitchStage.NEW).label(
            "new_deals"
        ),
        count(
            Introduction.id,
            sa.or_(Introduction.startup_id.in_(startups), Introduction.investor_id.in_(funds)),
            Introduction.status == IntroductionStatus.PENDING,
        ).label("pending_intros"),
    )


def dashboard_counts(session: Session, user: Any) -> dict[str, Any]:
    """Figures for the dashboard panel: the founder's asks and pitches, the fund's new deals.

    One statement whatever the user owns: the user's startups and funds are subqueries of the
    counts, not reads of their own (the dashboard runs on every sign-in)."""
    if not getattr(user, "is_authenticated", False):
        return {"is_founder": False, "is_investor": False, "pending_intros": 0}
    row = session.execute(_dashboard_counts_statement(), {"user_id": user.id}).one()
    counts: dict[str, Any] = {
        "is_founder": bool(row.is_founder),
        "is_investor": bool(row.is_investor),
        "pending_intros": int(row.pending_intros or 0),
    }
    if counts["is_founder"]:
        counts["open_asks"] = int(row.open_asks or 0)
        counts["active_pitches"] = int(row.active_pitches or 0)
    if counts["is_investor"]:
        counts["new_deals"] = int(row.new_deals or 0)
    return counts
