"""The incubation-chain pathway: where a startup stands (idea -> prototype -> testing -> pilot
production -> market, and its funding round); ``pathway_steps`` gives the next steps it needs
and for each step the engine's best mentor, equipment, investor or policy with reasons.

Operators also see which startups are stuck: no activity for ``stuck_days`` days, or open needs
(services wanted, an open funding ask) that nothing on the platform has answered yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Equipment,
    Facility,
    FundingAsk,
    MatchOutcome,
    Startup,
    utcnow,
)
from matchmaker.models.bookings import EquipmentBooking
from matchmaker.models.funding import Introduction, Pitch
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.operator import SupportRecord
from matchmaker.services.errors import Forbidden, NotFound
from matchmaker.services.operator.policy_center import policies

DEFAULT_STUCK_DAYS = 60


@dataclass(frozen=True)
class ChainStep:
    code: str
    label: Any  # lazy text
    service: str  # CHAIN_SERVICES code this step needs
    topics: tuple[str, ...]  # MENTORING_TOPICS that help with it
    category: str | None  # EQUIPMENT_CATEGORIES code that serves it


CHAIN: tuple[ChainStep, ...] = (
    ChainStep("idea", _l("Idea and design"), "design", ("product", "strategy"), "design"),
    ChainStep(
        "prototype", _l("Prototype"), "prototyping", ("technology", "product"), "prototyping"
    ),
    ChainStep(
        "testing", _l("Inspection and testing"), "testing", ("technology", "legal_ip"), "testing"
    ),
    ChainStep(
        "pilot_production",
        _l("Pilot production"),
        "pilot_production",
        ("operations", "technology"),
        "pilot_production",
    ),
    ChainStep("market", _l("Market"), "promotion", ("marketing", "fundraising"), None),
)
STEP_INDEX = {s.code: i for i, s in enumerate(CHAIN)}
_STAGE_TO_STEP = {"idea": 0, "prototype": 1, "pilot": 3, "market": 4}


def position(startup: Startup) -> int:
    """Index in CHAIN. A prototype-stage startup that needs testing but no more prototyping
    stands at the testing step."""
    index = _STAGE_TO_STEP.get(startup.stage, 0)
    needs = set(startup.services_needed)
    if index == 1 and "testing" in needs and "prototyping" not in needs:
        index = 2
    return index


# --- activity and stuck startups -------------------------------------------------------------

# ``source(startup_ids)`` gives ``_latest`` selects (a page reads every source in one statement:
# the query count must not grow with the sources); ``ACTIVITY_SOURCES`` below lists them.
# ``startup_ids`` is the statement's bound list of ids (``_facts_statement``): the statement is
# built once per process, not on every page.
StartupIds = sa.BindParameter[Any]
ActivitySource = Callable[[StartupIds], Iterable["sa.Select[Any]"]]


# Every fact the pathway and the stuck list need is one row of one UNION ALL:
# (what, startup id, category, time), the columns a kind of row does not use NULL.
def _fact(
    what: str,
    startup_id: Any = None,
    category: Any = None,
    at: Any = None,
) -> list[Any]:
    return [
        sa.literal_column(f"'{what}'", sa.String).label("what"),
        (startup_id if startup_id is not None else sa.cast(sa.null(), sa.Integer)).label(
            "startup_id"
        ),
        (category if category is not None else sa.cast(sa.null(), sa.String)).label("category"),
        (at if at is not None else sa.cast(sa.null(), sa.DateTime)).label("at"),
    ]


def _latest(column: Any, key: Any, ids: StartupIds) -> sa.Select[Any]:
    """The latest ``column`` per startup ``key``: an activity fact."""
    return (
        sa.select(*_fact("activity", startup_id=key, at=sa.func.max(column)))
        .where(key.in_(ids))
        .group_by(key)
    )


def _outcome_activity(ids: StartupIds) -> list[sa.Select[Any]]:
    return [_latest(MatchOutcome.created_at, MatchOutcome.startup_id, ids)]


def _support_activity(ids: StartupIds) -> list[sa.Select[Any]]:
    return [_latest(SupportRecord.created_at, SupportRecord.startup_id, ids)]


def _area_activity(ids: StartupIds) -> list[sa.Select[Any]]:
    return [
        _latest(model.updated_at, model.startup_id, ids)
        for model in (MentorSession, Pitch, Introduction, EquipmentBooking)
    ]


ACTIVITY_SOURCES: tuple[ActivitySource, ...] = (
    _outcome_activity,
    _support_activity,
    _area_activity,
)


def _activity_facts(ids: StartupIds) -> list[sa.Select[Any]]:
    parts = [_latest(Startup.updated_at, Startup.id, ids)]  # first: it types the union's columns
    for source in ACTIVITY_SOURCES:
        parts.extend(source(ids))
    return parts


def _stuck_facts(ids: StartupIds) -> list[sa.Select[Any]]:
    """Categories some active instrument serves, open asks, asks an investor answered."""
    # One EXISTS per category the chain needs, not DISTINCT over every instrument: each stops
    # at the first active one (at 100,000 instruments the DISTINCT took 60 ms per pathway).
    served = [
        sa.select(*_fact("category", category=sa.literal(category, sa.String))).where(
            sa.exists().where(
                Equipment.category == category,
                Equipment.is_active,
                Equipment.facility_id == Facility.id,
                Facility.is_active,
            )
        )
        for category in sorted({step.category for step in CHAIN if step.category})
    ]
    parts = [
        *served,
        sa.select(*_fact("ask", startup_id=FundingAsk.startup_id)).where(
            FundingAsk.is_open, FundingAsk.startup_id.in_(ids)
        ),
        sa.select(*_fact("answered", startup_id=MatchOutcome.startup_id)).where(
            MatchOutcome.candidate_kind == "investor", MatchOutcome.startup_id.in_(ids)
        ),
    ]
    # a pitch or an introduction is an investor's answer to the startup
    for model in (Pitch, Introduction):
        parts.append(
            sa.select(*_fact("answered", startup_id=model.startup_id)).where(
                model.startup_id.in_(ids)
            )
        )
    return parts


@dataclass
class _Facts:
    activity: dict[int, datetime] = field(default_factory=dict)
    categories: set[str] = field(default_factory=set)
    open_asks: set[int] = field(default_factory=set)
    answered: set[int] = field(default_factory=set)


@lru_cache(maxsize=2)
def _facts_statement(stuck: bool) -> sa.CompoundSelect[Any]:
    """Every activity fact (and with ``stuck`` every stuck fact) of the startups bound as
    ``startup_ids``, as one UNION ALL; built once per process (building it and its cache key
    cost more than running it)."""
    ids: StartupIds = sa.bindparam("startup_ids", expanding=True)
    return sa.union_all(*_activity_facts(ids), *(_stuck_facts(ids) if stuck else []))


def _read_facts(session: Session, ids: Sequence[int], *, stuck: bool) -> _Facts:
    facts = _Facts()
    if not ids:
        return facts
    for what, startup_id, category, at in session.execute(
        _facts_statement(stuck), {"startup_ids": list(ids)}
    ):
        if what == "activity" and at is not None:
            key = int(startup_id)
            facts.activity[key] = max(facts.activity.get(key, at), at)
        elif what == "category":
            facts.categories.add(category)
        elif what == "ask":
            facts.open_asks.add(int(startup_id))
        elif what == "answered":
            facts.answered.add(int(startup_id))
    return facts


def last_activity(session: Session, ids: Sequence[int]) -> dict[int, datetime]:
    """Latest of the profile's own edits and every registered activity source, per startup,
    in one statement."""
    return _read_facts(session, ids, stuck=False).activity


def stuck_reasons_for(
    session: Session,
    startups: Iterable[Startup],
    *,
    stuck_days: int = DEFAULT_STUCK_DAYS,
    now: datetime | None = None,
    locale: str | None = None,
) -> dict[int, list[Any]]:
    """Why each startup is stuck (empty list: it is not): no activity for ``stuck_days`` days,
    a needed service no active instrument serves, an open funding ask nobody has answered."""
    return activity_and_stuck(session, startups, stuck_days=stuck_days, now=now, locale=locale)[1]


def activity_and_stuck(
    session: Session,
    startups: Iterable[Startup],
    *,
    stuck_days: int = DEFAULT_STUCK_DAYS,
    now: datetime | None = None,
    locale: str | None = None,
) -> tuple[dict[int, datetime], dict[int, list[Any]]]:
    """``last_activity`` and ``stuck_reasons_for`` of the startups, read in one statement."""
    now = now or utcnow()
    startups = list(startups)
    facts = _read_facts(session, [s.id for s in startups], stuck=True)
    cutoff = now - timedelta(days=stuck_days)
    out: dict[int, list[Any]] = {}
    for s in startups:
        reasons: list[Any] = []
        seen = facts.activity.get(s.id)
        if seen is None or seen < cutoff:
            reasons.append(_l("No activity for %(n)d days.", n=stuck_days))
        for need in s.services_needed:
            step = next((st for st in CHAIN if st.service == need and st.category), None)
            if step is not None and step.category not in facts.categories:
                service = vocab.label(vocab.CHAIN_SERVICES, need, locale)
                reasons.append(
                    _l("Needs %(service)s but no instrument offers it.", service=service)
                )
        if s.id in facts.open_asks and s.id not in facts.answered:
            reasons.append(_l("Open funding ask without any investor contact."))
        out[s.id] = reasons
    return facts.activity, out


@dataclass
class PathwayRow:
    startup: Startup
    position: int
    last_activity: datetime | None
    stuck_reasons: list[Any]

    @property
    def step(self) -> ChainStep:
        return CHAIN[self.position]


def overview(
    session: Session,
    *,
    stuck_only: bool = False,
    stuck_days: int = DEFAULT_STUCK_DAYS,
    locale: str | None = None,
) -> list[PathwayRow]:
    """Every active startup's position on the chain and whether it is stuck (operators)."""
    startups = list(
        session.scalars(sa.select(Startup).where(Startup.is_active).order_by(Startup.name))
    )
    activity, stuck = activity_and_stuck(session, startups, stuck_days=stuck_days, locale=locale)
    rows = [PathwayRow(s, position(s), activity.get(s.id), stuck[s.id]) for s in startups]
    if stuck_only:
        rows = [r for r in rows if r.stuck_reasons]
    return rows


# Built once, the startup bound when it runs (as ``asks.open_ask_and_pitches``).
_STARTUP_WITH_TEAM_AND_RESIDENCY = (
    sa.select(Startup)
    .where(Startup.id == sa.bindparam("startup_id"))
    .options(joinedload(Startup.members), policies.with_residency())
)


def startup_for_pathway(session: Session, actor: Any, startup_id: int) -> Startup:
    """The startup, if ``actor`` is on its team or an operator."""
    startup = session.scalar(_STARTUP_WITH_TEAM_AND_RESIDENCY, {"startup_id": startup_id})
    if startup is None:
        raise NotFound(_l("No such startup."))
    if not getattr(actor, "is_authenticated", False) or not (
        actor.is_operator or startup.has_member(actor)
    ):
        raise Forbidden(_l("Only the startup's team and operators can see its pathway."))
    return startup
