"""The incubation-chain pathway: where a startup stands (idea -> prototype -> testing -> pilot
production -> market, and its funding round), the next steps it needs, and for each step the
engine's best mentor, equipment, investor or policy with reasons.

Operators also see which startups are stuck: no activity for ``stuck_days`` days, or open needs
(services wanted, an open funding ask) that nothing on the platform has answered yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Equipment,
    Facility,
    FundingAsk,
    MatchOutcome,
    MentorProfile,
    Startup,
    User,
    utcnow,
)
from matchmaker.models.operator import SupportRecord
from matchmaker.services.errors import Forbidden, NotFound
from matchmaker.services.funding import asks
from matchmaker.services.funding.matching import next_round
from matchmaker.services.operator.monitoring import sources
from matchmaker.services.operator.policy_center import policies as policy_service

log = logging.getLogger(__name__)

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


# --- recommendations per step ---------------------------------------------------------------


@dataclass
class Suggestion:
    kind: str  # mentor / investor / equipment / policy
    id: int
    name: str
    score: float
    reasons: list[Any] = field(default_factory=list)  # Reason objects or lazy texts
    entity: Any = None


@dataclass
class PathwayStep:
    step: ChainStep
    status: str  # done / current / next / later
    needed: bool  # the startup asks for this step's service
    mentor: Suggestion | None = None
    equipment: Suggestion | None = None
    policy: Suggestion | None = None


@dataclass
class Pathway:
    startup: Startup
    position: int
    steps: list[PathwayStep]
    next_round: str | None
    investor: Suggestion | None
    open_ask: FundingAsk | None
    eligibility: list[policy_service.Eligibility]
    last_activity: datetime | None
    stuck_reasons: list[Any]
    engine_used: bool

    @property
    def current(self) -> ChainStep:
        return CHAIN[self.position]

    @property
    def eligible_policies(self) -> list[policy_service.Eligibility]:
        return [e for e in self.eligibility if e.eligible]

    @property
    def other_policies(self) -> list[policy_service.Eligibility]:
        return [e for e in self.eligibility if not e.eligible]


def _engine_matches(call: Callable[[], list[Any]]) -> list[Any] | None:
    """The bridge's matches, or None when the engine cannot answer (no index, no model)."""
    try:
        return call()
    except Exception:  # the pathway still shows the chain when the engine is unavailable
        log.warning("recommendation engine unavailable for the pathway", exc_info=True)
        return None


def _from_match(m: Any) -> Suggestion:
    entity = m.entity
    name = getattr(entity, "name", "") or str(m.id)
    return Suggestion(m.kind, m.id, name, float(m.score), list(m.reasons), entity)


def _fallback_mentors(session: Session, startup: Startup) -> list[Suggestion]:
    rows = session.scalars(
        sa.select(MentorProfile)
        .join(User, MentorProfile.user_id == User.id)
        .where(MentorProfile.is_active, MentorProfile.accepting_requests, User.is_active)
        .options(selectinload(MentorProfile.user))
    ).all()
    out = []
    for m in rows:
        shared = [s for s in m.sectors if s in startup.sectors]
        reasons: list[Any] = []
        if shared:
            reasons.append(_l("Same sector"))
        out.append(Suggestion("mentor", m.id, m.name, float(len(shared)), reasons, m))
    return sorted(out, key=lambda s: (-s.score, s.id))


def _fallback_equipment(session: Session, category: str) -> list[Suggestion]:
    rows = session.scalars(
        sa.select(Equipment)
        .join(Facility, Equipment.facility_id == Facility.id)
        .where(Equipment.is_active, Facility.is_active, Equipment.category == category)
        .options(selectinload(Equipment.facility))
        .order_by(Equipment.voucher_eligible.desc(), Equipment.id)
    ).all()
    return [Suggestion("equipment", e.id, e.name, 0.0, [], e) for e in rows]


def _best_investor(
    session: Session, startup: Startup, open_ask: FundingAsk | None, use_engine: bool
) -> Suggestion | None:
    """The first of the investors the founder's dashboard and ask page show (one filter: round,
    ticket, instrument, region and sector of the open ask or, before one exists, of the
    profile's stand-in need)."""
    matches = asks.recommend_investors_for_startup(
        session, startup, ask=open_ask, limit=1, use_engine=use_engine
    )[1]
    if not matches:
        return None
    m = matches[0]
    return Suggestion(
        "investor", m.investor.id, m.investor.name, m.score, m.shown_reasons, m.investor
    )


def _need_text(startup: Startup, step: ChainStep) -> str:
    service = vocab.CHAIN_SERVICES.get(step.service, ("", ""))
    return " ".join([service[0], service[1], startup.one_liner, startup.description])


def _pick_mentor(candidates: Sequence[Suggestion], step: ChainStep) -> Suggestion | None:
    for c in candidates:
        topics = getattr(c.entity, "mentoring_topics", []) or []
        if any(t in topics for t in step.topics):
            return c
    return candidates[0] if candidates else None


def build_pathway(
    session: Session,
    startup: Startup,
    *,
    use_engine: bool = True,
    today: date | None = None,
    locale: str | None = None,
    stuck_days: int = DEFAULT_STUCK_DAYS,
) -> Pathway:
    """The whole pathway page of one startup."""
    today = today or date.today()
    pos = position(startup)
    needs = set(startup.services_needed)
    eligibility = policy_service.eligibility_for(session, startup, today=today, locale=locale)

    engine_used = False
    mentors: list[Suggestion] | None = None
    if use_engine:
        from matchmaker.services.recommendations import bridge

        found = _engine_matches(lambda: bridge.recommend_mentors(session, startup.id, limit=20))
        if found is not None:
            engine_used = True
            mentors = [_from_match(m) for m in found]
    if mentors is None:
        mentors = _fallback_mentors(session, startup)

    steps = []
    for i, step in enumerate(CHAIN):
        status = (
            "done" if i < pos else "current" if i == pos else "next" if i == pos + 1 else "later"
        )
        item = PathwayStep(step, status, step.service in needs)
        if status in ("current", "next") or item.needed:
            item.mentor = _pick_mentor(mentors, step)
            item.policy = _best_policy(eligibility, step)
        steps.append(item)
    shown = [
        item
        for item in steps
        if item.step.category is not None and (item.status in ("current", "next") or item.needed)
    ]
    for item, equipment in zip(
        shown, _best_equipment(session, startup, [i.step for i in shown], use_engine), strict=True
    ):
        item.equipment = equipment

    round_ = next_round(startup.funding_round)
    open_ask = session.scalar(
        sa.select(FundingAsk)
        .where(FundingAsk.startup_id == startup.id, FundingAsk.is_open)
        .order_by(FundingAsk.created_at.desc(), FundingAsk.id.desc())
        .limit(1)
    )
    investor = _best_investor(session, startup, open_ask, use_engine)

    activities, stuck_by_id = activity_and_stuck(
        session, [startup], stuck_days=stuck_days, locale=locale
    )
    activity = activities.get(startup.id)
    stuck = stuck_by_id.get(startup.id, [])
    return Pathway(
        startup,
        pos,
        steps,
        round_,
        investor,
        open_ask,
        eligibility,
        activity,
        stuck,
        engine_used,
    )


def _best_equipment(
    session: Session, startup: Startup, chain_steps: Sequence[ChainStep], use_engine: bool
) -> list[Suggestion | None]:
    """The best instrument for each step, asked of the engine in one call (capacity read once,
    the instruments loaded in one query); the category's fallback where the engine cannot
    answer."""
    if not chain_steps:
        return []
    if use_engine:
        from matchmaker.services.recommendations import bridge

        needs = [(_need_text(startup, step), step.category) for step in chain_steps]
        found = _engine_matches(
            lambda: bridge.recommend_equipment_for_needs(session, needs, limit=1)
        )
        if found is not None:
            return [_from_match(matches[0]) if matches else None for matches in found]
    out: list[Suggestion | None] = []
    for step in chain_steps:
        fallback = _fallback_equipment(session, step.category or "")
        out.append(fallback[0] if fallback else None)
    return out


def _best_policy(
    eligibility: Sequence[policy_service.Eligibility], step: ChainStep
) -> Suggestion | None:
    for e in eligibility:
        if e.eligible and step.service in e.policy.chain_services:
            reasons: list[Any] = [c.message for c in e.met]
            return Suggestion(
                "policy", e.policy.id, e.policy.title_en, e.relevance, reasons, e.policy
            )
    return None


# --- activity and stuck startups -------------------------------------------------------------

# ``source(startup_ids)`` gives ``_latest`` selects (a page reads every source in one statement:
# the query count must not grow with the sources); ``ACTIVITY_SOURCES`` below lists them.
ActivitySource = Callable[[Sequence[int]], Iterable["sa.Select[Any]"]]


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


def _latest(column: Any, key: Any, ids: Sequence[int]) -> sa.Select[Any]:
    """The latest ``column`` per startup ``key``: an activity fact."""
    return (
        sa.select(*_fact("activity", startup_id=key, at=sa.func.max(column)))
        .where(key.in_(ids))
        .group_by(key)
    )


def _outcome_activity(ids: Sequence[int]) -> list[sa.Select[Any]]:
    return [_latest(MatchOutcome.created_at, MatchOutcome.startup_id, ids)]


def _support_activity(ids: Sequence[int]) -> list[sa.Select[Any]]:
    return [_latest(SupportRecord.created_at, SupportRecord.startup_id, ids)]


def _area_activity(ids: Sequence[int]) -> list[sa.Select[Any]]:
    return [
        _latest(model.updated_at, model.startup_id, ids)
        for model in (
            sources.mentor_session_model(),
            sources.pitch_model(),
            sources.introduction_model(),
            sources.booking_model(),
        )
        if model is not None
    ]


ACTIVITY_SOURCES: tuple[ActivitySource, ...] = (
    _outcome_activity,
    _support_activity,
    _area_activity,
)


def _activity_facts(ids: Sequence[int]) -> list[sa.Select[Any]]:
    parts = [_latest(Startup.updated_at, Startup.id, ids)]  # first: it types the union's columns
    for source in ACTIVITY_SOURCES:
        parts.extend(source(ids))
    return parts


def _stuck_facts(ids: Sequence[int]) -> list[sa.Select[Any]]:
    """Categories some active instrument serves, open asks, asks an investor answered."""
    parts = [
        sa.select(*_fact("category", category=Equipment.category))
        .join(Facility, Equipment.facility_id == Facility.id)
        .where(Equipment.is_active, Facility.is_active)
        .distinct(),
        sa.select(*_fact("ask", startup_id=FundingAsk.startup_id)).where(
            FundingAsk.is_open, FundingAsk.startup_id.in_(ids)
        ),
        sa.select(*_fact("answered", startup_id=MatchOutcome.startup_id)).where(
            MatchOutcome.candidate_kind == "investor", MatchOutcome.startup_id.in_(ids)
        ),
    ]
    for model in (sources.pitch_model(), sources.introduction_model()):
        if model is not None:
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


def _read_facts(session: Session, ids: Sequence[int], *, stuck: bool) -> _Facts:
    facts = _Facts()
    if not ids:
        return facts
    parts = _activity_facts(ids) + (_stuck_facts(ids) if stuck else [])
    for what, startup_id, category, at in session.execute(sa.union_all(*parts)):
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


def startup_for_pathway(session: Session, actor: Any, startup_id: int) -> Startup:
    """The startup, if ``actor`` is on its team or an operator."""
    startup = session.scalar(
        sa.select(Startup).where(Startup.id == startup_id).options(joinedload(Startup.members))
    )
    if startup is None:
        raise NotFound(_l("No such startup."))
    if not getattr(actor, "is_authenticated", False) or not (
        actor.is_operator or startup.has_member(actor)
    ):
        raise Forbidden(_l("Only the startup's team and operators can see its pathway."))
    return startup
