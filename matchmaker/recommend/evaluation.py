"""Offline ranking metrics and the baselines every engine number is compared with.

Metrics take a ranked list of candidate ids and the set of relevant ids (binary relevance) and are
averaged over queries. Baselines rank the same candidate lists: random (seeded), popularity
(history size), TF-IDF only and dense only, so the engine's gain is measured, not assumed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matchmaker.recommend.ranking import Recommender
    from matchmaker.recommend.texts import StartupProfile

METRICS = ("recall@10", "ndcg@10", "mrr")
BASELINES = ("random", "popularity", "tfidf", "dense")


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    if not relevant:
        raise ValueError("recall is undefined without relevant items")
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """Binary-relevance nDCG: DCG of the ranking over DCG of the ideal ranking."""
    if not relevant:
        raise ValueError("nDCG is undefined without relevant items")
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal


def reciprocal_rank(ranked: Sequence[int], relevant: set[int]) -> float:
    """1 / rank of the first relevant item; 0 if none is ranked."""
    for i, item in enumerate(ranked):
        if item in relevant:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(
    rankings: Mapping[int, Sequence[int]], relevant: Mapping[int, set[int]], k: int = 10
) -> dict[str, float]:
    """Mean recall@k, nDCG@k and MRR over the queries of ``relevant``.

    A query missing from ``rankings`` counts as an empty ranking (all zeros), never skipped.
    """
    if not relevant:
        raise ValueError("no queries")
    rows = []
    for q, rel in relevant.items():
        ranked = list(rankings.get(q, ()))
        rows.append(
            (recall_at_k(ranked, rel, k), ndcg_at_k(ranked, rel, k), reciprocal_rank(ranked, rel))
        )
    arr = np.array(rows, dtype=np.float64).mean(axis=0)
    return {
        f"recall@{k}": float(arr[0]),
        f"ndcg@{k}": float(arr[1]),
        "mrr": float(arr[2]),
        "queries": float(len(relevant)),
    }


def baseline_rankings(
    rec: Recommender,
    kind: str,
    startup: StartupProfile,
    candidate_ids: Sequence[int],
    *,
    seed: int = 0,
) -> dict[str, list[int]]:
    """The four baseline orderings of ``candidate_ids`` for one startup (ties by id)."""
    corpus = rec.corpus
    ids = sorted(candidate_ids)
    if not ids:
        return {name: [] for name in BASELINES}
    rng = np.random.default_rng([seed, startup.id])
    out = {"random": [ids[i] for i in rng.permutation(len(ids))]}
    sizes = {i: len(corpus.relations.get(kind, {}).get(i, [])) for i in ids}
    out["popularity"] = sorted(ids, key=lambda i: (-sizes[i], i))
    s_text = corpus.text("startup", startup)
    lexical = corpus.lexical[kind].scores(s_text, ids)
    out["tfidf"] = sorted(ids, key=lambda i: (-lexical.get(i, 0.0), i))
    s_vec = corpus.vector("startup", startup.id, startup)
    dense = corpus.index(kind).get_vectors(ids) @ s_vec
    by_id = dict(zip(ids, dense.tolist(), strict=True))
    out["dense"] = sorted(ids, key=lambda i: (-by_id[i], i))
    return out
