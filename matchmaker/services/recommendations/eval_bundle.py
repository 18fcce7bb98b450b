"""Benchmark bundles (``benchmarks/bundles/README.md``) evaluated: ``evaluate_bundle`` loads a
bundle into a fresh temporary SQLite database (``bundle_import``), builds the indexes in a
temporary folder with the configured embedder and ranks every query startup through
``services.recommendations.bridge`` — the functions the web app calls — then scores the engine
and the baselines with ``recommend.evaluation``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from matchmaker.recommend.evaluation import (
    BASELINES,
    METRICS,
    baseline_rankings,
    compare_with_best_baseline,
    evaluate,
)
from matchmaker.recommend.kinds import pair_kind
from matchmaker.services.recommendations.bundle_import import ImportedBundle, import_bundle

if TYPE_CHECKING:
    from matchmaker.recommend.calibration import Calibration
    from matchmaker.recommend.ranking import Recommender
    from matchmaker.services.recommendations.engine_settings import Caller, EngineSettings


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


def _rank_queries(
    session: Session,
    bundle: ImportedBundle,
    settings: EngineSettings,
    rec: Recommender,
    queries: list[int],
    progress: Callable[[Any], Any] | None,
    caller: Caller,
) -> tuple[dict[int, list[int]], dict[str, dict[int, list[int]]]]:
    """Every candidate ranked for each query startup by the engine (through the bridge, as the
    web app asks) and by each baseline; the startup's linked candidates are left to the engine's
    own exclusion and out of the baselines."""
    from matchmaker.services.recommendations import bridge

    all_ids = sorted(bundle.candidate_ids.values())
    ranked: dict[int, list[int]] = {}
    base: dict[str, dict[int, list[int]]] = {b: {} for b in BASELINES}
    iterator: Any = progress(queries) if progress else queries
    for s_id in iterator:
        if bundle.kind == "investor":
            matches = bridge.recommend_investors(
                session, s_id, limit=len(all_ids), settings=settings, caller=caller, rank_all=True
            )
        else:
            matches = bridge.recommend_mentors(
                session, s_id, limit=len(all_ids), settings=settings, caller=caller, rank_all=True
            )
        ranked[s_id] = [m.id for m in matches]
        linked = bundle.history.get(s_id, set())
        startup = rec.profile("startup", s_id)
        others = [i for i in all_ids if i not in linked]
        kind = pair_kind(bundle.kind)
        for name, order in baseline_rankings(rec, kind, startup, others).items():
            base[name][s_id] = order
    return ranked, base


def _calibration_summary(calibrations: Sequence[Calibration]) -> dict[str, Any]:
    if not calibrations:
        return {}
    return {
        "method": calibrations[0].method,
        "weights": calibrations[0].weights,
        "metrics": calibrations[0].metrics,
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
                # Not a web request, and no app: the engine may build, and never queues a
                # rebuild of this throw-away database on the live app's queue.
                offline = engine_settings.Caller.offline()
                engines.build_indexes(session, settings, show_progress=show_progress)
                calibrations = (  # from the imported history only, as on a live platform
                    engines.calibrate_engine(session, settings, [bundle.kind], caller=offline)
                    if calibrate
                    else []
                )
                rec = engines.engine_for(session, settings, caller=offline)
                all_ids = sorted(bundle.candidate_ids.values())
                queries = sorted(bundle.relevant)
                ranked, base = _rank_queries(
                    session, bundle, settings, rec, queries, progress, offline
                )
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
                    calibration=_calibration_summary(calibrations),
                )
        finally:
            engines.forget_engines()
            engine.dispose()
    result.seconds = time.perf_counter() - started
    return result
