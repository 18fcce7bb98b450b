"""Spreading demand over candidates with limited capacity, on the engine's state: load prices
(how far a crowded candidate's scores are lowered, estimated on a sample of startups), the demand
factors of one startup's list, and the capacity and exposure re-rank (``rerank`` has the factors).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from matchmaker.recommend.kinds import PairKind, ProfileKind
from matchmaker.recommend.pairing import LEXICAL_TO_DENSE
from matchmaker.recommend.rerank import capacity_rerank, demand_factor

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.recommend.ranking import Recommender
    from matchmaker.recommend.reasons import Recommendation

# A candidate whose fit to the startup (text, expertise, topics) ranks above this share of the
# startup's candidates is spared the demand spreading in proportion: at the very top, fully.
FIT_TOP_SHARE = 0.75


def estimate_load_prices(rec: Recommender, kind: PairKind) -> dict[int, float]:
    """``Recommender.load_prices`` without its cache: the price adjustment on the sample."""
    pool = rec.corpus.profiles[kind]
    startups = rec.corpus.profiles["startup"]
    active = sorted(i for i, p in startups.items() if p.active)
    step = max(1, -(-len(active) // max(1, rec.config.demand_sample)))
    sample = active[::step]
    lists = []
    for sid in sample:
        s = startups[sid]
        vec = rec.corpus.vector("startup", sid, s)
        _, _, _, recs = rec._scored(kind, s, vec, rec.corpus.text("startup", s), ())
        if recs:
            ranked = rerank(rec, kind, recs)  # capacity left and exposure, no spreading
            ids = np.array([r.id for r in ranked], dtype=np.int64)
            lists.append((ids, np.array([r.score for r in ranked]), content_fits(ranked)))
    capacity = {i: getattr(p, "capacity_per_month", None) for i, p in pool.items()}
    price = dict.fromkeys(pool, 1.0)
    scale = len(active) / len(sample) if sample else 0.0
    for _ in range(rec.config.demand_rounds):
        counts: Counter[int] = Counter()
        for ids, score, fit in lists:
            prices = np.array([price[i] for i in ids.tolist()])
            adjusted = score * prices ** (1.0 - fit)
            counts.update(ids[np.lexsort((ids, -adjusted))[:3]].tolist())
        moved = False
        for cand, n in counts.items():
            factor = demand_factor(
                n * scale, capacity.get(cand), 0.0, strength=rec.config.demand_strength
            )
            if factor < 1.0:
                price[cand] *= factor
                moved = True
        if not moved:
            break
    return {i: v for i, v in price.items() if v < 1.0}


def content_fits(recs: Sequence[Recommendation]) -> NDArray[np.float64]:
    """Per candidate, how real its fit to the startup is, in [0, 1]: its text, expertise
    and topic evidence ranked among the startup's candidates; 0 up to the
    ``FIT_TOP_SHARE`` quantile, 1 for the best."""
    if len(recs) < 2:
        return np.zeros(len(recs))
    content = [
        r.features.get("dense", 0.0)
        + min(1.0, LEXICAL_TO_DENSE * r.features.get("lexical", 0.0))
        + r.features.get("topic_overlap", 0.0)
        for r in recs
    ]
    pct = np.argsort(np.argsort(content, kind="stable"), kind="stable") / (len(recs) - 1)
    return np.clip((pct - FIT_TOP_SHARE) / (1.0 - FIT_TOP_SHARE), 0.0, 1.0)


def demand_factors(
    rec: Recommender, kind: PairKind, recs: Sequence[Recommendation]
) -> dict[int, float]:
    """Per candidate, its load price raised to (1 - its fit to this startup): a crowded
    generalist is spread, the specialist whose expertise this startup names is not."""
    prices = rec.load_prices(kind)
    if not prices:
        return {}
    pool = rec.corpus.profiles[kind]
    fits = content_fits(recs)
    return {
        r.id: prices[r.id] ** (1.0 - float(fit))
        for r, fit in zip(recs, fits.tolist(), strict=True)
        # Capacity as stated now: a mentor who withdrew it is not spread on an older price.
        if r.id in prices and getattr(pool[r.id], "capacity_per_month", None)
    }


def rerank(
    rec: Recommender,
    kind: ProfileKind,
    recs: list[Recommendation],
    demand: Mapping[int, float] | None = None,
) -> list[Recommendation]:
    """``recs`` re-ranked by the candidates' capacity left, exposure and ``demand`` factors."""
    pool = rec.corpus.profiles[kind]
    if kind == "mentor":
        left: dict[int, float | None] = {r.id: pool[r.id].capacity_left for r in recs}
        scarce = rec.config.capacity_scarce_sessions
    elif kind == "equipment":
        left = {r.id: pool[r.id].free_hours_next_14d for r in recs}
        scarce = rec.config.capacity_scarce_hours
    else:
        left, scarce = {}, 1.0
    return capacity_rerank(
        recs,
        capacity_left=left,
        exposure=rec.exposure[kind],
        scarce=scarce,
        strength=rec.config.exposure_strength,
        demand=demand,
    )
