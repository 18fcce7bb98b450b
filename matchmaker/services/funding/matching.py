"""Which investors a funding need fits, and why: the one stated-preference filter and its reasons.

The engine (``services.recommendations.bridge``) ranks investors for a startup but treats most
stated preferences as soft features; a founder should only be shown funds whose stated preferences
the need satisfies (round, ticket, instrument, region, sector). ``investor_fits`` is that filter,
and every page that recommends investors to a founder (the ask page, the dashboard, the pathway)
goes through it via ``services.funding.asks.recommend_investors_for_startup``.

Before the startup has an open ask, ``need_for`` builds the need from its profile: the round
after the one it has raised and the funding need it states (amount and currency), so a
¥20–100 M Pre-A fund is not offered for a ¥3 M seed need.

Instrument fit also understands institutions that state no instruments: a bank lends (and links
loans to equity rounds, 投贷联动), a guidance fund invests equity, grants or links loans, a
crowdfunding platform crowdfunds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from matchmaker import vocab
from matchmaker.models import FundingAsk, Investor, Startup
from matchmaker.models.investors import InvestorType

# What an institution offers when its profile states no instruments.
TYPE_DEFAULT_INSTRUMENTS: dict[str, tuple[str, ...]] = {
    InvestorType.BANK: ("debt", "investment_loan"),
    InvestorType.GOVERNMENT_GUIDANCE_FUND: ("equity", "grant", "equity_debt", "investment_loan"),
    InvestorType.CROWDFUNDING: ("crowdfunding",),
}

# Instruments one institution can assemble from parts it offers: equity plus debt (股债结合)
# and an equity round with a linked loan (投贷联动) both need an equity and a lending side.
COMPOSITE_INSTRUMENTS: dict[str, frozenset[str]] = {
    "equity_debt": frozenset({"equity", "debt"}),
    "investment_loan": frozenset({"equity", "debt"}),
}

# Reason codes of this module, in addition to the engine's (see recommend/reasons.py).
GUIDANCE_FUND_REASON = "guidance_fund_terms"  # params: requirements: str
BANK_LOAN_REASON = "bank_loan_products"  # params: products: str


@dataclass(frozen=True)
class FitReason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class Need(Protocol):
    """What a founder is raising: an open ``FundingAsk`` or the profile's stand-in."""

    @property
    def round(self) -> str | None: ...
    @property
    def amount(self) -> Decimal | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def instrument(self) -> str | None: ...


@dataclass(frozen=True)
class FundingNeed:
    """A funding need with the attributes of ``FundingAsk``; ``from_ask`` False when it stands
    in for an ask from the startup's profile (round after its current one, stated need)."""

    round: str | None
    amount: Decimal | None
    currency: str
    instrument: str | None
    from_ask: bool = False


def next_round(current: str | None) -> str | None:
    """The round a startup raises next: seed before any, none after the last."""
    rounds = list(vocab.ROUNDS)
    i = vocab.ordinal(vocab.ROUNDS, current)
    if i is None:
        return rounds[1]
    return rounds[i + 1] if i + 1 < len(rounds) else None


def need_for(startup: Startup, ask: FundingAsk | None) -> FundingNeed:
    """The need investors are matched against: the open ask, else the profile's stand-in.

    Without an ask the instrument is unknown (any is admitted); the round is the one after the
    startup's current round (a startup at the last round keeps raising it)."""
    if ask is not None:
        return FundingNeed(ask.round, ask.amount, ask.currency, ask.instrument, from_ask=True)
    round_ = next_round(startup.funding_round) or startup.funding_round or None
    amount = startup.funding_need_amount
    return FundingNeed(
        round_,
        amount if amount is not None and amount > 0 else None,
        startup.funding_need_currency or "CNY",
        None,
    )


def offered_instruments(investor: Investor) -> tuple[str, ...]:
    """The instruments the investor states, else what its type offers by default."""
    if investor.instruments:
        return tuple(investor.instruments)
    return TYPE_DEFAULT_INSTRUMENTS.get(investor.type, ())


def instrument_fits(investor: Investor, instrument: str | None) -> bool:
    """True when the investor offers ``instrument`` (or states nothing that rules it out)."""
    offered = offered_instruments(investor)
    if not offered or not instrument:
        return True
    if instrument in offered:
        return True
    parts = COMPOSITE_INSTRUMENTS.get(instrument)
    return parts is not None and parts <= set(offered)


def ticket_fits(investor: Investor, amount: Decimal | None, currency: str) -> bool:
    """True unless ``amount`` is outside the investor's stated ticket range in one currency."""
    if amount is None:
        return True  # no amount stated: nothing to compare
    if investor.currency != currency:
        # No exchange rates here: a ticket in another currency is not comparable, so it neither
        # fits nor excludes.
        return True
    if investor.ticket_min is not None and amount < investor.ticket_min:
        return False
    return not (investor.ticket_max is not None and amount > investor.ticket_max)


# -- regions ------------------------------------------------------------------------------------
# Investors state regions as free text in either language ("重庆", "Chongqing", "重庆两江新区",
# "长江经济带", "全国"); startups state a location the same way. A place is reduced to the known
# place names it mentions (in Chinese), each with the places that contain it, so "Yuzhong,
# Chongqing" is in 重庆 and "成都高新区" in 四川.
_PLACE_NAMES: dict[str, tuple[str, ...]] = {  # Chinese name -> English spellings
    "重庆": ("chongqing",),
    "两江": ("liangjiang",),
    "渝北": ("yubei",),
    "渝中": ("yuzhong",),
    "江北": ("jiangbei",),
    "沙坪坝": ("shapingba",),
    "九龙坡": ("jiulongpo",),
    "南岸": ("nan'an", "nanan"),
    "北碚": ("beibei",),
    "涪陵": ("fuling",),
    "西永": ("xiyong",),
    "四川": ("sichuan",),
    "成都": ("chengdu",),
    "陕西": ("shaanxi",),
    "西安": ("xi'an", "xian"),
    "贵州": ("guizhou",),
    "贵阳": ("guiyang",),
    "云南": ("yunnan",),
    "湖北": ("hubei",),
    "武汉": ("wuhan",),
    "湖南": ("hunan",),
    "江西": ("jiangxi",),
    "安徽": ("anhui",),
    "江苏": ("jiangsu",),
    "浙江": ("zhejiang",),
    "杭州": ("hangzhou",),
    "上海": ("shanghai",),
    "北京": ("beijing",),
    "广东": ("guangdong",),
    "深圳": ("shenzhen",),
    "香港": ("hong kong",),
}
_CHONGQING_DISTRICTS = (
    "两江",
    "渝北",
    "渝中",
    "江北",
    "沙坪坝",
    "九龙坡",
    "南岸",
    "北碚",
    "涪陵",
    "西永",
)
_CONTAINED_IN: dict[str, str] = {
    **{d: "重庆" for d in _CHONGQING_DISTRICTS},
    "成都": "四川",
    "西安": "陕西",
    "贵阳": "贵州",
    "武汉": "湖北",
    "杭州": "浙江",
    "深圳": "广东",
}
# Regions that name several provinces at once.
_GROUPS: dict[str, frozenset[str]] = {
    "长江经济带": frozenset(
        {"上海", "江苏", "浙江", "安徽", "江西", "湖北", "湖南", "重庆", "四川", "云南", "贵州"}
    ),
    "yangtze river economic belt": frozenset(
        {"上海", "江苏", "浙江", "安徽", "江西", "湖北", "湖南", "重庆", "四川", "云南", "贵州"}
    ),
    "成渝": frozenset({"重庆", "四川"}),
    "西部": frozenset({"重庆", "四川", "陕西", "贵州", "云南"}),
}
_EVERYWHERE = ("全国", "中国", "china", "nationwide", "全球", "global", "worldwide")


_SPELLINGS: dict[str, tuple[re.Pattern[str], ...]] = {
    zh: tuple(re.compile(rf"\b{re.escape(s)}\b") for s in spellings)
    for zh, spellings in _PLACE_NAMES.items()
}


@lru_cache(maxsize=8192)
def _places(text: str) -> frozenset[str]:
    """Known places ``text`` names, with the places containing them. Remembered per text: every
    fit check asks it of each fund's regions and the startup's location, the same few strings
    on every request."""
    folded = text.casefold()
    found = {
        zh
        for zh, patterns in _SPELLINGS.items()
        if zh in text or any(p.search(folded) for p in patterns)
    }
    return frozenset(found | {_CONTAINED_IN[p] for p in found if p in _CONTAINED_IN})


def region_fits(regions: Iterable[str], location: str) -> bool:
    """True when the startup's location is inside a region the investor states (or either side
    states none). A region naming a district ("重庆两江新区") needs every place it names."""
    regions = [r.strip() for r in regions if r and r.strip()]
    location = (location or "").strip()
    if not regions or not location:
        return True
    where = _places(location)
    for region in regions:
        folded = region.casefold()
        if any(e in folded for e in _EVERYWHERE):
            return True
        group = next((g for key, g in _GROUPS.items() if key in folded), None)
        if group is not None:
            if where & group:
                return True
            continue
        named = _places(region) - {_CONTAINED_IN[p] for p in _places(region) if p in _CONTAINED_IN}
        if named and where:
            if named <= where:
                return True
            continue
        # Places this module does not know: plain text containment, either way.
        loc = location.casefold()
        if folded in loc or loc in folded:
            return True
    return False


def investor_fits(investor: Investor, need: Need, startup: Startup) -> bool:
    """True when the need meets every preference the investor states: the one filter of every
    investor recommendation a founder sees."""
    if not investor.is_active:
        return False
    if investor.stages and need.round and need.round not in investor.stages:
        return False
    if not ticket_fits(investor, need.amount, need.currency):
        return False
    if not instrument_fits(investor, need.instrument):
        return False
    if not region_fits(investor.regions, startup.location):
        return False
    return not (
        investor.sectors and startup.sectors and not set(investor.sectors) & set(startup.sectors)
    )


def ask_satisfies(investor: Investor, ask: FundingAsk, startup: Startup) -> bool:
    """True when the ask meets every preference the investor states."""
    return investor_fits(investor, ask, startup)


def fit_reasons(investor: Investor, need: Need, startup: Startup) -> list[FitReason]:
    """Checkable facts about the pair, with the engine's reason codes where they exist."""
    out: list[FitReason] = []
    sectors = [s for s in startup.sectors if s in investor.sectors]
    if sectors:
        out.append(FitReason("shared_sectors", {"sectors": sectors}))
    if investor.stages and need.round in investor.stages:
        out.append(FitReason("stage_fit", {"round": need.round, "stages": list(investor.stages)}))
    if (
        need.amount is not None
        and (investor.ticket_min is not None or investor.ticket_max is not None)
        and investor.currency == need.currency
        and ticket_fits(investor, need.amount, need.currency)
    ):
        out.append(
            FitReason(
                "ticket_fit",
                {
                    "amount": float(need.amount),
                    "currency": need.currency,
                    "min": float(investor.ticket_min) if investor.ticket_min is not None else None,
                    "max": float(investor.ticket_max) if investor.ticket_max is not None else None,
                    # No ask yet: the amount is the profile's stated need, and the reason says so.
                    "stated_need": not getattr(need, "from_ask", True),
                },
            )
        )
    if (
        need.instrument
        and offered_instruments(investor)
        and instrument_fits(investor, need.instrument)
    ):
        out.append(FitReason("instrument_fit", {"instrument": need.instrument}))
    guidance_fund = investor.type == InvestorType.GOVERNMENT_GUIDANCE_FUND
    if guidance_fund and investor.co_investment_requirements:
        out.append(
            FitReason(GUIDANCE_FUND_REASON, {"requirements": investor.co_investment_requirements})
        )
    if investor.type == InvestorType.BANK and investor.loan_products:
        out.append(FitReason(BANK_LOAN_REASON, {"products": investor.loan_products}))
    places = [r for r in [*investor.regions, investor.location] if r and r.strip()]
    if (startup.location or "").strip() and places and region_fits(places, startup.location):
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
