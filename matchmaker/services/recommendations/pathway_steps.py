"""The pathway of one startup: for each step of the incubation chain (``pathway.CHAIN``) the
engine's best mentor and equipment, the next round's best investor and the policies it is
eligible for, with reasons; plain fallbacks when the engine cannot answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Equipment,
    Facility,
    FundingAsk,
    Mentor,
    Startup,
    User,
)
from matchmaker.models.funding import Pitch
from matchmaker.services.funding import asks
from matchmaker.services.funding.matching import next_round
from matchmaker.services.operator.policy_center import policies as policy_service
from matchmaker.services.recommendations.engine_settings import Caller
from matchmaker.services.recommendations.pathway import (
    CHAIN,
    DEFAULT_STUCK_DAYS,
    ChainStep,
    activity_and_stuck,
    position,
)

log = logging.getLogger(__name__)

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
    resident: bool  # hosted in the makerspace (``policies.is_resident``)

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
        sa.select(Mentor)
        .join(User, Mentor.user_id == User.id)
        .where(Mentor.is_active, Mentor.accepting_requests, User.is_active)
        .options(selectinload(Mentor.user))
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
    session: Session,
    startup: Startup,
    open_ask: FundingAsk | None,
    pitches: dict[int, Pitch],
    use_engine: bool,
    caller: Caller,
) -> Suggestion | None:
    """The first of the investors the founder's dashboard and ask page show (one filter: round,
    ticket, instrument, region and sector of the open ask or, before one exists, of the
    profile's stand-in need)."""
    matches = asks.recommend_investors_for_startup(
        session,
        startup,
        ask=open_ask,
        pitches=pitches,
        limit=1,
        use_engine=use_engine,
        caller=caller,
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
    caller: Caller,
) -> Pathway:
    """The whole pathway page of one startup. ``caller``: who asks the engine (the operator's
    page passes ``Caller.web_request``: it loads, never builds, an index)."""
    today = today or date.today()
    pos = position(startup)
    needs = set(startup.services_needed)
    resident = policy_service.is_resident(session, startup)
    eligibility = policy_service.eligibility_for(
        session, startup, today=today, locale=locale, resident=resident
    )

    steps = []
    for i, step in enumerate(CHAIN):
        status = (
            "done" if i < pos else "current" if i == pos else "next" if i == pos + 1 else "later"
        )
        steps.append(PathwayStep(step, status, step.service in needs))
    advised = [item for item in steps if item.status in ("current", "next") or item.needed]
    for item in advised:
        item.policy = _best_policy(eligibility, item.step)
    engine_used = False
    picked: list[Any] | None = None
    if use_engine:
        from matchmaker.services.recommendations import bridge

        picked = _engine_matches(
            lambda: bridge.mentors_for_topics(
                session, startup.id, [item.step.topics for item in advised], caller=caller
            )
        )
        engine_used = picked is not None
    if picked is not None:
        for item, match in zip(advised, picked, strict=True):
            item.mentor = _from_match(match) if match is not None else None
    else:
        mentors = _fallback_mentors(session, startup)
        for item in advised:
            item.mentor = _pick_mentor(mentors, item.step)
    shown = [item for item in advised if item.step.category is not None]
    for item, equipment in zip(
        shown,
        _best_equipment(session, startup, [i.step for i in shown], use_engine, caller),
        strict=True,
    ):
        item.equipment = equipment

    round_ = next_round(startup.funding_round)
    open_ask, pitches = asks.open_ask_and_pitches(session, startup.id)
    investor = _best_investor(session, startup, open_ask, pitches, use_engine, caller)

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
        resident,
    )


def _best_equipment(
    session: Session,
    startup: Startup,
    chain_steps: Sequence[ChainStep],
    use_engine: bool,
    caller: Caller,
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
            lambda: bridge.recommend_equipment_for_needs(session, needs, limit=1, caller=caller)
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
