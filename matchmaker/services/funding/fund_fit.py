"""The funds a startup's need fits, best first, as plain data (ids, scores, reasons): the list
behind the ask page, the founder's dashboard, the pathway and the open data API
(``asks.recommend_investors_for_startup`` adds the rows and the founder's pitches).

Two costs are kept off the request (issue 12):

- **Reading every fund** with its portfolio on each load (it grows with the data: at 100,000
  funds no dashboard answered). The engine's candidates are read and checked first, the other
  funds only when fewer than ``limit`` of those fit with an engine score above 0. The list is
  the same: a fitting fund the engine ranked scores 1 + its engine score, any other at most 1
  (``fit_score``).
- **Checking the same funds again** on every load of the same page. The answer is remembered
  with the served engine's answers (``bridge.remembered_for_startup``: per process, for as long
  as the engine state is the same), keyed by the need (read on every request), the startup's
  sectors and location, and ``freshness.local_writes``; it is kept at most
  ``freshness.KEEP_SECONDS``, so a fund's edit made in another worker is read within that
  time (the serving rule), one made in this worker at once.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from matchmaker.models import Investor, PortfolioEntry, Startup
from matchmaker.services.funding.matching import (
    FitReason,
    FundingNeed,
    fit_reasons,
    fit_score,
    investor_fits,
)
from matchmaker.services.recommendations import bridge, freshness
from matchmaker.services.recommendations.engine_settings import Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RankedFund:
    """One fitting fund: its score (1 + the engine's score when the engine ranked it, else the
    0..1 ``fit_score``), the engine's reasons and the stated-preference facts."""

    investor_id: int
    score: float
    reasons: tuple[Any, ...]
    fit: tuple[FitReason, ...]


def ranked_funds(
    session: Session,
    startup: Startup,
    need: FundingNeed,
    limit: int,
    *,
    use_engine: bool,
    caller: Caller,
    rows: dict[int, Investor] | None = None,
) -> list[RankedFund]:
    """The ``limit`` best funds ``need`` fits (``matching.investor_fits``), best first;
    ``caller`` says who asks the engine (``engine_settings.Caller``). ``rows``, when given,
    receives the fitting funds' rows the check read (with their portfolios; none when the
    answer was remembered), so that the caller does not read them again."""
    answer = (
        _engine_candidates(session, startup.id, max(limit * 3, 30), caller) if use_engine else None
    )
    engine, named = answer or ({}, frozenset())
    read = {} if rows is None else rows

    def compute() -> list[RankedFund]:
        return _fitting(session, startup, need, limit, engine, named, read)

    if answer is None:  # engine off or failing: nothing its state would key
        return compute()

    def key() -> tuple[Any, ...]:
        return (
            "funds",
            limit,
            need.round,
            need.amount,
            need.currency,
            need.instrument,
            need.from_ask,
            tuple(startup.sectors),
            startup.location,
            freshness.local_writes(),
        )

    return bridge.remembered_for_startup(
        session, startup.id, key, compute, max_age=freshness.KEEP_SECONDS, caller=caller
    )


def _engine_candidates(
    session: Session, startup_id: int, k: int, caller: Caller
) -> tuple[dict[int, Any], frozenset[int]] | None:
    """The engine's ranked funds by id and the funds the startup's description names ("backed
    by X": current backers, never recommended, ``bridge.current_ties``), or None when the
    engine fails (the list then falls back to the stated-preference ranking)."""
    try:
        candidates = bridge.investor_candidates(session, startup_id, k, caller=caller)
        named = bridge.named_tie_ids(session, startup_id, "investor", caller=caller)
        return {int(r.id): r for r in candidates}, named
    except Exception:  # the engine is optional here
        log.exception("recommend_investors failed for startup %s", startup_id)
        # A read, not a use case: a failed statement aborts a PostgreSQL transaction, and the
        # fallback's reads need a fresh one.
        session.rollback()
        return None


# When too few of the engine's funds fit, the other funds read are at most this many, newest
# first: at 100,000 funds reading every one with its portfolio took 46 s per page.
OTHER_FUNDS_READ = 2_000


def _active_funds(
    session: Session,
    startup_id: int,
    *,
    only: Collection[int] | None = None,
    besides: Collection[int] = (),
) -> list[Investor]:
    """Active funds, without their portfolios, that have not recorded an investment in the
    startup (current backers, as the engine leaves them out, also when it is off): the ones in
    ``only``, else the newest ``OTHER_FUNDS_READ`` not in ``besides``; one statement either way."""
    backed = sa.exists().where(
        PortfolioEntry.investor_id == Investor.id, PortfolioEntry.startup_id == startup_id
    )
    query = sa.select(Investor).where(Investor.is_active.is_(True), ~backed)
    if only is not None:
        query = query.where(Investor.id.in_(list(only)))
    else:
        if besides:
            query = query.where(Investor.id.not_in(list(besides)))
        query = query.order_by(Investor.id.desc()).limit(OTHER_FUNDS_READ)
    return list(session.scalars(query))


def _with_portfolios(session: Session, funds: list[Investor]) -> list[Investor]:
    """``funds`` with their portfolios loaded in one statement (the portfolio_neighbour fact):
    read only for the funds that fit, not for every fund checked, which at 100,000 funds made
    the fallback read 2,000 funds' portfolios on every dashboard load. The entries alone are
    read (the funds are at hand), in the relationship's order."""
    unloaded = [f for f in funds if "portfolio" in sa.inspect(f).unloaded]
    if unloaded:
        entries: dict[int, list[PortfolioEntry]] = {f.id: [] for f in unloaded}
        order = Investor.portfolio.property.order_by or ()
        for entry in session.scalars(
            sa.select(PortfolioEntry)
            .where(PortfolioEntry.investor_id.in_(list(entries)))
            .order_by(*order, PortfolioEntry.id)
        ):
            entries[entry.investor_id].append(entry)
        for fund in unloaded:
            set_committed_value(fund, "portfolio", entries[fund.id])
    return funds


def _fitting(
    session: Session,
    startup: Startup,
    need: FundingNeed,
    limit: int,
    engine: dict[int, Any],
    named: frozenset[int],
    read: dict[int, Investor],
) -> list[RankedFund]:
    def ranked(investor: Investor) -> tuple[RankedFund, str]:
        read[investor.id] = investor
        fit = tuple(fit_reasons(investor, need, startup))
        match = engine.get(investor.id)
        if match is not None:  # engine-ranked first
            fund = RankedFund(investor.id, 1.0 + float(match.score), tuple(match.reasons), fit)
        else:
            fund = RankedFund(investor.id, fit_score(fit), (), fit)
        return fund, investor.name

    def fitting(funds: list[Investor]) -> list[Investor]:
        return [i for i in funds if i.id not in named and investor_fits(i, need, startup)]

    fits = fitting(_active_funds(session, startup.id, only=engine)) if engine else []
    # Any other fund scores at most 1: read them only when they could make the list.
    if sum(1 for i in fits if float(engine[i.id].score) > 0) < limit:
        fits += fitting(_active_funds(session, startup.id, besides=engine.keys() | named))
    out = [ranked(i) for i in _with_portfolios(session, fits)]
    out.sort(key=lambda pair: (-pair[0].score, pair[1]))
    return [fund for fund, _ in out[:limit]]
