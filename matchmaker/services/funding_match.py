"""Which investors a funding ask fits, and why: the stated-preference filter and its reasons.

The engine (``services.recommendations``) ranks investors for a startup but treats most stated
preferences as soft features; a founder should only be shown funds whose stated preferences the
ask satisfies (round, ticket, instrument, sector), so the funding area filters here. Instrument
fit also understands institutions that state no instruments: a bank lends, a guidance fund
invests equity or grants, a crowdfunding platform crowdfunds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from matchmaker.models import FundingAsk, Investor, Startup

# What an institution offers when its profile states no instruments.
TYPE_DEFAULT_INSTRUMENTS: dict[str, tuple[str, ...]] = {
    "bank": ("debt",),
    "government_guidance_fund": ("equity", "grant", "equity_debt"),
    "crowdfunding": ("crowdfunding",),
}

# Reason codes of this module, in addition to the engine's (see recommend/reasons.py).
GUIDANCE_FUND_REASON = "guidance_fund_terms"  # params: requirements: str
BANK_LOAN_REASON = "bank_loan_products"  # params: products: str


@dataclass(frozen=True)
class FitReason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)


def offered_instruments(investor: Investor) -> tuple[str, ...]:
    if investor.instruments:
        return tuple(investor.instruments)
    return TYPE_DEFAULT_INSTRUMENTS.get(investor.type, ())


def instrument_fits(investor: Investor, instrument: str) -> bool:
    """True when the investor offers ``instrument`` (or states nothing that rules it out)."""
    offered = offered_instruments(investor)
    if not offered:
        return True
    if instrument in offered:
        return True
    # Equity plus debt can be assembled by one institution that does both.
    return instrument == "equity_debt" and {"equity", "debt"} <= set(offered)


def ticket_fits(investor: Investor, amount: Decimal, currency: str) -> bool:
    if investor.currency != currency:
        # No exchange rates here: a ticket in another currency is not comparable, so it neither
        # fits nor excludes.
        return True
    if investor.ticket_min is not None and amount < investor.ticket_min:
        return False
    return not (investor.ticket_max is not None and amount > investor.ticket_max)


def ask_satisfies(investor: Investor, ask: FundingAsk, startup: Startup) -> bool:
    """True when the ask meets every preference the investor states."""
    if not investor.is_active:
        return False
    if investor.stages and ask.round not in investor.stages:
        return False
    if not ticket_fits(investor, ask.amount, ask.currency):
        return False
    if not instrument_fits(investor, ask.instrument):
        return False
    return not (
        investor.sectors and startup.sectors and not set(investor.sectors) & set(startup.sectors)
    )


def fit_reasons(investor: Investor, ask: FundingAsk, startup: Startup) -> list[FitReason]:
    """Checkable facts about the pair, with the engine's reason codes where they exist."""
    out: list[FitReason] = []
    sectors = [s for s in startup.sectors if s in investor.sectors]
    if sectors:
        out.append(FitReason("shared_sectors", {"sectors": sectors}))
    if investor.stages and ask.round in investor.stages:
        out.append(FitReason("stage_fit", {"round": ask.round, "stages": list(investor.stages)}))
    if (
        investor.ticket_min is not None or investor.ticket_max is not None
    ) and investor.currency == ask.currency:
        out.append(
            FitReason(
                "ticket_fit",
                {
                    "amount": float(ask.amount),
                    "currency": ask.currency,
                    "min": float(investor.ticket_min) if investor.ticket_min is not None else None,
                    "max": float(investor.ticket_max) if investor.ticket_max is not None else None,
                },
            )
        )
    if offered_instruments(investor) and instrument_fits(investor, ask.instrument):
        out.append(FitReason("instrument_fit", {"instrument": ask.instrument}))
    if investor.type == "government_guidance_fund" and investor.co_investment_requirements:
        out.append(
            FitReason(GUIDANCE_FUND_REASON, {"requirements": investor.co_investment_requirements})
        )
    if investor.type == "bank" and investor.loan_products:
        out.append(FitReason(BANK_LOAN_REASON, {"products": investor.loan_products}))
    location = (startup.location or "").casefold()
    if location and any(
        r.casefold() in location or location in r.casefold()
        for r in [*investor.regions, investor.location]
        if r
    ):
        out.append(FitReason("same_location", {"location": startup.location}))
    neighbours = [
        p.company
        for p in investor.portfolio
        if p.sector and p.sector in startup.sectors and p.startup_id != startup.id
    ]
    if neighbours:
        out.append(
            FitReason(
                "portfolio_neighbour",
                {"company": neighbours[0], "startup_id": None, "similarity": 0},
            )
        )
    return out


_WEIGHTS = {
    "shared_sectors": 3.0,
    "stage_fit": 2.0,
    "ticket_fit": 2.0,
    "instrument_fit": 2.0,
    "same_location": 1.0,
    "portfolio_neighbour": 1.0,
    GUIDANCE_FUND_REASON: 0.5,
    BANK_LOAN_REASON: 0.5,
}
_MAX = sum(_WEIGHTS.values())


def fit_score(reasons: Iterable[FitReason]) -> float:
    """A 0..1 score from the facts above: the ranking used when the engine is unavailable."""
    return round(sum(_WEIGHTS.get(r.code, 0.0) for r in reasons) / _MAX, 4)


def startup_satisfies(investor: Investor, ask: FundingAsk | None, startup: Startup) -> bool:
    """For the investor's recommendations: a startup with an open ask that fits the fund."""
    return ask is not None and ask.is_open and ask_satisfies(investor, ask, startup)
