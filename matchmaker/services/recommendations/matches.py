"""The engine's recommendations with their rows: ``Match`` (score, reasons and the loaded ORM
entity) and ``load_matches``, which loads the rows of a ranked list, one statement per kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from matchmaker.models import Equipment, Facility, Investor, Mentor, Startup, User
from matchmaker.recommend.ranking import Recommendation
from matchmaker.recommend.reasons import Reason


@dataclass(frozen=True)
class Match:
    """One recommendation: the engine's score and reasons and the loaded ORM entity."""

    kind: str
    id: int
    score: float
    reasons: tuple[Reason, ...]
    entity: Any


def _active_with_owner(
    model: Any, owner: Any, link: Any, relation: Any
) -> Callable[[sa.BindParameter[Any]], Any]:
    """The query for active ``model`` rows among the bound ids whose owner (``owner`` joined on
    ``link``) is active too; the owner is loaded by the same statement (``relation``)."""
    return lambda ids: (
        sa.select(model)
        .join(owner, link)
        .where(model.id.in_(ids), model.is_active, owner.is_active)
        .options(contains_eager(relation))
    )


_ENTITY_QUERIES: dict[str, Callable[[sa.BindParameter[Any]], Any]] = {
    "startup": lambda ids: sa.select(Startup).where(Startup.id.in_(ids), Startup.is_active),
    "mentor": _active_with_owner(Mentor, User, Mentor.user_id == User.id, Mentor.user),
    "investor": lambda ids: sa.select(Investor).where(Investor.id.in_(ids), Investor.is_active),
    "equipment": _active_with_owner(
        Equipment, Facility, Equipment.facility_id == Facility.id, Equipment.facility
    ),
}


# Each kind's statement, built once with its ids bound when it runs: building it and its cache
# key on every page cost more than running it.
_ENTITY_STATEMENTS: dict[str, Any] = {
    kind: query(sa.bindparam("ids", expanding=True)) for kind, query in _ENTITY_QUERIES.items()
}


def load_matches(
    session: Session, recs: Sequence[Recommendation], limit: int | None
) -> list[Match]:
    """Recommendations with their entities, one query per kind; rows the database no longer
    shows (deleted, deactivated) are dropped rather than served."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for r in recs:
        by_kind[r.kind].append(r.id)
    entities: dict[tuple[str, int], Any] = {}
    for kind, ids in by_kind.items():
        for entity in session.scalars(_ENTITY_STATEMENTS[kind], {"ids": ids}):
            entities[(kind, entity.id)] = entity
    out = [
        Match(r.kind, r.id, r.score, tuple(r.reasons), entities[(r.kind, r.id)])
        for r in recs
        if (r.kind, r.id) in entities
    ]
    return out if limit is None else out[:limit]
