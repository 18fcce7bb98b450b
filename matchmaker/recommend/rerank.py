"""Capacity-aware re-ranking: a good candidate with no time left should not top every list.

Relevance alone sends every startup to the same famous mentor or the same XRD machine. After
scoring, each candidate's score is multiplied by a capacity factor (little left -> lower), an
exposure factor (already recommended to many startups recently -> lower) and a demand factor
(would top more startups' lists than its stated monthly capacity can serve -> lower, unless its
fit to this startup is among the best), then the list re-sorted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matchmaker.recommend.reasons import Recommendation


def capacity_factor(left: float | None, *, scarce: float = 2.0) -> float:
    """1 when capacity is unknown or ample; 0.1 when none is left; in between when scarce.

    ``scarce`` is the amount (sessions, hours) below which a candidate starts to lose rank.
    """
    if left is None:
        return 1.0
    if left <= 0:
        return 0.1
    return min(1.0, 0.5 + 0.5 * left / scarce)


def exposure_factor(times_recommended: int, *, strength: float = 0.15) -> float:
    """Gentle and logarithmic: being popular is information, but it should not be a monopoly."""
    if times_recommended <= 0:
        return 1.0
    return 1.0 / (1.0 + strength * math.log1p(times_recommended))


def demand_factor(
    expected: float, capacity: int | None, fit: float, *, strength: float = 0.5
) -> float:
    """How far a candidate expected in ``expected`` startups' top 3 is spread out, given it can
    take ``capacity`` a month (None or 0: not stated, no spreading: demand says nothing without
    a capacity to compare it with, and on historical data the busiest candidates are the ones
    that were chosen).

    ``fit`` in [0, 1] is how real this startup's fit is (1: its text and topic evidence is
    among the best of its candidates): the spreading acts on the share of the score that the
    fit does not carry, so a generalist is spread and the specialist a startup asked for is
    not."""
    if not capacity or capacity <= 0 or expected <= capacity:
        return 1.0
    factor = (capacity / expected) ** strength
    return float(factor ** (1.0 - min(1.0, max(0.0, fit))))


def capacity_rerank(
    recs: Sequence[Recommendation],
    *,
    capacity_left: Mapping[int, float | None],
    exposure: Mapping[int, int] | None = None,
    scarce: float = 2.0,
    strength: float = 0.15,
    demand: Mapping[int, float] | None = None,
) -> list[Recommendation]:
    """Scores multiplied by the capacity, exposure and demand factors (``demand``: candidate id
    -> its ``demand_factor``, 1 where absent), re-sorted (best first).

    The factors are recorded in each recommendation's features so the ranking stays explainable.
    """
    exposure = exposure or {}
    demand = demand or {}
    out = []
    for rec in recs:
        cap = capacity_factor(capacity_left.get(rec.id), scarce=scarce)
        exp = exposure_factor(exposure.get(rec.id, 0), strength=strength)
        dem = demand.get(rec.id, 1.0)
        features = dict(rec.features, rerank_capacity=cap, rerank_exposure=exp, rerank_demand=dem)
        out.append(replace(rec, score=rec.score * cap * exp * dem, features=features))
    out.sort(key=lambda r: (-r.score, r.id))
    return out
