"""Propose a booking: from a need in words to instruments and their earliest feasible slots.

The duration and the time window come from ``need_parsing.parse_need``. The instruments come
from the recommendation bridge (``services.recommendations.bridge.recommend_equipment``, the
bilingual engine /search uses), ranked on the need without its schedule phrases
(``ParsedNeed.subject``); if the engine is unavailable, a simple lexical ranking stands in so
that founders can still book.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, User, utcnow
from matchmaker.services.errors import ServiceError
from matchmaker.services.facilities.bookings.need_parsing import ParsedNeed
from matchmaker.services.facilities.bookings.queries import free_intervals_by_equipment
from matchmaker.services.facilities.bookings.slot_checks import SlotRequest, check_slot
from matchmaker.services.facilities.equipment_availability import (
    Interval,
    candidate_slots,
    is_trained,
)
from matchmaker.services.recommendations.engine_settings import Caller
from matchmaker.timezones import wall_clock

log = logging.getLogger(__name__)


@dataclass
class Proposal:
    """An instrument for the need, with the slots this founder can book, or why none."""

    equipment: Equipment
    score: float
    reasons: tuple[Any, ...]  # engine Reason objects (rendered by web.recommendations.reasons)
    slots: list[Interval] = field(default_factory=list)
    blocked: Any = None  # a lazy message when nothing can be booked (training, ...)
    source: str = "engine"


def _lexical(session: Session, text: str, category: str | None, limit: int) -> list[Any]:
    """Fallback ranking: shared words and characters between the need and the instrument."""
    stmt = (
        sa.select(Equipment)
        .join(Facility)
        .where(Equipment.is_active.is_(True), Facility.is_active.is_(True))
        .options(selectinload(Equipment.facility))
    )
    if category:
        stmt = stmt.where(Equipment.category == category)
    words = {w for w in re.findall(r"[a-z0-9]{2,}", text.lower())}
    grams = {
        text[i : i + 2]
        for i in range(len(text) - 1)
        if re.match(r"[\u4e00-\u9fff]{2}", text[i : i + 2])
    }
    scored = []
    for eq in session.scalars(stmt):
        hay = f"{eq.name} {eq.model_specs} {eq.description}".lower()
        score = sum(1 for w in words if w in hay) + sum(1 for g in grams if g in hay)
        if score:
            scored.append((score, eq))
    scored.sort(key=lambda x: (-x[0], x[1].name))
    return [(eq, float(s), ()) for s, eq in scored[:limit]]


def _ranked(
    session: Session, text: str, category: str | None, limit: int, caller: Caller
) -> tuple[list[Any], str]:
    try:
        from matchmaker.services.recommendations.bridge import recommend_equipment

        matches = recommend_equipment(session, text, category=category, limit=limit, caller=caller)
        ranked = [(m.entity, m.score, tuple(m.reasons)) for m in matches if m.entity is not None]
        if ranked:
            return ranked, "engine"
    except Exception:  # the engine is optional here: founders must still be able to book
        log.exception("recommend_equipment failed; using the lexical fallback")
        # Not a use case ending: a failed statement leaves PostgreSQL's transaction aborted,
        # and the fallback below must read. Nothing was written yet.
        session.rollback()
    return _lexical(session, text, category, limit), "lexical"


def propose_bookings(
    session: Session,
    user: User,
    startup_id: int,
    need: ParsedNeed,
    *,
    category: str | None = None,
    limit: int = 5,
    slots_per_item: int = 3,
    now: datetime | None = None,
    caller: Caller,
) -> list[Proposal]:
    """Best-matching instruments, each with its earliest slots this founder may book.
    ``caller``: who asks the engine (the booking page passes ``Caller.web_request``)."""
    now = now or utcnow()
    ranked, source = _ranked(session, need.subject or need.text, category, limit, caller)
    proposals = []
    for equipment, score, reasons in ranked:
        proposal = Proposal(equipment, score, reasons, source=source)
        if equipment.training_required and not is_trained(
            session, equipment.id, user.id, wall_clock(need.window_end).date()
        ):
            proposal.blocked = _l("Needs training before you can book it.")
            proposals.append(proposal)
            continue
        candidates = candidate_slots(
            session,
            equipment,
            need.minutes,
            need.window_start,
            need.window_end,
            now=now,
            limit=slots_per_item * 4,
        )
        for start, end in candidates:
            try:
                check_slot(session, SlotRequest(equipment, startup_id, user, start, end), now=now)
            except ServiceError as exc:
                proposal.blocked = exc.message
                continue
            proposal.slots.append((start, end))
            if len(proposal.slots) >= slots_per_item:
                break
        if proposal.slots:
            proposal.blocked = None
        proposals.append(proposal)
    # Instruments with a feasible slot first, each group in the engine's order.
    proposals.sort(key=lambda p: not p.slots)
    return proposals


def free_hours_next_14_days(session: Session, ids: Sequence[int]) -> Mapping[int, float]:
    """Capacity provider for the engine: free bookable hours of each instrument, counted from
    the start of the current hour. Counted from the minute itself, the figure of an instrument
    with a booking under way moves at every refresh without any new booking (the end of its
    14 days gains free time its start does not lose), and each new figure is a new engine
    state (every remembered ranking recomputed, in every web process); this way figures move
    when a booking does, and otherwise at most once an hour."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    known = list(session.scalars(sa.select(Equipment.id).where(Equipment.id.in_(ids))))
    # One batch for every instrument (a fixed number of queries, not four per instrument).
    free_by_id = free_intervals_by_equipment(
        session, known, now, now + timedelta(days=14), from_lead_time=True
    )
    return {
        i: sum((e - s).total_seconds() for s, e in free) / 3600 for i, free in free_by_id.items()
    }
