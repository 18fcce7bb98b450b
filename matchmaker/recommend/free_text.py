"""Similarity and free text on the engine's state: startups like a startup, equipment for a
described need, search across kinds; all through the hybrid (dense + lexical) search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from matchmaker.recommend.hybrid import explain_matches, hybrid_search
from matchmaker.recommend.kinds import KINDS, ProfileKind
from matchmaker.recommend.reasons import Reason, Recommendation, shared
from matchmaker.recommend.spreading import rerank
from matchmaker.recommend.texts import StartupProfile

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from matchmaker.recommend.ranking import Recommender


def similar_startups(
    rec: Recommender, startup: int | StartupProfile, k: int = 10
) -> list[Recommendation]:
    """Startups closest to the startup in what they say, with the sectors they share."""
    s, s_vec = rec._startup(startup)
    s_text = rec.corpus.text("startup", s)
    recs = hybrid(rec, "startup", s_vec, s_text, k + 1, allowed=None)
    out = []
    for r in recs:
        if r.id == s.id:
            continue
        other = rec.corpus.profiles["startup"][r.id]
        sectors = shared(s.sectors, other.sectors)
        extra = (Reason("shared_sectors", {"sectors": sectors}),) if sectors else ()
        out.append(Recommendation(r.kind, r.id, r.score, r.reasons + extra, r.features))
    return out[:k]


def equipment_for_need(
    rec: Recommender, text: str, k: int = 10, *, category: str | None = None
) -> list[Recommendation]:
    """Equipment for a described need ("XRD testing for a battery cathode"), free time first
    among equals; ``category`` restricts to one vocab.EQUIPMENT_CATEGORIES code."""
    pool = rec.corpus.profiles["equipment"]
    allowed = rec.corpus.ids_where(
        "equipment",
        f"active:{category}",
        lambda e: e.active and (category is None or e.category == category),
    )
    q = rec.corpus.embed([text])[0]
    recs = hybrid(rec, "equipment", q, text, max(k * 3, 30), allowed=allowed, explain=False)
    out = []
    for r in _explained(rec, text, q, rerank(rec, "equipment", recs)[:k]):
        e = pool[r.id]
        extra: list[Reason] = []
        if e.free_hours_next_14d:
            extra.append(Reason("free_capacity", {"hours": e.free_hours_next_14d}))
        if e.voucher_eligible:
            extra.append(Reason("voucher_eligible", {}))
        out.append(Recommendation(r.kind, r.id, r.score, r.reasons + tuple(extra), r.features))
    return out


def search(
    rec: Recommender, text: str, kinds: Sequence[ProfileKind] = KINDS, k: int = 10
) -> list[Recommendation]:
    """Free-text search across kinds ("专利律师", "XRD testing"), merged by score."""
    q = rec.corpus.embed([text])[0]
    found: list[Recommendation] = []
    for kind in kinds:
        rec._check_kind(kind)
        allowed = rec.corpus.ids_where(kind, "active", lambda p: p.active)
        found.extend(hybrid(rec, kind, q, text, k, allowed=allowed, explain=False))
    found.sort(key=lambda r: (-r.score, r.kind, r.id))
    return _explained(rec, text, q, found[:k])


def _explained(
    rec: Recommender, text: str, q: NDArray[np.float32], recs: Sequence[Recommendation]
) -> list[Recommendation]:
    """``recs`` (of any kinds, in their order) with their reasons for ``text``. Asked only for
    the results kept: a reason costs a tokenisation of the profile or a lookup of its phrases,
    and the search page explained 60 results to show 20, a pathway 30 instruments to show 1."""
    explained = {
        (r.kind, r.id): r
        for kind in dict.fromkeys(r.kind for r in recs)
        for r in explain_matches(rec.corpus, kind, text, [r for r in recs if r.kind == kind], q)
    }
    return [explained[r.kind, r.id] for r in recs]


def hybrid(
    rec: Recommender,
    kind: ProfileKind,
    q: NDArray[np.float32],
    text: str,
    k: int,
    allowed: frozenset[int] | None,
    *,
    explain: bool = True,
) -> list[Recommendation]:
    """``hybrid.hybrid_search`` with the engine's settings."""
    cfg = rec.config
    return hybrid_search(
        rec.corpus,
        kind,
        q,
        text,
        k,
        allowed,
        cfg.search_dense_weight,
        cfg.candidates_per_leg,
        explain=explain,
    )
