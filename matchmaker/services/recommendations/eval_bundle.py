"""Benchmark bundles (``benchmarks/bundles/README.md``): import into a database, then evaluate.

``import_bundle`` writes a bundle's startups and candidates as ordinary rows: investors with
``PortfolioEntry`` rows linked to the startups of ``history.csv``, mentors (each with a user) with
``MentorMentee`` rows, and a query's round as the startup's open ``FundingAsk``. Nothing from
``queries.csv`` reaches a candidate's profile. ``evaluate_bundle`` loads a bundle into a fresh
temporary SQLite database, builds the indexes in a temporary folder with the configured embedder
and ranks every query startup through ``services.recommendations.bridge`` — the functions the web
app calls — then scores the engine and the baselines with ``recommend.evaluation``.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.models import (
    FundingAsk,
    Investor,
    MatchOutcome,
    MentorMentee,
    MentorProfile,
    PortfolioEntry,
    Startup,
    User,
)
from matchmaker.recommend.evaluation import (
    BASELINES,
    METRICS,
    baseline_rankings,
    compare_with_best_baseline,
    evaluate,
)
from matchmaker.recommend.kinds import pair_kind

# Bundle round labels (English or Chinese) -> vocab.ROUNDS codes; unknown labels -> None.
_ROUND_PATTERNS = (
    (r"pre[\s_-]*a", "pre_a"),
    (r"seed|种子", "seed"),
    (r"angel|天使", "angel"),
    (r"^(series[\s_-]*)?a\b|^a轮|^a$|^a\+", "a"),
    (r"^(series[\s_-]*)?[b-z]\b|^[b-z]轮|b轮|c轮|d轮|后期|growth|private|ipo|上市|战略", "b_plus"),
)
# The ask amount is not in the bundles; FundingAsk requires one. Bundle investors state no
# ticket range, so the ticket-fit feature stays "unknown" whatever this placeholder is.
PLACEHOLDER_ASK_AMOUNT = Decimal("1")


class BundleError(ValueError):
    """The folder is not a readable bundle."""


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


def _year(text: Any) -> int | None:
    m = re.search(r"(19|20)\d\d", str(text or ""))
    return int(m.group(0)) if m else None


def _iso_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def _cut(text: Any, n: int) -> str:
    return str(text or "").strip()[:n]


def _codes(values: Any) -> list[str]:
    if isinstance(values, str):  # "a, b" instead of ["a", "b"]
        values = re.split(r"[,;|，、]", values)
    out = []
    for v in values or ():
        code = _cut(v, 60).replace("|", "/")
        if code and code not in out:
            out.append(code)
    return out


@dataclass
class ImportedBundle:
    name: str
    task: str  # "investors" | "mentors"
    language: str
    kind: str  # "investor" | "mentor"
    startup_ids: dict[str, int]  # bundle id -> database id
    candidate_ids: dict[str, int]
    history: dict[int, set[int]] = field(default_factory=dict)  # startup -> linked candidates
    relevant: dict[int, set[int]] = field(default_factory=dict)  # query startup -> held out


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BundleError(f"missing {path.name}")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BundleError(f"missing {path.name}")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        raise BundleError(f"{folder} has no manifest.json")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("task") not in ("investors", "mentors"):
        raise BundleError(f"unknown task {manifest.get('task')!r}")
    return dict(manifest)


def import_bundle(session: Session, folder: Path | str) -> ImportedBundle:
    """Write the bundle into ``session``'s database (one commit) and return the id maps."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    task = manifest["task"]
    kind = "investor" if task == "investors" else "mentor"
    raw_startups = _jsonl(folder / "startups.jsonl")
    raw_cands = [
        c
        for c in _jsonl(folder / "candidates.jsonl")
        if (c.get("kind") or kind) == kind  # a bundle ranks one kind of candidate
    ]
    startups: dict[str, Startup] = {}
    for s in raw_startups:
        sid = str(s["id"])
        if sid in startups:
            continue
        founded = _year(s.get("founded"))
        startups[sid] = Startup(
            name=_cut(s.get("name") or sid, 120),
            description=str(s.get("description") or ""),
            sectors=_codes(s.get("sectors")),
            stage=s.get("stage") if s.get("stage") in vocab.STAGES else "",
            funding_round="",
            location=_cut(s.get("location"), 120),
            founded_on=date(founded, 1, 1) if founded else None,
        )
    session.add_all(startups.values())
    session.flush()

    def rows(name: str) -> list[dict[str, str]]:
        out = [
            r
            for r in _csv(folder / name)
            if r.get("startup_id") in startups and r.get("candidate_id") in cand_keys
        ]
        return sorted(out, key=lambda r: r.get("date") or "")

    cand_keys = {str(c["id"]) for c in raw_cands}
    history_rows = rows("history.csv")
    query_rows = rows("queries.csv")
    by_cand: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in history_rows:
        by_cand[r["candidate_id"]].append(r)

    candidates: dict[str, Any] = {}
    for n, c in enumerate(raw_cands, start=1):
        cid = str(c["id"])
        if cid in candidates:
            continue
        name = _cut(c.get("name") or cid, 120)
        if kind == "investor":
            inv = Investor(name=_cut(name, 160), type="", thesis=str(c.get("description") or ""))
            for r in by_cand.get(cid, []):  # one entry per deal (a company's rounds count apart)
                startup = startups[r["startup_id"]]
                inv.portfolio.append(
                    PortfolioEntry(
                        company=_cut(startup.name, 160),
                        round=map_round(r.get("round")) or "",
                        year=_year(r.get("date")),
                        startup_id=startup.id,
                    )
                )
            candidates[cid] = inv
        else:
            user = User(
                email=f"bundle-mentor-{n}@eval.invalid",
                password_hash="!",  # noqa: S106 - not a hash: nobody can sign in as it
                display_name=name,
                roles=["mentor"],
            )
            candidates[cid] = MentorProfile(
                user=user, kind="", expertise=str(c.get("description") or "")
            )
    session.add_all(candidates.values())
    session.flush()
    if kind == "mentor":
        seen_pairs: set[tuple[int, int]] = set()
        for r in history_rows:
            pair = (candidates[r["candidate_id"]].id, startups[r["startup_id"]].id)
            if pair not in seen_pairs:
                seen_pairs.add(pair)
                session.add(
                    MentorMentee(
                        mentor_id=pair[0],
                        startup_id=pair[1],
                        since=_iso_day(r.get("date")),
                        source="imported",
                    )
                )

    else:
        # An investment before the split is an outcome the platform would have recorded: its
        # day gives the engine recency finer than the portfolio entry's year.
        for r in history_rows:
            day = _iso_day(r.get("date"))
            if day is not None:
                session.add(
                    MatchOutcome(
                        startup_id=startups[r["startup_id"]].id,
                        candidate_kind="investor",
                        candidate_id=candidates[r["candidate_id"]].id,
                        outcome="invested",
                        created_at=datetime(day.year, day.month, day.day),
                    )
                )

    result = ImportedBundle(
        name=str(manifest.get("name") or folder.name),
        task=task,
        language=str(manifest.get("language") or "en"),
        kind=kind,
        startup_ids={k: s.id for k, s in startups.items()},
        candidate_ids={k: c.id for k, c in candidates.items()},
    )
    for r in history_rows:
        result.history.setdefault(startups[r["startup_id"]].id, set()).add(
            candidates[r["candidate_id"]].id
        )
    ask_round: dict[int, str] = {}
    for r in query_rows:
        s_id = startups[r["startup_id"]].id
        c_id = candidates[r["candidate_id"]].id
        result.relevant.setdefault(s_id, set()).add(c_id)
        code = map_round(r.get("round"))
        if code and s_id not in ask_round:
            ask_round[s_id] = code
    for s_id, code in ask_round.items():
        session.add(
            FundingAsk(startup_id=s_id, round=code, amount=PLACEHOLDER_ASK_AMOUNT, is_open=True)
        )
    session.commit()
    return result


@dataclass
class EvalResult:
    bundle: str
    task: str
    language: str
    queries: int
    candidates: int
    embedder: str
    engine: dict[str, float]
    baselines: dict[str, dict[str, float]]
    vs_best_baseline: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """The ``flask eval --json`` object."""
        return {
            "bundle": self.bundle,
            "engine": {m: self.engine[m] for m in METRICS},
            "baselines": {b: {m: v[m] for m in METRICS} for b, v in self.baselines.items()},
            "vs_best_baseline": self.vs_best_baseline,
            "calibration": self.calibration,
        }


def evaluate_bundle(
    folder: Path | str,
    *,
    embedding_model: str,
    model_dir: Path | str | None = None,
    show_progress: bool = True,
    progress: Callable[[Any], Any] | None = None,
    calibrate: bool = True,
) -> EvalResult:
    """Import ``folder`` into a throw-away SQLite database and measure the engine on it.

    ``model_dir``: where learned rankers are read from; None (default) uses a temporary empty
    folder, i.e. the default two-sided weights (a ranker trained on platform outcomes says
    nothing about a foreign bundle). ``calibrate``: first run ``engines.calibrate_engine`` on the
    bundle's history (the relations the platform would hold; queries are never read by it),
    as ``flask calibrate`` does on a live platform.

    The result carries, besides the means, the paired bootstrap 95 % interval of the engine's
    nDCG@10 minus the best baseline's (``vs_best_baseline``).
    """
    import time

    from matchmaker import migrate
    from matchmaker.database import make_engine
    from matchmaker.services.recommendations import bridge as reco
    from matchmaker.services.recommendations import engine_settings, engines

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="matchmaker-eval-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bundle.sqlite3'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                bundle = import_bundle(session, folder)
                settings = engine_settings.EngineSettings(
                    index_dir=Path(tmp) / "indexes",
                    model_dir=Path(model_dir) if model_dir else Path(tmp) / "models",
                    embedding_model=embedding_model,
                )
                engines.build_indexes(session, settings, show_progress=show_progress)
                calibrations = (  # from the imported history only, as on a live platform
                    engines.calibrate_engine(session, settings, [bundle.kind]) if calibrate else []
                )
                rec = engines.engine_for(session, settings)
                all_ids = sorted(bundle.candidate_ids.values())
                ranked: dict[int, list[int]] = {}
                base: dict[str, dict[int, list[int]]] = {b: {} for b in BASELINES}
                queries = sorted(bundle.relevant)
                iterator: Any = progress(queries) if progress else queries
                for s_id in iterator:
                    if bundle.kind == "investor":
                        matches = reco.recommend_investors(
                            session, s_id, limit=len(all_ids), settings=settings, rank_all=True
                        )
                    else:
                        matches = reco.recommend_mentors(
                            session, s_id, limit=len(all_ids), settings=settings, rank_all=True
                        )
                    ranked[s_id] = [m.id for m in matches]
                    linked = bundle.history.get(s_id, set())
                    startup = rec.profile("startup", s_id)
                    others = [i for i in all_ids if i not in linked]
                    kind = pair_kind(bundle.kind)
                    for name, order in baseline_rankings(rec, kind, startup, others).items():
                        base[name][s_id] = order
                result = EvalResult(
                    bundle=bundle.name,
                    task=bundle.task,
                    language=bundle.language,
                    queries=len(queries),
                    candidates=len(all_ids),
                    embedder=rec.corpus.embedder.model_id,
                    engine=evaluate(ranked, bundle.relevant),
                    baselines={b: evaluate(base[b], bundle.relevant) for b in BASELINES},
                    vs_best_baseline=compare_with_best_baseline(ranked, base, bundle.relevant),
                    calibration=(
                        {
                            "method": calibrations[0].method,
                            "weights": calibrations[0].weights,
                            "metrics": calibrations[0].metrics,
                        }
                        if calibrations
                        else {}
                    ),
                )
        finally:
            engines.forget_engines()
            engine.dispose()
    result.seconds = time.perf_counter() - started
    return result
