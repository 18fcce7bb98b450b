"""The investors of ``tables.INVESTORS`` with their members and portfolios. Some portfolio entries
are startups on the platform (``startup_id``), so several investors share a startup and the
engine can see co-investment; the rest are companies off the platform."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from matchmaker.demo.context import days_before
from matchmaker.demo.people import Person
from matchmaker.demo.startups import Sequence
from matchmaker.demo.tables import (
    EN_INDUSTRY_WORDS,
    EXTRA_OFFERS_EN,
    EXTRA_OFFERS_ZH,
    INVESTORS,
    VENTURES_EN,
    VENTURES_ZH,
    ZH_INDUSTRY_WORDS,
    InvestorSpec,
)
from matchmaker.models import Investor, InvestorMember, PortfolioEntry, Startup, User

# The demo investor is a partner of this fund; its portfolio holds the demo founder's startup,
# and so does the second fund's (the demo startup has co-investors).
DEMO_FUND = "嘉陵创新创业投资基金"
DEMO_STARTUP_INVESTORS = (DEMO_FUND, "西部高校成果转化种子基金")

# Off-platform company brands: two characters / two syllables, as real ones are made.
ZH_FIRST = "瑞华恒博汇远智宏德优信启卓鼎正"
ZH_SECOND = "达创源峰联泰诚益航锐迈驰"
EN_FIRST = ("Blue", "North", "Silver", "Red", "Open", "True", "Bright", "Deep", "Clear", "Swift")
EN_SECOND = ("field", "stone", "wave", "path", "mark", "forge", "line", "point", "leaf", "peak")

TITLES = {
    "zh": {
        "bank": ("科技支行行长", "客户经理"),
        "government_guidance_fund": ("基金管理部总经理", "投资经理"),
        "crowdfunding": ("平台运营总监",),
        "*": ("合伙人", "投资总监", "投资经理"),
    },
    "en": {"bank": ("Relationship Manager",), "*": ("Partner", "Principal", "Investment Manager")},
}
LOANS_ZH = (
    "创业担保贷款15万元",
    "知识产权质押贷款300万元",
    "投贷联动信用贷款500万元",
    "科技型企业知识价值信用贷款200万元",
)
LOANS_EN = (
    "Science-and-technology credit loan, CNY 2 million",
    "Venture-debt facility, CNY 3 million",
)


def _off_platform_name(rng: random.Random, sector: str, english: bool, taken: set[str]) -> str:
    while True:
        if english:
            name = f"{rng.choice(EN_FIRST)}{rng.choice(EN_SECOND)} "
            name += rng.choice(EN_INDUSTRY_WORDS[sector])
        else:
            city = rng.choice(("重庆", "重庆", "成都", "西安", "贵阳", "武汉"))
            name = f"{city}{rng.choice(ZH_FIRST)}{rng.choice(ZH_SECOND)}"
            name += f"{rng.choice(ZH_INDUSTRY_WORDS[sector])}有限公司"
        if name not in taken:
            taken.add(name)
            return name


def build_investors(
    rng: random.Random,
    make_user: Callable[[Person, list[str]], User],
    people: Callable[[bool], Person],
    person_named: Callable[[str, str, bool], Person],
    demo_investor: User,
    startups: list[Startup],
    texts: Sequence,
) -> list[Investor]:
    """Investors, members and portfolios. ``startups`` must have ids (flushed)."""
    investors: list[Investor] = []
    taken = {s.name for s in startups}
    for j, spec in enumerate(INVESTORS):
        low, high = spec["ticket"]
        investor = Investor(
            name=spec["name"],
            type=spec["type"],
            thesis=spec["thesis"],
            sectors=spec["sectors"],
            stages=spec["stages"],
            ticket_min=Decimal(low),
            ticket_max=Decimal(high),
            currency=spec.get("currency", "CNY"),
            instruments=spec["instruments"],
            regions=spec["regions"],
            location=spec["location"],
            website=spec.get("website", ""),
            co_investment_requirements=spec.get("co_investment_requirements", ""),
            loan_products=spec.get("loan_products", ""),
            created_at=days_before(400 - j * 13),
            updated_at=days_before(rng.randint(3, 60)),
        )
        _add_members(rng, investor, spec, make_user, people, person_named, demo_investor)
        _add_portfolio(rng, investor, spec, startups, texts, taken)
        investors.append(investor)
    return investors


def _add_members(
    rng: random.Random,
    investor: Investor,
    spec: InvestorSpec,
    make_user: Callable[[Person, list[str]], User],
    people: Callable[[bool], Person],
    person_named: Callable[[str, str, bool], Person],
    demo_investor: User,
) -> None:
    english = spec["lang"] == "en"
    if "person" in spec:
        name, local = spec["person"]
        user = make_user(person_named(name, local, english), ["investor"])
        title = "Angel investor" if english else "天使投资人"
        investor.members.append(InvestorMember(user=user, title=title))
        return
    if spec["name"] == DEMO_FUND:
        investor.members.append(InvestorMember(user=demo_investor, title="管理合伙人"))
    titles = TITLES["en" if english else "zh"]
    choices = titles.get(spec["type"], titles["*"])
    for k in range(rng.randint(1, 2)):
        user = make_user(people(not english), ["investor"])
        investor.members.append(InvestorMember(user=user, title=choices[k % len(choices)]))


def _add_portfolio(
    rng: random.Random,
    investor: Investor,
    spec: InvestorSpec,
    startups: list[Startup],
    texts: Sequence,
    taken: set[str],
) -> None:
    english = spec["lang"] == "en"
    lender = spec["type"] == "bank"
    size = rng.randint(3, 8)
    eligible = [
        s
        for s in startups
        if s.funding_round != "none"
        and (lender or s.funding_round in spec["stages"])
        and (not spec["sectors"] or set(s.sectors) & set(spec["sectors"]))
    ]
    linked: list[Startup] = []
    if spec["name"] in DEMO_STARTUP_INVESTORS:
        linked.append(startups[0])
    others = [s for s in eligible if s not in linked]
    linked += rng.sample(others, k=min(len(others), rng.randint(1, 3), size - len(linked)))
    for startup in linked:
        founded = startup.founded_on.year if startup.founded_on else 2024
        year = max(founded, 2026 - rng.randint(0, 2))
        investor.portfolio.append(
            PortfolioEntry(
                company=startup.name,
                description=rng.choice(LOANS_EN if english else LOANS_ZH)
                if lender
                else startup.one_liner,
                sector=startup.sectors[0],
                round="" if lender else startup.funding_round,
                year=year,
                startup_id=startup.id,
                created_at=days_before(rng.randint(30, 300)),
                updated_at=days_before(rng.randint(1, 29)),
            )
        )
    sectors = spec["sectors"] or ["advanced_manufacturing", "electronic_information", "internet"]
    rounds = [r for r in spec["stages"] if r != "none"] or ["seed"]
    for _ in range(size - len(linked)):
        sector = rng.choice(sectors)
        extra, ventures = (
            (EXTRA_OFFERS_EN, VENTURES_EN) if english else (EXTRA_OFFERS_ZH, VENTURES_ZH)
        )
        offers = (*extra[sector], *(v[0] for v in ventures[sector]))
        offer = texts.take(("en" if english else "zh", sector, "offers"), offers)
        investor.portfolio.append(
            PortfolioEntry(
                company=_off_platform_name(rng, sector, english, taken),
                description=f"{offer}；{rng.choice(LOANS_ZH)}" if lender and not english else offer,
                sector=sector,
                round="" if lender else rng.choice(rounds),
                year=rng.randint(2018, 2026),
                created_at=days_before(rng.randint(30, 600)),
                updated_at=days_before(rng.randint(1, 29)),
            )
        )
