"""Evaluate the recommendation engine on a benchmark bundle, without the database.

Loads a bundle (see /work/shared/eval/README.md) straight into the engine's profile dataclasses,
ranks every query startup's candidates with the same ``Recommender`` methods the app calls, and
prints recall@10, nDCG@10 and MRR for the engine and the baselines.

    .venv/bin/python scripts/eval_engine_standalone.py /work/shared/eval/dev-yc-crunchbase
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from tqdm import tqdm

from matchmaker import vocab
from matchmaker.recommend.embedding import (
    DEFAULT_MODEL,
    HashingEmbedder,
    SentenceTransformerEmbedder,
)
from matchmaker.recommend.evaluation import BASELINES, baseline_rankings, evaluate
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import (
    InvestorProfile,
    MentorProfile,
    PortfolioEntry,
    StartupProfile,
)

_ROUND_PATTERNS = (  # bundle round labels (English or Chinese) -> vocab.ROUNDS codes
    (r"pre[\s_-]*a", "pre_a"),
    (r"seed|种子", "seed"),
    (r"angel|天使", "angel"),
    (r"^(series[\s_-]*)?a\b|^a轮|^a$", "a"),
    (r"^(series[\s_-]*)?[b-z]\b|^[b-z]轮|b轮|c轮|d轮|后期|growth|private", "b_plus"),
)


def map_round(raw: str | None) -> str | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text in vocab.ROUNDS:
        return text
    for pattern, code in _ROUND_PATTERNS:
        if re.search(pattern, text):
            return code
    return None


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
    kind: str  # "investor" | "mentor"
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
    kind = "investor" if task == "investors" else "mentor"
    cands: list = []
    for c in raw_cands:
        i, past = cid[c["id"]], links.get(cid[c["id"]], [])
        if kind == "investor":
            portfolio = tuple(
                PortfolioEntry(
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


def run(bundle: Bundle, rec: Recommender) -> dict[str, dict[str, float]]:
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
    results = {"engine": evaluate(engine, bundle.relevant)}
    for name in BASELINES:
        results[name] = evaluate(base[name], bundle.relevant)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="sentence-transformers model name or local folder"
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
    embedder = HashingEmbedder() if args.hashing else SentenceTransformerEmbedder(args.model)
    kwargs = (
        {"mentors": bundle.candidates}
        if bundle.kind == "mentor"
        else {"investors": bundle.candidates}
    )
    rec = Recommender.from_profiles(
        embedder, startups=bundle.startups.values(), show_progress=True, **kwargs
    )
    results = run(bundle, rec)
    print(
        f"bundle {args.bundle.name}: task={bundle.task}, {len(bundle.relevant)} query startups,"
        f" {len(bundle.candidates)} candidates, embedder={embedder.model_id}"
    )
    print(f"{'ranker':<12} {'recall@10':>10} {'ndcg@10':>10} {'mrr':>10}")
    for name, m in results.items():
        print(f"{name:<12} {m['recall@10']:>10.4f} {m['ndcg@10']:>10.4f} {m['mrr']:>10.4f}")
    best = max(results[b]["ndcg@10"] for b in BASELINES)
    print(
        f"engine / best baseline nDCG@10 = {results['engine']['ndcg@10'] / best:.3f}"
        f"  ({time.perf_counter() - started:.1f}s)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
