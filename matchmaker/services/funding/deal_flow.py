"""A fund's deal flow: the pitches it received and the startups recommended to it, both ranked
(stated-preference fit, plus the engine's score where it answers) and explained; and its
pipeline as a table for the CSV export.

Private to the fund, as the pipeline is (``pipeline``): a non-member gets 404.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import FundingAsk, Investor, Startup
from matchmaker.models.funding import FINAL_STAGES, Introduction, Pitch
from matchmaker.services.errors import NotFound
from matchmaker.services.funding.asks import member_funds, member_investor_ids
from matchmaker.services.funding.matching import FitReason, ask_satisfies, fit_reasons, fit_score
from matchmaker.services.recommendations import bridge
from matchmaker.services.recommendations.engine_settings import Caller

log = logging.getLogger(__name__)

ALL_DEALS = "all"  # DealFilters.pipeline: every deal, closed ones included


@dataclass(frozen=True)
class DealFilters:
    sector: str = ""
    round: str = ""
    stage: str = ""  # the startup's incubation stage
    ticket_min: Decimal | None = None
    ticket_max: Decimal | None = None
    location: str = ""
    pipeline: str = ""  # a pipeline stage; "" = open deals, ALL_DEALS = every deal

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


def _engine_startups(
    session: Session, investor_id: int, limit: int, caller: Caller
) -> dict[int, Any]:
    try:  # the ranking only: _open_deals reads the startups with their asks
        matches = bridge.rank_startups_for_investor(
            session, investor_id, limit=limit, caller=caller
        )
    except Exception:  # optional: the stated-preference ranking still works
        log.exception("rank_startups_for_investor failed for investor %s", investor_id)
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
    caller: Caller,
) -> DealFlow:
    """The fund's incoming pitches and recommended startups, both ranked and explained.

    ``investor_id`` None is the user's first fund (by name); a fund the user is not a member
    of is NotFound. Recommended startups are those with an open ask the fund's stated
    preferences accept and that have not pitched it yet. ``caller``: who asks the engine (a
    view: ``Caller.web_request``)."""
    funds = member_funds(session, user)
    if not funds:
        raise NotFound(_l("You are not a member of any fund yet."))
    chosen = investor_id if investor_id is not None else funds[0].id
    investor = next((f for f in funds if f.id == chosen), None)
    if investor is None:
        raise NotFound(_l("This deal does not exist."))
    engine = _engine_startups(session, chosen, recommend_limit * 3, caller) if use_engine else {}
    intros = {
        i.startup_id: i
        for i in session.scalars(sa.select(Introduction).where(Introduction.investor_id == chosen))
    }
    lens = _FundLens(investor, filters, engine, intros)
    incoming = _incoming(session, lens)
    recommended = _recommended(session, lens, recommend_limit)
    return DealFlow(investor, funds, incoming, recommended)


@dataclass(frozen=True)
class _FundLens:
    """What both lists of a fund's deal flow are judged by: the fund, the user's filters, the
    engine's picks (by startup id) and the fund's introductions (by startup id)."""

    investor: Investor
    filters: DealFilters
    engine: dict[int, Any]
    intros: dict[int, Introduction]

    def deal(
        self, startup: Startup, ask: FundingAsk, pitch: Pitch | None, *, picked_bonus: float
    ) -> Deal:
        """The startup's ask as a deal: its fit with the fund plus, when the engine picked it,
        ``picked_bonus`` and the engine's score, with the engine's reasons."""
        fit = fit_reasons(self.investor, ask, startup)
        match = self.engine.get(startup.id)
        score = fit_score(fit) + (picked_bonus + float(match.score) if match is not None else 0.0)
        reasons = list(match.reasons) if match is not None else []
        return Deal(startup, ask, score, fit, reasons, pitch, self.intros.get(startup.id))


def _best_first(deals: list[Deal]) -> list[Deal]:
    return sorted(deals, key=lambda d: (-d.score, d.startup.name))


def _incoming(session: Session, lens: _FundLens) -> list[Deal]:
    """The fund's pitches the filters admit, best fit first (the engine's score added)."""
    investor, filters = lens.investor, lens.filters
    stmt = (
        sa.select(Pitch)
        .where(Pitch.investor_id == investor.id)
        .options(joinedload(Pitch.startup), joinedload(Pitch.ask))
    )
    if filters.pipeline and filters.pipeline != ALL_DEALS:
        stmt = stmt.where(Pitch.stage == filters.pipeline)
    elif not filters.pipeline:
        stmt = stmt.where(Pitch.stage.not_in(FINAL_STAGES))
    return _best_first(
        [
            lens.deal(p.startup, p.ask, p, picked_bonus=0.0)
            for p in session.scalars(stmt)
            if filters.admits(p.startup, p.ask)
        ]
    )


def _recommended(session: Session, lens: _FundLens, limit: int) -> list[Deal]:
    """The ``limit`` best active startups that have not pitched the fund and whose latest open
    ask it accepts; the engine's picks first.

    The engine's picks are read and judged first, every other startup only when fewer than
    ``limit`` picks score above 1: a pick scores its 0..1 fit + 1 + the engine's score, any
    other startup at most its fit, so the list is the same as judging every startup."""
    picked = list(lens.engine)
    deals = _open_deals(session, lens, only=picked) if picked else []
    if len([d for d in deals if d.score > 1.0]) < limit:
        deals += _open_deals(session, lens, besides=picked)
    return _best_first(deals)[:limit]


def _open_deals(
    session: Session,
    lens: _FundLens,
    *,
    only: Collection[int] | None = None,
    besides: Collection[int] = (),
) -> list[Deal]:
    """The deals of the startups in ``only`` (else of every one not in ``besides``) that the
    fund accepts and the filters admit, in one statement: each active startup that has not
    pitched the fund with its latest open ask. The database leaves out the asks whose round or
    ticket the fund's preferences rule out; ``ask_satisfies`` still decides."""
    investor, filters = lens.investor, lens.filters
    which = "only" if only is not None else "besides" if besides else "all"
    stmt = _open_deals_statement(
        which,
        bool(investor.stages),
        investor.ticket_min is not None,
        investor.ticket_max is not None,
    )
    values = {
        "fund": investor.id,
        "stages": list(investor.stages),
        "currency": investor.currency,
        "ticket_min": investor.ticket_min,
        "ticket_max": investor.ticket_max,
        "ids": list(only if only is not None else besides),
    }
    return [
        lens.deal(startup, ask, None, picked_bonus=1.0)
        for startup, ask in session.execute(stmt, values)
        if ask_satisfies(investor, ask, startup) and filters.admits(startup, ask)
    ]


@lru_cache(maxsize=32)
def _open_deals_statement(
    which: str, stages: bool, ticket_min: bool, ticket_max: bool
) -> sa.Select[Startup, FundingAsk]:
    """``_open_deals``'s statement for one shape of fund (which of round, minimum and maximum
    ticket it states) and of id list (``which``: only, besides or all), its values bound when
    it runs: built once per process rather than on every page.

    The round and ticket conditions are what ``matching.investor_fits`` asks of them, so a
    necessary part of the check (regions, sectors and instruments stay in Python)."""
    latest = (  # each startup's open asks numbered newest first: number 1 is its deal's
        sa.select(
            FundingAsk.id,
            sa.func.row_number()
            .over(
                partition_by=FundingAsk.startup_id,
                order_by=(FundingAsk.created_at.desc(), FundingAsk.id.desc()),
            )
            .label("newest"),
        )
        .where(FundingAsk.is_open.is_(True))
        .subquery()
    )
    pitched = sa.select(Pitch.startup_id).where(Pitch.investor_id == sa.bindparam("fund"))
    stmt = (
        sa.select(Startup, FundingAsk)
        .join(FundingAsk, FundingAsk.startup_id == Startup.id)
        .join(latest, sa.and_(latest.c.id == FundingAsk.id, latest.c.newest == 1))
        .where(Startup.is_active.is_(True), Startup.id.not_in(pitched))
    )
    if stages:  # an ask without a round is not ruled out
        stmt = stmt.where(
            sa.or_(
                FundingAsk.round.in_(sa.bindparam("stages", expanding=True)),
                FundingAsk.round == "",
            )
        )
    # A ticket in another currency is not comparable: it neither fits nor excludes.
    other_currency = FundingAsk.currency.is_distinct_from(sa.bindparam("currency"))
    if ticket_min:
        stmt = stmt.where(sa.or_(other_currency, FundingAsk.amount >= sa.bindparam("ticket_min")))
    if ticket_max:
        stmt = stmt.where(sa.or_(other_currency, FundingAsk.amount <= sa.bindparam("ticket_max")))
    if which == "only":
        stmt = stmt.where(Startup.id.in_(sa.bindparam("ids", expanding=True)))
    elif which == "besides":
        stmt = stmt.where(Startup.id.not_in(sa.bindparam("ids", expanding=True)))
    return stmt


PIPELINE_COLUMNS = ["startup", "round", "amount", "currency", "instrument", "stage", "since"]


def pipeline_table(session: Session, user: Any, investor_id: int) -> list[list[Any]]:
    """Every deal of the fund as rows of ``PIPELINE_COLUMNS``, oldest first, for the CSV export
    (``services.exports.to_csv``, which guards the founders' text): no contacts, no notes."""
    if investor_id not in member_investor_ids(session, user):
        raise NotFound(_l("This deal does not exist."))
    pitches = session.scalars(
        sa.select(Pitch)
        .where(Pitch.investor_id == investor_id)
        .options(selectinload(Pitch.startup), selectinload(Pitch.ask))
        .order_by(Pitch.created_at)
    )
    return [
        [p.startup.name, p.ask.round, p.ask.amount, p.ask.currency, p.ask.instrument, p.stage,
         p.created_at.date().isoformat()]
        for p in pitches
    ]  # fmt: skip
