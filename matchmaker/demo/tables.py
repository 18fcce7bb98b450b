"""The demo's hand-written tables, read from ``data/*.json`` (shipped as package data).

Curated by hand so that names, facilities, investors and profiles read like real ones; the
generator combines them with a seeded random generator, never with a faker library. JSON has no
tuples: each table is given back in the shape the generator was written against (tuples, and
lists only where a column takes the list as it is), so loading from JSON changes no row.

- ``facilities.json``: eight shared facilities and their instruments (real models of the kind
  Chinese shared-instrument platforms list, typical hourly prices in CNY).
- ``investors.json``: the twenty investors, each in its own voice (a guidance fund's
  co-investment rules, a bank's loan products); amounts in CNY unless ``currency`` says otherwise.
  Every vocab.INVESTOR_TYPES code appears; ``person`` is the individual behind an angel.
- ``mentors.json``: phrase banks per vocab.MENTOR_KINDS (``{sector}`` is replaced by a sector
  label; ``topics`` are the vocab.MENTORING_TOPICS a kind usually covers), how many mentors of
  each kind, founders' universities, a technical expert's first expertise line by sector.
- ``names.json``: people (with pinyin for e-mail addresses), company brands,
  industry words and cities.
- ``startups_zh.json`` / ``startups_en.json``: ventures of four parts that belong together (see
  ``Venture``), one-liners of off-platform companies, a team sentence by founder background
  (``{org}``, ``{brand}``), stage-appropriate traction (``{n}``, ``{m}``), sector universities.
- ``startup_funds.json``: what the money is for, by kind of venture and how far it is, and
  the makerspace services each kind can use.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, NamedTuple, NotRequired, TypedDict

Venture = tuple[str, str, str, str]  # one-liner, problem, technology, customers
Phrases = dict[str, tuple[str, ...]]


class Instrument(NamedTuple):
    """One instrument of a facility (a row of ``equipment`` in facilities.json)."""

    name: str
    category: str
    model_specs: str
    description: str
    price_per_hour: int
    voucher_eligible: bool  # 创新券
    training_required: bool
    booking_mode: str


class FacilitySpec(TypedDict):
    name: str
    kind: str
    lang: str  # the language the facility's texts are written in
    description: str
    address: str
    location: str
    district: str
    opening_hours: str
    email: str
    equipment: tuple[Instrument, ...]


class InvestorSpec(TypedDict):
    name: str
    type: str
    lang: str  # the language the profile is written in
    thesis: str
    sectors: list[str]  # empty: every sector
    stages: list[str]
    ticket: tuple[int, int]  # smallest and largest ticket
    instruments: list[str]
    regions: list[str]
    location: str
    person: NotRequired[tuple[str, str]]  # an angel's name and e-mail local part
    website: NotRequired[str]
    loan_products: NotRequired[str]
    currency: NotRequired[str]
    co_investment_requirements: NotRequired[str]


def _read(name: str) -> Any:
    """The parsed content of ``data/<name>.json``."""
    text = resources.files(__package__).joinpath("data", f"{name}.json").read_text("utf-8")
    return json.loads(text)


def _tuples(value: Any) -> Any:
    """``value`` with every JSON array, at any depth, as a tuple (the phrase banks' shape)."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def _facility(raw: dict[str, Any]) -> FacilitySpec:
    equipment = tuple(Instrument(*row) for row in raw["equipment"])
    return FacilitySpec(**{**raw, "equipment": equipment})  # type: ignore[typeddict-item]


def _investor(raw: dict[str, Any]) -> InvestorSpec:
    pairs = {key: tuple(raw[key]) for key in ("person", "ticket") if key in raw}
    return InvestorSpec(**{**raw, **pairs})  # type: ignore[typeddict-item]


_mentors = _tuples(_read("mentors"))
_names = _tuples(_read("names"))
_zh = _tuples(_read("startups_zh"))
_en = _tuples(_read("startups_en"))
_funds = _tuples(_read("startup_funds"))

FACILITIES: tuple[FacilitySpec, ...] = tuple(_facility(raw) for raw in _read("facilities"))
INVESTORS: tuple[InvestorSpec, ...] = tuple(_investor(raw) for raw in _read("investors"))

# kind -> topics, headlines, bios and organisations (zh and en)
MENTOR_KIND_TEXT: dict[str, Phrases] = _mentors["mentor_kind_text"]
MENTOR_KIND_COUNTS: dict[str, int] = _mentors["mentor_kind_counts"]  # 40 mentors in all
ORGS_ZH: tuple[str, ...] = _mentors["orgs_zh"]  # universities and institutes founders come from
ORGS_EN: tuple[str, ...] = _mentors["orgs_en"]
SECTOR_EXPERTISE: dict[str, dict[str, str]] = _mentors["sector_expertise"]  # lang -> sector

SURNAMES: tuple[tuple[str, str], ...] = _names["surnames"]  # (汉字, pinyin), common ones first
GIVEN_NAMES: tuple[tuple[str, str], ...] = _names["given_names"]  # (汉字, pinyin)
# (language code, first names, last names) of the international people the makerspace hosts
INTERNATIONAL: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = _names["international"]
ZH_BRANDS: tuple[str, ...] = _names["zh_brands"]  # 澜锂 in 重庆澜锂新材料科技有限公司
EN_BRANDS: tuple[str, ...] = _names["en_brands"]
ZH_INDUSTRY_WORDS: Phrases = _names["zh_industry_words"]  # by sector
EN_INDUSTRY_WORDS: Phrases = _names["en_industry_words"]
CITIES: tuple[tuple[str, str], ...] = _names["cities"]  # (Chinese, English)

VENTURES_ZH: dict[str, tuple[Venture, ...]] = _zh["ventures"]  # by sector
EXTRA_OFFERS_ZH: Phrases = _zh["extra_offers"]  # off-platform companies, by sector
TEAM_ZH: Phrases = _zh["team"]  # by vocab.FOUNDER_BACKGROUNDS
TRACTION_ZH: Phrases = _zh["traction"]  # by stage
SECTOR_ORGS_ZH: Phrases = _zh["sector_orgs"]
VENTURES_EN: dict[str, tuple[Venture, ...]] = _en["ventures"]
EXTRA_OFFERS_EN: Phrases = _en["extra_offers"]
TEAM_EN: Phrases = _en["team"]
TRACTION_EN: Phrases = _en["traction"]

# kind -> "early" (idea/prototype) or "late" (pilot/market) -> (Chinese, English) sentences
USE_OF_FUNDS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = _funds["use_of_funds"]
KIND_SERVICES: Phrases = _funds["kind_services"]  # a subset of the stage's services
