"""Measure candidate ranking evidence offline, on a benchmark bundle's own features.

For issue 13's ranking work: loads a bundle (as ``eval_engine_standalone.py`` does), takes the
engine's pair features of every query startup against every candidate not already tied to it
(default weights, no calibration: the calibration keeps the defaults on both dev bundles), then
re-scores them with variants (a weight changed, or one more feature computed here from the
*history* only: decayed popularity, co-investment item-kNN, BM25 over portfolio texts, sector and
round priors with shrinkage, location share, recency-weighted neighbour vote, co-investors'
activity, recency-weighted similarity to the candidate's deals) and prints nDCG@10, its ratio
to the popularity baseline and the paired bootstrap 95 % interval of the difference, per bundle.
``queries.csv`` is read only for the metric.

    .venv/bin/python scripts/eval_ranking_variants.py benchmarks/bundles/dev-cn-chollima \
        benchmarks/bundles/dev-yc-crunchbase --cache /tmp/vectors

Exploration only: a variant that helps here still has to be a general method and be measured
through ``flask eval`` before it is kept (docs/benchmarks.md lists what was kept and rejected).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_engine_standalone import Bundle, CachedEmbedder, load_bundle  # noqa: E402

from matchmaker.recommend import features as F  # noqa: E402
from matchmaker.recommend.embedding import DEFAULT_MODEL, make_embedder  # noqa: E402
from matchmaker.recommend.evaluation import ndcg_at_k, paired_bootstrap  # noqa: E402
from matchmaker.recommend.lexical import tokenize  # noqa: E402
from matchmaker.recommend.ranking import Recommender  # noqa: E402


@dataclass
class Query:
    sid: int
    cands: list[int]
    feats: dict[int, dict[str, float]]
    relevant: set[int]
    linked: set[int]
    round: str | None


@dataclass
class History:
    deals: list[tuple[int, int, float | None, str | None]]  # startup, candidate, when, round
    latest: float
    bundle: Bundle
    vectors: dict[int, np.ndarray]


def collect(bundle: Bundle, rec: Recommender) -> tuple[list[Query], History]:
    kind = bundle.kind
    all_ids = [c.id for c in bundle.candidates]
    queries = []
    for sid in sorted(bundle.relevant):
        s = replace(bundle.startups[sid], ask_round=bundle.query_round.get(sid))
        ties = rec.existing_ties(kind, s) | bundle.history.get(sid, set())
        cands = [i for i in all_ids if i not in ties]
        pairs = rec.pair_features(kind, s, cands, explain=False)
        queries.append(
            Query(
                sid,
                cands,
                {p.candidate_id: p.features for p in pairs},
                bundle.relevant[sid],
                bundle.history.get(sid, set()),
                s.ask_round,
            )
        )
    deals = [
        (r.startup_id, cid, r.when, r.round)
        for cid, rels in rec.corpus.relations[kind].items()
        for r in rels
        if r.startup_id is not None
    ]
    vectors = {i: rec.corpus.vector("startup", i, p) for i, p in bundle.startups.items()}
    return queries, History(deals, rec.corpus.stats(kind)[2], bundle, vectors)


def _scaled(values: Mapping[int, float]) -> dict[int, float]:
    top = max(values.values(), default=0.0)
    return {c: math.log1p(v) / math.log1p(top) if top > 0 else 0.0 for c, v in values.items()}


def decayed_popularity(h: History, half_life: float) -> Callable[[Query, int], float]:
    weight: dict[int, float] = defaultdict(float)
    for _, cid, when, _ in h.deals:
        if when is not None:
            weight[cid] += 0.5 ** ((h.latest - when) / half_life)
    scaled = _scaled(weight)
    return lambda q, c: scaled.get(c, 0.0)


def item_knn(h: History) -> Callable[[Query, int], float]:
    """Co-investment cosine of the candidate to the startup's current backers."""
    by_startup: dict[int, set[int]] = defaultdict(set)
    for sid, cid, _, _ in h.deals:
        by_startup[sid].add(cid)
    co: dict[int, Counter[int]] = defaultdict(Counter)
    for backers in by_startup.values():
        for a in backers:
            for b in backers - {a}:
                co[a][b] += 1
    degree = Counter(cid for _, cid, _, _ in h.deals)
    return lambda q, c: sum(
        co[b][c] / math.sqrt(degree[b] * degree[c]) for b in q.linked if degree[b] and degree[c]
    )


def bm25(h: History, k1: float = 1.2, b: float = 0.75) -> Callable[[Query, int], float]:
    """BM25 of the startup's text against the concatenated texts of the candidate's portfolio."""
    startups = h.bundle.startups
    words = {i: tokenize(s.description + " " + " ".join(s.sectors)) for i, s in startups.items()}
    docs: dict[int, Counter[str]] = defaultdict(Counter)
    for sid, cid, _, _ in h.deals:
        docs[cid].update(words.get(sid, []))
    n = len(docs)
    df: Counter[str] = Counter(t for d in docs.values() for t in set(d))
    avg = float(np.mean([sum(d.values()) for d in docs.values()])) if docs else 1.0
    idf = {t: math.log(1 + (n - m + 0.5) / (m + 0.5)) for t, m in df.items()}
    cache: dict[int, dict[int, float]] = {}

    def score(q: Query, c: int) -> float:
        if q.sid not in cache:
            terms = set(words[q.sid])
            raw = {
                cid: sum(
                    idf[t] * d[t] * (k1 + 1) / (d[t] + k1 * (1 - b + b * sum(d.values()) / avg))
                    for t in terms
                    if t in d
                )
                for cid, d in docs.items()
            }
            top = max(raw.values(), default=0.0) or 1.0
            cache[q.sid] = {cid: v / top for cid, v in raw.items()}
        return cache[q.sid].get(c, 0.0)

    return score


def shrunk_share(
    h: History, key: Callable[[int], list[str]], query_keys: Callable[[Query], list[str]], a: float
) -> Callable[[Query, int], float]:
    """P(candidate | key) with ``a`` pseudo-deals at the candidate's overall share, scaled so
    the busiest candidate's overall share is 1 (sector or round priors)."""
    by_key: dict[str, Counter[int]] = defaultdict(Counter)
    total: Counter[str] = Counter()
    overall = Counter(cid for _, cid, _, _ in h.deals)
    n = sum(overall.values())
    for sid, cid, _, _ in h.deals:
        for k in key(sid):
            by_key[k][cid] += 1
            total[k] += 1
    top = max(overall.values()) / n

    def score(q: Query, c: int) -> float:
        ks = [k for k in query_keys(q) if k in total]
        base = overall[c] / n
        if not ks:
            return base / top
        return sum((by_key[k][c] + a * base) / (total[k] + a) for k in ks) / len(ks) / top

    return score


def momentum_ratio(h: History, window: float) -> Callable[[Query, int], float]:
    recent: Counter[int] = Counter()
    before: Counter[int] = Counter()
    for _, cid, when, _ in h.deals:
        if when is None:
            continue
        ago = h.latest - when
        if ago < window:
            recent[cid] += 1
        elif ago < window + 2.0:
            before[cid] += 1

    def score(q: Query, c: int) -> float:
        r = (recent[c] + 0.5) / (before[c] * window / 2.0 + 0.5)
        return r / (1 + r)

    return score


def recent_neighbour_vote(
    h: History, half_life: float, k: int = 30
) -> Callable[[Query, int], float]:
    sids = sorted(h.vectors)
    matrix = np.stack([h.vectors[i] for i in sids])
    deals: dict[int, list[tuple[int, float | None]]] = defaultdict(list)
    for sid, cid, when, _ in h.deals:
        deals[sid].append((cid, when))
    cache: dict[int, dict[int, float]] = {}

    def score(q: Query, c: int) -> float:
        if q.sid not in cache:
            sims = matrix @ h.vectors[q.sid]
            votes: dict[int, float] = defaultdict(float)
            total = 0.0
            for i in [j for j in np.argsort(-sims) if sids[j] != q.sid][:k]:
                w = max(0.0, float(sims[i])) ** 2
                total += w
                for cid, when in deals[sids[i]]:
                    votes[cid] += w * (0.5 ** ((h.latest - when) / half_life) if when else 0.0)
            cache[q.sid] = {cid: v / total for cid, v in votes.items()} if total else {}
        return cache[q.sid].get(c, 0.0)

    return score


def recent_history_similarity(h: History, half_life: float) -> Callable[[Query, int], float]:
    """How like the startup the candidate's *recent* deals are: the recency-weighted mean of the
    startup's cosines to the companies the candidate backed (weights halve every ``half_life``
    years; undated deals count as old), over its three closest deals, 0 without dated deals.
    ``history_top3`` weighs a deal of ten years ago like last year's; theses drift."""
    deals: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for sid, cid, when, _ in h.deals:
        if when is not None and sid in h.vectors:
            deals[cid].append((sid, 0.5 ** ((h.latest - when) / half_life)))
    cache: dict[int, dict[int, float]] = {}

    def score(q: Query, c: int) -> float:
        if q.sid not in cache:
            v = h.vectors[q.sid]
            out = {}
            for cid, rows in deals.items():
                rows = [(sid, w) for sid, w in rows if sid != q.sid]
                if not rows:
                    continue
                sims = np.array([float(h.vectors[sid] @ v) for sid, _ in rows])
                weights = np.array([w for _, w in rows])
                top = np.argsort(-sims)[:3]
                out[cid] = float(np.sum(np.maximum(sims[top], 0) * weights[top]) / 3.0)
            cache[q.sid] = out
        return cache[q.sid].get(c, 0.0)

    return score


def co_investor_activity(h: History) -> Callable[[Query, int], float]:
    """Mean recent activity of the funds the candidate co-invested with."""
    activity = decayed_popularity(h, 0.2)
    by_startup: dict[int, set[int]] = defaultdict(set)
    for sid, cid, _, _ in h.deals:
        by_startup[sid].add(cid)
    co: dict[int, Counter[int]] = defaultdict(Counter)
    for backers in by_startup.values():
        for a in backers:
            for b in backers - {a}:
                co[a][b] += 1
    dummy = Query(0, [], {}, set(), set(), None)
    raw = {
        c: sum(n * activity(dummy, b) for b, n in partners.items()) / sum(partners.values())
        for c, partners in co.items()
    }
    top = max(raw.values(), default=0.0) or 1.0
    return lambda q, c: raw.get(c, 0.0) / top


def variants(
    h: History,
) -> dict[str, tuple[dict[str, float], Callable[[Query, int], float] | None]]:
    """name -> (serves weights, extra feature ``x`` or None)."""
    base = dict(F.SERVES_WEIGHTS)
    startups = h.bundle.startups

    def sectors(sid: int) -> list[str]:
        return [x.casefold() for x in startups[sid].sectors] if sid in startups else []

    def region(sid: int) -> list[str]:
        loc = startups[sid].location if sid in startups else ""
        head = loc.split("-")[0].split(",")[0].strip().casefold()
        return [head] if head else []

    rounds = {sid: rnd for sid, _, _, rnd in h.deals if rnd}
    out: dict[str, tuple[dict[str, float], Callable[[Query, int], float] | None]] = {
        "engine (defaults, momentum 0.10)": (base, None),
        "momentum 0 (before this change)": (base | {"momentum": 0.0}, None),
        "momentum 0.05": (base | {"momentum": 0.05}, None),
        "momentum 0.20": (base | {"momentum": 0.2}, None),
        "momentum window 1 year, 0.10": (
            base | {"momentum": 0.0, "x": 0.1},
            momentum_ratio(h, 1.0),
        ),
        "neighbour_vote 0.30": (base | {"neighbour_vote": 0.3}, None),
        "activity_long 0.10 (1-year half-life)": (base | {"activity_long": 0.1}, None),
        "round_activity 0.10": (base | {"round_activity": 0.1}, None),
    }
    for half_life in (0.5, 1.0, 2.0):
        out[f"+ decayed popularity, half-life {half_life:g} y, 0.10"] = (
            base | {"x": 0.1},
            decayed_popularity(h, half_life),
        )
    out["+ co-investment item-kNN, 0.05"] = (base | {"x": 0.05}, item_knn(h))
    out["+ BM25 over portfolio texts, 0.05"] = (base | {"x": 0.05}, bm25(h))
    out["+ BM25 over portfolio texts, 0.10"] = (base | {"x": 0.1}, bm25(h))
    out["+ sector prior (shrinkage 10 deals), 0.10"] = (
        base | {"x": 0.1},
        shrunk_share(h, sectors, lambda q: sectors(q.sid), 10.0),
    )
    out["+ round prior (shrinkage 5 deals), 0.10"] = (
        base | {"x": 0.1},
        shrunk_share(
            h,
            lambda sid: [rounds[sid]] if sid in rounds else [],
            lambda q: [q.round] if q.round else [],
            5.0,
        ),
    )
    out["+ location share (shrinkage 3 deals), 0.10"] = (
        base | {"x": 0.1},
        shrunk_share(h, region, lambda q: region(q.sid), 3.0),
    )
    out["+ recency-weighted neighbour vote (1 y), 0.10"] = (
        base | {"x": 0.1},
        recent_neighbour_vote(h, 1.0),
    )
    out["+ co-investors' recent activity, 0.10"] = (base | {"x": 0.1}, co_investor_activity(h))
    for half_life in (0.5, 1.0):
        for w in (0.05, 0.10):
            out[f"+ recent-history similarity (half-life {half_life:g} y), {w:.2f}"] = (
                base | {"x": w},
                recent_history_similarity(h, half_life),
            )
    return out


def measure(
    queries: list[Query], weights: Mapping[str, float], extra: Callable[[Query, int], float] | None
) -> list[float]:
    out = []
    for q in queries:
        scores = {}
        for c in q.cands:
            f = q.feats[c] if extra is None else {**q.feats[c], "x": extra(q, c)}
            scores[c] = F.two_sided_score(f, [], weights)
        ranked = sorted(q.cands, key=lambda c: (-scores[c], c))
        out.append(ndcg_at_k(ranked, q.relevant))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundles", type=Path, nargs="+")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--cache", type=Path, help="cache embeddings of bundle texts here")
    args = parser.parse_args(argv)
    rows: dict[str, list[str]] = defaultdict(list)
    for folder in args.bundles:
        bundle = load_bundle(folder)
        inner: Any = make_embedder(args.model)
        embedder = CachedEmbedder(inner, args.cache) if args.cache else inner
        rec = Recommender(embedder)
        rec.sync("startup", bundle.startups.values())
        rec.sync(bundle.kind, bundle.candidates)
        queries, history = collect(bundle, rec)
        sizes = Counter(cid for _, cid, _, _ in history.deals)
        popularity = [
            ndcg_at_k(sorted(q.cands, key=lambda c: (-sizes[c], c)), q.relevant) for q in queries
        ]
        pop_mean = float(np.mean(popularity))
        for name, (weights, extra) in variants(history).items():
            ours = measure(queries, weights, extra)
            ci = paired_bootstrap(ours, popularity)
            mean = float(np.mean(ours))
            rows[name].append(
                f"{mean:.4f} ({mean / pop_mean:.3f}, [{ci['ci_low']:+.4f}, {ci['ci_high']:+.4f}])"
            )
        rows["popularity"].append(f"{pop_mean:.4f}")
        print(f"{folder.name}: {len(queries)} queries", file=sys.stderr)
    names = " | ".join(f.name for f in args.bundles)
    print(f"| variant | {names} |")
    print("|---|" + "---|" * len(args.bundles))
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
