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
    from matchmaker.recommend.kinds import PairKind
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


def per_query(
    rankings: Mapping[int, Sequence[int]], relevant: Mapping[int, set[int]], k: int = 10
) -> dict[int, tuple[float, float, float]]:
    """(recall@k, nDCG@k, reciprocal rank) of each query of ``relevant``; a query missing from
    ``rankings`` counts as an empty ranking (all zeros), never skipped."""
    out = {}
    for q, rel in relevant.items():
        ranked = list(rankings.get(q, ()))
        out[q] = (
            recall_at_k(ranked, rel, k),
            ndcg_at_k(ranked, rel, k),
            reciprocal_rank(ranked, rel),
        )
    return out


def evaluate(
    rankings: Mapping[int, Sequence[int]], relevant: Mapping[int, set[int]], k: int = 10
) -> dict[str, float]:
    """Mean recall@k, nDCG@k and MRR over the queries of ``relevant``.

    A query missing from ``rankings`` counts as an empty ranking (all zeros), never skipped.
    """
    if not relevant:
        raise ValueError("no queries")
    rows = list(per_query(rankings, relevant, k).values())
    arr = np.array(rows, dtype=np.float64).mean(axis=0)
    return {
        f"recall@{k}": float(arr[0]),
        f"ndcg@{k}": float(arr[1]),
        "mrr": float(arr[2]),
        "queries": float(len(relevant)),
    }


def baseline_rankings(
    rec: Recommender,
    kind: PairKind,
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


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Mean of ``a - b`` over paired queries and its percentile bootstrap confidence interval
    (queries resampled with replacement, the same resample for both rankers)."""
    x = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if x.ndim != 1 or not len(x):
        raise ValueError("need two equally long, non-empty score lists")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, 1000):  # bounded memory for large query sets
        n = min(1000, resamples - start)
        means[start : start + n] = x[rng.integers(0, len(x), size=(n, len(x)))].mean(axis=1)
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return {"diff": float(x.mean()), "ci_low": float(lo), "ci_high": float(hi), "level": level}


def compare_with_best_baseline(
    engine: Mapping[int, Sequence[int]],
    baselines: Mapping[str, Mapping[int, Sequence[int]]],
    relevant: Mapping[int, set[int]],
    *,
    k: int = 10,
    seed: int = 0,
) -> dict[str, object]:
    """nDCG@k of the engine minus that of the best baseline (by mean nDCG@k), per query, with
    its paired bootstrap 95 % interval, and the ratio of the means."""
    ours = per_query(engine, relevant, k)
    theirs = {name: per_query(r, relevant, k) for name, r in baselines.items()}
    means = {name: float(np.mean([v[1] for v in rows.values()])) for name, rows in theirs.items()}
    best = max(means, key=lambda name: means[name])
    queries = sorted(relevant)
    ci = paired_bootstrap(
        [ours[q][1] for q in queries], [theirs[best][q][1] for q in queries], seed=seed
    )
    engine_mean = float(np.mean([ours[q][1] for q in queries]))
    ratio = engine_mean / means[best] if means[best] > 0 else float("inf")
    return {"best_baseline": best, "ratio": ratio, **ci}
