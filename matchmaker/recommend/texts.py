"""Plain profiles the engine ranks, and the texts they are embedded from.

The bridge (``services/recommendations.py``) maps ORM rows to these dataclasses; the engine never
sees the database. Field names and meanings are a contract: add fields with defaults, never rename.
Codes (sectors, stages, rounds, kinds, instruments, languages) are the codes of
``matchmaker.vocab``; free strings are accepted too (external data), they just get no label.

Each text builder has a ``TEMPLATE_VERSION``: bump it when the text changes so persisted vectors
built from the old template are detected as stale (see ``content_hash``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from matchmaker import vocab

STARTUP_TEMPLATE_VERSION = "startup-v1"
MENTOR_TEMPLATE_VERSION = "mentor-v1"
INVESTOR_TEMPLATE_VERSION = "investor-v1"
EQUIPMENT_TEMPLATE_VERSION = "equipment-v1"
PORTFOLIO_TEMPLATE_VERSION = "portfolio-v1"


@dataclass(frozen=True, slots=True)
class StartupProfile:
    """A startup and, optionally, its current funding ask (``ask_*``)."""

    id: int
    name: str
    one_liner: str = ""
    description: str = ""
    sectors: tuple[str, ...] = ()
    stage: str | None = None  # vocab.STAGES
    funding_round: str | None = None  # vocab.ROUNDS: last round raised
    location: str = ""
    team_size: int | None = None
    founded_year: int | None = None
    languages: tuple[str, ...] = ()  # vocab.LANGUAGES
    mentoring_topics: tuple[str, ...] = ()  # vocab.MENTORING_TOPICS the founders want help on
    services_needed: tuple[str, ...] = ()  # vocab.CHAIN_SERVICES
    ask_round: str | None = None  # vocab.ROUNDS: round being raised now
    ask_amount: float | None = None
    ask_currency: str | None = None  # vocab.CURRENCIES
    ask_instrument: str | None = None  # vocab.INSTRUMENTS
    active: bool = True


@dataclass(frozen=True, slots=True)
class MentorProfile:
    id: int
    name: str
    kind: str | None = None  # vocab.MENTOR_KINDS
    headline: str = ""
    expertise: str = ""  # free text: what they can help with
    topics: tuple[str, ...] = ()  # vocab.MENTORING_TOPICS
    sectors: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    organisation: str = ""
    location: str = ""
    capacity_per_month: int | None = None  # None: not stated, never "at capacity"
    sessions_this_month: int = 0
    accepting_requests: bool = True
    active: bool = True
    past_mentee_ids: tuple[int, ...] = ()  # startup ids, oldest first
    # When each mentoring relation started, parallel to past_mentee_ids (may be empty or shorter):
    # recent mentoring counts more than old mentoring.
    past_mentee_dates: tuple[date | None, ...] = ()
    # Founders' ratings of their sessions (1-5): how many, and their mean (None without one).
    # Not part of the profile's text: a new rating re-scores, it does not re-embed.
    rating_count: int = 0
    rating_mean: float | None = None

    @property
    def capacity_left(self) -> int | None:
        if self.capacity_per_month is None:
            return None
        return max(0, self.capacity_per_month - self.sessions_this_month)


@dataclass(frozen=True, slots=True)
class PortfolioCompany:
    """A company an investor backed, often one that is not on the platform: ``company`` and
    ``description`` are its own words; ``startup_id`` links it to a platform startup if known."""

    company: str
    description: str = ""
    sectors: tuple[str, ...] = ()
    round: str | None = None
    year: int | None = None
    startup_id: int | None = None
    date: date | None = None  # more precise than ``year`` when known; recency uses it


@dataclass(frozen=True, slots=True)
class InvestorProfile:
    id: int
    name: str
    type: str | None = None  # vocab.INVESTOR_TYPES
    thesis: str = ""
    sectors: tuple[str, ...] = ()  # stated preference; empty = not stated
    stages: tuple[str, ...] = ()  # vocab.ROUNDS they invest in; empty = not stated
    ticket_min: float | None = None
    ticket_max: float | None = None
    currency: str | None = None
    instruments: tuple[str, ...] = ()  # empty = not stated
    regions: tuple[str, ...] = ()  # locations they invest in; empty = anywhere
    languages: tuple[str, ...] = ()
    portfolio: tuple[PortfolioCompany, ...] = ()
    active: bool = True


@dataclass(frozen=True, slots=True)
class EquipmentProfile:
    id: int
    name: str
    category: str | None = None  # vocab.EQUIPMENT_CATEGORIES
    model: str = ""
    description: str = ""
    facility_name: str = ""
    facility_id: int | None = None
    location: str = ""
    price_per_hour: float | None = None
    voucher_eligible: bool = False  # 创新券 can pay for it
    training_required: bool = False
    active: bool = True
    free_hours_next_14d: float | None = None  # None: unknown
    keywords: tuple[str, ...] = field(default_factory=tuple)  # e.g. test methods, materials


def _labels(vocabulary: vocab.Labels, codes: tuple[str, ...] | list[str]) -> str:
    # Both languages, so an English query and a Chinese query both meet the label.
    parts = []
    for code in codes:
        pair = vocabulary.get(code)
        parts.append(f"{pair[0]} {pair[1]}" if pair else code)
    return ", ".join(parts)


def _one(vocabulary: vocab.Labels, code: str | None) -> str:
    return _labels(vocabulary, [code]) if code else ""


def _join(*parts: str) -> str:
    return ". ".join(p.strip() for p in parts if p and p.strip())


def startup_text(p: StartupProfile) -> str:
    """What a startup *is*: used for its embedding and lexical row (not its ask terms)."""
    return _join(
        p.name,
        p.one_liner,
        p.description,
        _labels(vocab.SECTORS, p.sectors),
        _labels(vocab.MENTORING_TOPICS, p.mentoring_topics),
        _labels(vocab.CHAIN_SERVICES, p.services_needed),
    )


def startup_own_words(p: StartupProfile) -> str:
    """What the founders wrote about the startup (where they name backers and mentors)."""
    return "\n".join(t for t in (p.one_liner, p.description) if t)


def mentor_text(p: MentorProfile) -> str:
    return _join(
        p.name,
        _one(vocab.MENTOR_KINDS, p.kind),
        p.headline,
        p.expertise,
        _labels(vocab.MENTORING_TOPICS, p.topics),
        _labels(vocab.SECTORS, p.sectors),
        p.organisation,
    )


def investor_text(p: InvestorProfile) -> str:
    # Portfolio companies are not in the text: they are compared one by one (features.py), which
    # keeps a big portfolio from drowning the thesis.
    return _join(
        p.name,
        _one(vocab.INVESTOR_TYPES, p.type),
        p.thesis,
        _labels(vocab.SECTORS, p.sectors),
    )


def equipment_text(p: EquipmentProfile) -> str:
    return _join(
        p.name,
        p.model,
        _one(vocab.EQUIPMENT_CATEGORIES, p.category),
        p.description,
        ", ".join(p.keywords),
        p.facility_name,
    )


def portfolio_entry_text(e: PortfolioCompany) -> str:
    return _join(e.company, e.description, _labels(vocab.SECTORS, e.sectors))


def content_hash(text: str, model_id: str, template_version: str) -> str:
    """sha256 of what determines a vector: same hash, same vector, so no re-embedding."""
    h = hashlib.sha256()
    for part in (model_id, template_version, text):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


_PHRASE_BREAK = re.compile(r"[。；;！!？?\n,，、:：()（）]|(?<=[a-z])\.\s")
MAX_PHRASES = 8


def profile_phrases(p: Any) -> list[str]:
    """Short phrases a person wrote about the profile (name of an instrument, a mentor's headline,
    clauses of a description), for saying which part of it is close in meaning to a need."""
    if isinstance(p, EquipmentProfile):
        parts = [p.name, p.description, ", ".join(p.keywords)]
    elif isinstance(p, MentorProfile):
        parts = [p.headline, p.expertise]
    elif isinstance(p, InvestorProfile):
        parts = [p.thesis]
    elif isinstance(p, StartupProfile):
        parts = [p.one_liner, p.description]
    else:
        return []
    out: list[str] = []
    for part in parts:
        for piece in _PHRASE_BREAK.split(part or ""):
            piece = piece.strip(" .-")
            if 2 <= len(piece) <= 60 and piece not in out:
                out.append(piece)
            if len(out) >= MAX_PHRASES:
                return out
    return out
