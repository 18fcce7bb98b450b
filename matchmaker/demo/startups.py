"""Sixty-odd startups with their teams and funding asks, composed from the phrase banks."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from matchmaker import vocab
from matchmaker.demo.context import ANCHOR, days_before
from matchmaker.demo.people import Person
from matchmaker.demo.startup_funds import venture_kind
from matchmaker.demo.tables import (
    CITIES,
    EN_BRANDS,
    EN_INDUSTRY_WORDS,
    KIND_SERVICES,
    ORGS_EN,
    SECTOR_ORGS_ZH,
    TEAM_EN,
    TEAM_ZH,
    TRACTION_EN,
    TRACTION_ZH,
    USE_OF_FUNDS,
    VENTURES_EN,
    VENTURES_ZH,
    ZH_BRANDS,
    ZH_INDUSTRY_WORDS,
)
from matchmaker.models import FundingAsk, Startup, StartupMember, User
from matchmaker.models.users import Role

STARTUP_COUNT = 62  # of 65 ventures: 3 Chinese and 2 English per sector
WAN = 10_000

# (stage, round) pairs that go together; the first startups take each once, so every stage
# and every round is present, then the rest follow the weights.
STAGE_ROUNDS: tuple[tuple[str, str, int], ...] = (
    ("idea", "none", 8),
    ("idea", "seed", 3),
    ("prototype", "none", 3),
    ("prototype", "seed", 6),
    ("prototype", "angel", 5),
    ("pilot", "angel", 5),
    ("pilot", "pre_a", 4),
    ("pilot", "a", 2),
    ("market", "pre_a", 2),
    ("market", "a", 3),
    ("market", "b_plus", 2),
)
# Sectors that often go together in one company.
RELATED: dict[str, tuple[str, ...]] = {
    "electronic_information": ("internet", "advanced_manufacturing"),
    "biotechnology": ("medicine_health", "modern_agriculture"),
    "modern_agriculture": ("biotechnology", "internet"),
    "high_end_equipment": ("advanced_manufacturing", "electronic_information"),
    "new_energy": ("new_materials", "energy_saving_environment"),
    "new_materials": ("new_energy", "advanced_manufacturing"),
    "energy_saving_environment": ("new_energy", "internet"),
    "medicine_health": ("big_health", "biotechnology"),
    "cultural_creative": ("internet", "modern_services"),
    "modern_services": ("internet",),
    "advanced_manufacturing": ("high_end_equipment", "new_materials"),
    "internet": ("modern_services", "big_health"),
    "big_health": ("medicine_health", "internet"),
}
STAGE_SERVICES: dict[str, tuple[str, ...]] = {
    "idea": ("design", "ip_patents", "prototyping"),
    "prototype": ("prototyping", "testing", "design", "ip_patents"),
    "pilot": ("pilot_production", "testing", "ip_patents", "promotion"),
    "market": ("promotion", "pilot_production", "ip_patents"),
}
STAGE_TOPICS: dict[str, tuple[str, ...]] = {
    "idea": ("strategy", "product", "legal_ip", "policy", "technology"),
    "prototype": ("technology", "product", "fundraising", "legal_ip", "policy"),
    "pilot": ("operations", "fundraising", "marketing", "finance", "hiring"),
    "market": ("marketing", "hiring", "finance", "fundraising", "strategy"),
}
STAGE_MONTHS: dict[str, tuple[int, int]] = {
    "idea": (1, 8),
    "prototype": (6, 24),
    "pilot": (14, 42),
    "market": (30, 84),
}
STAGE_TEAM: dict[str, tuple[int, int]] = {
    "idea": (2, 4),
    "prototype": (3, 10),
    "pilot": (6, 25),
    "market": (15, 80),
}
NEXT_ROUND = {
    "none": "seed",
    "seed": "angel",
    "angel": "pre_a",
    "pre_a": "a",
    "a": "b_plus",
    "b_plus": "b_plus",
}
# Typical amounts asked per round, in 万元 (CNY 10,000).
ASK_WAN: dict[str, tuple[int, int]] = {
    "seed": (50, 300),
    "angel": (200, 800),
    "pre_a": (800, 2000),
    "a": (2000, 6000),
    "b_plus": (8000, 30000),
}
ZH_BACKGROUNDS = (
    ("researcher_on_leave", 6),
    ("university_student", 5),
    ("returnee", 4),
    ("corporate_spinoff", 4),
    ("veteran", 1),
    ("hk_macao_taiwan", 1),
)
ZH_TITLES = ("联合创始人兼CTO", "联合创始人兼COO", "联合创始人、市场总监", "研发负责人")
EN_TITLES = ("Co-founder & CTO", "Co-founder & COO", "Head of Engineering")


def _use_of_funds(rng: random.Random, startup: Startup, english: bool, stage: str) -> str:
    # One draw from the generator, as before, so every later choice of the dataset stays put.
    draw = rng.randrange(4 if not english else 3)
    kind = venture_kind(startup.sectors[0], startup.one_liner)
    zh, en = USE_OF_FUNDS[kind]["early" if stage in ("idea", "prototype") else "late"]
    bank = en if english else zh
    return bank[draw % len(bank)]


def _services(picked: list[str], kind: str, stage: str) -> list[str]:
    allowed = KIND_SERVICES.get(kind)
    if allowed is None:
        return picked
    kept = [s for s in picked if s in allowed]
    return kept or [next((s for s in STAGE_SERVICES[stage] if s in allowed), allowed[0])]


class Sequence:
    """Takes items from a bank in a shuffled order, reshuffling only when all were used, so
    neighbours in the dataset do not share sentences."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._queues: dict[tuple[str, ...], list[str]] = {}

    def take(self, key: tuple[str, ...], bank: tuple[str, ...]) -> str:
        queue = self._queues.get(key)
        if not queue:
            queue = list(bank)
            self.rng.shuffle(queue)
            self._queues[key] = queue
        return queue.pop()


@dataclass
class StartupSet:
    startups: list[Startup] = field(default_factory=list)
    english: set[int] = field(default_factory=set)  # positions of English-language startups
    leads: list[User] = field(default_factory=list)
    asks: list[FundingAsk] = field(default_factory=list)


def _fill(text: str, rng: random.Random, brand: str) -> str:
    return text.format(brand=brand, n=rng.randint(2, 6), m=rng.randint(8, 30))


@dataclass
class _Founding:
    """Who founds one startup and in which words it is told (English or Chinese banks)."""

    background: str
    brand: str
    name: str
    lead_person: Person
    lead: User
    team_bank: dict[str, tuple[str, ...]]
    traction_bank: dict[str, tuple[str, ...]]
    org: str


def _venture_slots(rng: random.Random) -> list[tuple[str, str, int]]:
    """(sector, language, venture index) of each startup: a different venture of its sector
    each. The demo founder's company comes first: 澜锂, coated high-nickel cathodes (new
    materials)."""
    slots = [
        (sector, lang, k)
        for sector in vocab.SECTORS
        for lang, ventures in (("zh", VENTURES_ZH), ("en", VENTURES_EN))
        for k in range(len(ventures[sector]))
    ]
    slots.remove(("new_materials", "zh", 0))
    rng.shuffle(slots)
    return [("new_materials", "zh", 0), *slots[: STARTUP_COUNT - 1]]


def _stage_round(rng: random.Random, i: int) -> tuple[str, str]:
    if i == 0:
        return "pilot", "angel"  # the demo founder's company, after an angel round
    combos = [(s, r) for s, r, _ in STAGE_ROUNDS]
    if i <= len(combos):
        return combos[i - 1]
    return rng.choices(combos, [w for _, _, w in STAGE_ROUNDS])[0]


def _english_founding(
    rng: random.Random,
    sector: str,
    en_brands: list[str],
    make_user: Callable[[Person, list[str]], User],
    people: Callable[[bool], Person],
) -> _Founding:
    background = rng.choice(("foreign_talent", "foreign_talent", "corporate_spinoff"))
    brand = en_brands.pop()
    name = f"{brand} {rng.choice(EN_INDUSTRY_WORDS[sector])}"
    lead_person = people(False)
    lead = make_user(lead_person, [Role.FOUNDER])
    return _Founding(
        background, brand, name, lead_person, lead, TEAM_EN, TRACTION_EN, rng.choice(ORGS_EN)
    )


def _chinese_founding(
    rng: random.Random,
    i: int,
    sector: str,
    stage_round: tuple[str, str],
    city_zh: str,
    zh_brands: list[str],
    make_user: Callable[[Person, list[str]], User],
    people: Callable[[bool], Person],
    demo_founder: tuple[Person, User],
) -> _Founding:
    background = rng.choices(*zip(*ZH_BACKGROUNDS, strict=True))[0]
    brand = "澜锂" if i == 0 else zh_brands.pop()
    city = "成都" if "成都" in city_zh else "西安" if "西安" in city_zh else "重庆"
    words = ZH_INDUSTRY_WORDS[sector]
    industry = words[0] if i == 0 else rng.choice(words)
    name = f"{city}{brand}{industry}有限公司"
    if stage_round == ("idea", "none"):
        name += "（筹）"  # not yet incorporated
    lead_person = demo_founder[0] if i == 0 else people(True)
    lead = demo_founder[1] if i == 0 else make_user(lead_person, [Role.FOUNDER])
    org = rng.choice(SECTOR_ORGS_ZH[sector])
    return _Founding(background, brand, name, lead_person, lead, TEAM_ZH, TRACTION_ZH, org)


def _startup(
    rng: random.Random,
    i: int,
    sector: str,
    venture: tuple[str, str, str, str],
    stage_round: tuple[str, str],
    city: tuple[str, str],
    founding: _Founding,
    english: bool,
) -> tuple[Startup, str]:
    """The startup (no members yet) and its traction sentence, which its funding ask reuses."""
    offer, problem, tech, customers = venture
    stage, round_ = stage_round
    brand = founding.brand
    team_lines = founding.team_bank[founding.background]
    team_line = team_lines[0 if i == 0 else rng.randrange(len(team_lines))]
    traction = _fill(rng.choice(founding.traction_bank[stage]), rng, brand)
    parts = (team_line.format(brand=brand, org=founding.org), problem, tech, customers, traction)
    months = rng.randint(*STAGE_MONTHS[stage])
    founded = ANCHOR - timedelta(days=30 * months + rng.randint(0, 25))
    team_size = rng.randint(*STAGE_TEAM[stage])
    startup = Startup(
        name=founding.name,
        one_liner=offer,
        description=(" " if english else "").join(parts),
        sectors=[sector] + ([rng.choice(RELATED[sector])] if rng.random() < 0.4 else []),
        stage=stage,
        funding_round=round_,
        location=city[1] if english else city[0],
        team_size=team_size,
        founded_on=founded,
        founder_backgrounds=[founding.background],
        languages=list(founding.lead_person.languages),
        mentoring_topics=rng.sample(STAGE_TOPICS[stage], k=rng.randint(2, 3)),
        services_needed=_services(
            rng.sample(STAGE_SERVICES[stage], k=rng.randint(1, 3)),
            venture_kind(sector, offer),
            stage,
        ),
        website=(f"https://{brand.lower().replace(' ', '')}.example.com" if english else ""),
        created_at=days_before(min(months * 30, rng.randint(20, 600))),
        updated_at=days_before(rng.randint(1, 20)),
    )
    return startup, traction


def _add_team(
    rng: random.Random,
    startup: Startup,
    lead: User,
    english: bool,
    make_user: Callable[[Person, list[str]], User],
    people: Callable[[bool], Person],
) -> None:
    startup.members.append(
        StartupMember(user=lead, title="Founder & CEO" if english else "创始人兼CEO")
    )
    for _ in range(0 if startup.team_size < 3 else rng.choice((0, 1, 1, 2))):
        cofounder = make_user(people(not english), [Role.FOUNDER])
        titles = EN_TITLES if english else ZH_TITLES
        startup.members.append(StartupMember(user=cofounder, title=rng.choice(titles)))


def build_startups(
    rng: random.Random,
    make_user: Callable[[Person, list[str]], User],
    people: Callable[[bool], Person],
    demo_founder: tuple[Person, User],
) -> StartupSet:
    """Startups, their members (new founder accounts) and funding asks; nothing is flushed.

    Every draw from ``rng`` happens in a fixed order (the helpers are called in the order the
    values were once drawn in one loop), so the same seed gives the same dataset."""
    result = StartupSet()
    zh_brands = [b for b in ZH_BRANDS if b != "澜锂"]
    en_brands = list(EN_BRANDS)
    rng.shuffle(zh_brands)
    rng.shuffle(en_brands)
    for i, (sector, lang, k) in enumerate(_venture_slots(rng)):
        english = lang == "en"
        stage_round = _stage_round(rng, i)
        venture = (VENTURES_EN if english else VENTURES_ZH)[sector][k]
        city = CITIES[0] if i == 0 else rng.choice(CITIES)
        founding = (
            _english_founding(rng, sector, en_brands, make_user, people)
            if english
            else _chinese_founding(
                rng, i, sector, stage_round, city[0], zh_brands, make_user, people, demo_founder
            )
        )
        startup, traction = _startup(rng, i, sector, venture, stage_round, city, founding, english)
        _add_team(rng, startup, founding.lead, english, make_user, people)
        result.startups.append(startup)
        result.leads.append(founding.lead)
        if english:
            result.english.add(i)
        if i == 0 or rng.random() < 0.5:
            ask = _funding_ask(rng, startup, english, traction)
            result.asks.append(ask)
            startup.funding_need_amount = ask.amount
            startup.funding_need_note = ask.use_of_funds
        if stage_round[1] not in ("none", "seed") and rng.random() < 0.2:
            result.asks.append(_past_ask(rng, startup, english))
    return result


def _funding_ask(rng: random.Random, startup: Startup, english: bool, traction: str) -> FundingAsk:
    round_ = NEXT_ROUND[startup.funding_round]
    low, high = ASK_WAN[round_]
    amount = rng.randrange(low, high + 1, 10 if high <= 1000 else 100) * WAN
    instrument = "equity"
    if startup.funding_round == "none" and not english:
        # Before any equity round, Chongqing founders typically combine a startup-guarantee
        # loan (创业担保贷款, up to 150,000) or a startup subsidy with crowdfunding.
        instrument = rng.choice(("debt", "grant", "equity", "crowdfunding"))
        if instrument == "debt":
            amount = 15 * WAN
        elif instrument == "grant":
            amount = 5 * WAN
    elif round_ in ("seed", "angel") and rng.random() < 0.3:
        instrument = "convertible"
    elif round_ in ("a", "b_plus") and rng.random() < 0.3:
        instrument = "equity_debt"
    return FundingAsk(
        startup=startup,
        round=round_,
        amount=Decimal(amount),
        currency="CNY",
        instrument=instrument,
        use_of_funds=_use_of_funds(rng, startup, english, startup.stage),
        traction=traction,
        is_open=True,
        created_at=days_before(rng.randint(5, 90)),
        updated_at=days_before(rng.randint(1, 5)),
    )


def _past_ask(rng: random.Random, startup: Startup, english: bool) -> FundingAsk:
    """The round the startup closed last (kept as history, no longer open)."""
    low, high = ASK_WAN[startup.funding_round]
    amount = rng.randrange(low, high + 1, 10 if high <= 1000 else 100) * WAN
    return FundingAsk(
        startup=startup,
        round=startup.funding_round,
        amount=Decimal(amount),
        currency="CNY",
        instrument="equity",
        use_of_funds=_use_of_funds(rng, startup, english, startup.stage),
        traction="",
        is_open=False,
        created_at=days_before(rng.randint(200, 500)),
        updated_at=days_before(rng.randint(100, 199)),
    )
