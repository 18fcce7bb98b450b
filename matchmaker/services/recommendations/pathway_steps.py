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
    entity: Any = None  # the row, where the page reads more of it (a policy); None in engine picks
    detail: str = ""  # shown after the name: an instrument's facility


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
    """An engine pick as plain values, without its row: a served engine may remember it past
    the session that read the row (``_remembered_picks``)."""
    entity = m.entity
    name = getattr(entity, "name", "") or str(m.id)
    return Suggestion(m.kind, m.id, name, float(m.score), list(m.reasons), detail=_detail(entity))


def _detail(entity: Any) -> str:
    if isinstance(entity, Equipment) and entity.facility is not None:
        return entity.facility.name
    return ""


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
    return [Suggestion("equipment", e.id, e.name, 0.0, [], e, _detail(e)) for e in rows]


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
    return Suggestion("investor", m.investor.id, m.investor.name, m.score, list(m.shown_reasons))


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
    shown = [item for item in advised if item.step.category is not None]
    round_ = next_round(startup.funding_round)
    open_ask, pitches = asks.open_ask_and_pitches(session, startup.id)
    picks = (
        _remembered_picks(session, startup, advised, shown, open_ask, pitches, caller)
        if use_engine
        else None
    )
    if picks is not None:
        for item, mentor in zip(advised, picks.mentors, strict=True):
            item.mentor = mentor
        for item, equipment in zip(shown, picks.equipment, strict=True):
            item.equipment = equipment
        investor = picks.investor
    else:
        mentors = _fallback_mentors(session, startup)
        for item in advised:
            item.mentor = _pick_mentor(mentors, item.step)
        for item in shown:
            fallback = _fallback_equipment(session, item.step.category or "")
            item.equipment = fallback[0] if fallback else None
        investor = _best_investor(session, startup, open_ask, pitches, False, caller)

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
        picks is not None,
        resident,
    )


@dataclass(frozen=True)
class _EnginePicks:
    """The engine's part of a pathway: a mentor per advised step, an instrument per shown step
    and the investor, as plain values (``_from_match``)."""

    mentors: list[Suggestion | None]
    equipment: list[Suggestion | None]
    investor: Suggestion | None


def _remembered_picks(
    session: Session,
    startup: Startup,
    advised: Sequence[PathwayStep],
    shown: Sequence[PathwayStep],
    open_ask: FundingAsk | None,
    pitches: dict[int, Pitch],
    caller: Caller,
) -> _EnginePicks | None:
    """The engine's picks for the steps, asked together (mentors and instruments each in one
    call, capacity read once); None when the engine cannot answer. Remembered like the
    dashboard's groups (``bridge.remembered_for_startup``): the same engine state, the same
    steps, the startup's own rows and asks (its need) and this process's writes unchanged, at
    most ``freshness.KEEP_SECONDS``; a founder reloads the pathway while working through it."""
    from matchmaker.services.recommendations import bridge, freshness

    def compute() -> list[_EnginePicks]:
        mentors = bridge.mentors_for_topics(
            session, startup.id, [item.step.topics for item in advised], caller=caller
        )
        needs = [(_need_text(startup, item.step), item.step.category) for item in shown]
        equipment = (
            bridge.recommend_equipment_for_needs(session, needs, limit=1, caller=caller)
            if needs
            else []
        )
        return [
            _EnginePicks(
                [_from_match(m) if m is not None else None for m in mentors],
                [_from_match(found[0]) if found else None for found in equipment],
                _best_investor(session, startup, open_ask, pitches, True, caller),
            )
        ]

    def key() -> tuple[Any, ...]:
        return (
            "pathway",
            tuple(item.step.code for item in advised),  # the shown steps are some of these
            freshness.startup_watermark(session, startup.id),
            freshness.local_writes(),
        )

    found = _engine_matches(
        lambda: bridge.remembered_for_startup(
            session,
            startup.id,
            key,
            compute,
            capacity=("mentor", "equipment"),
            max_age=freshness.KEEP_SECONDS,
            caller=caller,
        )
    )
    return found[0] if found is not None else None


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
