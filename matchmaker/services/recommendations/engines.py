"""The engine this process serves, its files (indexes, learned rankers, calibrations) and the
entry points that build, check, train and calibrate it (CLI, jobs, evaluation)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import MatchOutcome
from matchmaker.recommend import texts as T
from matchmaker.recommend.calibration import Calibration, CalibrationInvalid
from matchmaker.recommend.corpus import KINDS, TEXTS
from matchmaker.recommend.features import FEATURE_NAMES
from matchmaker.recommend.history import PORTFOLIO
from matchmaker.recommend.kinds import PairKind, is_pair_kind
from matchmaker.recommend.learn import (
    LearnedRanker,
    RankerInvalid,
    load_usable_ranker,
    train_ranker,
)
from matchmaker.recommend.ranking import Recommender, RecommenderConfig
from matchmaker.recommend.store import (
    IndexUnavailable,
    current_version,
    load_index,
    read_manifest,
    version_dir,
)
from matchmaker.services.errors import NotFound
from matchmaker.services.recommendations import engine_state, indexing
from matchmaker.services.recommendations.engine_settings import (
    Caller,
    EngineSettings,
    get_embedder,
    settings_for,
)
from matchmaker.services.recommendations.indexing import BuildReport
from matchmaker.services.recommendations.profiles import load_profiles, startup_for_ranking
from matchmaker.services.recommendations.served_engine import ServingEngine

log = logging.getLogger(__name__)

PAIR_KINDS: tuple[PairKind, ...] = ("mentor", "investor")


# -- the engine this process serves ------------------------------------------------------------


def engine_key(session: Session, settings: EngineSettings) -> tuple[str, str, str]:
    """Which served engine of this process a call means: (database, index folder, model)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    return (_url_text(engine.url), _resolved(settings.index_dir), settings.embedding_model)


# A page asks for its engine several times; composing the URL and resolving the folder (system
# calls) each time cost 20-40 µs a call.
@lru_cache(maxsize=64)
def _url_text(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


@lru_cache(maxsize=64)
def _resolved(folder: str | Path) -> str:
    return str(Path(folder).resolve())


def serving_engine_for(
    session: Session, settings: EngineSettings | None = None, *, caller: Caller
) -> ServingEngine:
    """The engine this process serves (its version, or lexical-only) for this database.
    ``caller`` says who asks (a web request only loads); without ``settings``, its app's."""
    settings = settings_for(settings, caller)
    return engine_state.serving_engine(session, settings, engine_key(session, settings), caller)


def engine_status(
    session: Session, settings: EngineSettings | None = None, *, caller: Caller
) -> Any:
    """``engine_state.EngineStatus`` of this process (operator console)."""
    settings = settings_for(settings, caller)
    return engine_state.status(settings, engine_key(session, settings))


def load_rankers(model_dir: Path | str, config: RecommenderConfig) -> dict[str, LearnedRanker]:
    """Learned rankers in ``model_dir`` (``ranker-<kind>.json``) that are valid and usable."""
    out: dict[str, LearnedRanker] = {}
    for kind in PAIR_KINDS:
        path = Path(model_dir) / f"ranker-{kind}.json"
        try:
            ranker = load_usable_ranker(
                path, kind, FEATURE_NAMES, min_rows=config.min_training_rows
            )
        except RankerInvalid:
            log.exception("ignoring invalid ranker file %s", path)
            continue
        if ranker is not None:
            out[kind] = ranker
    return out


def calibration_path(model_dir: Path | str, kind: str) -> Path:
    return Path(model_dir) / f"calibration-{kind}.json"


def adopt_calibrations(rec: Recommender, model_dir: Path | str) -> None:
    """Score with ``MODEL_DIR/calibration-<kind>.json`` where present and valid; an invalid
    file is logged and ignored (the default weights apply)."""
    for kind in PAIR_KINDS:
        path = calibration_path(model_dir, kind)
        if not path.is_file():
            continue
        try:
            rec.set_calibration(kind, Calibration.load(path))
        except CalibrationInvalid:
            log.exception("ignoring invalid calibration file %s", path)


def engine_for(
    session: Session, settings: EngineSettings | None = None, *, caller: Caller
) -> Recommender:
    """The ``Recommender`` this process serves for this database and index folder."""
    return serving_engine_for(session, settings, caller=caller).recommender


def forget_engines() -> None:
    """Drop every in-memory engine of this process (tests; a fresh process starts so)."""
    engine_state.forget()


# -- index lifecycle ----------------------------------------------------------------------------


def build_indexes(
    session: Session,
    settings: EngineSettings,
    kinds: Sequence[str] | None = None,
    show_progress: bool = True,
) -> BuildReport:
    """Build and publish a new index version now (what the queue's job does), reusing stored
    vectors: only new or changed texts are embedded. Every kind is built (a version holds them
    all); ``kinds`` limits the report."""
    for kind in kinds or ():
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    report = indexing.build_and_publish(session, settings, show_progress=show_progress, force=True)
    if kinds:
        report = replace(report, kinds=[k for k in report.kinds if k.kind in kinds])
    return report


def _published_dir(settings: EngineSettings) -> Path | None:
    version = current_version(settings.index_dir)
    return None if version is None else version_dir(settings.index_dir, version)


@dataclass(frozen=True)
class IndexStatus:
    kind: str
    present: bool
    count: int | None = None
    model_id: str | None = None
    template_version: str | None = None
    index_type: str | None = None
    recall_at_10: float | None = None
    created_at: str | None = None
    data_watermark: str | None = None
    problem: str | None = None


def index_status(settings: EngineSettings) -> list[IndexStatus]:
    """What the published version holds, from its manifests (no model load, no checksum)."""
    out = []
    folder = _published_dir(settings)
    for kind in (*KINDS, PORTFOLIO):
        try:
            if folder is None:
                raise IndexUnavailable(f"no published index version under {settings.index_dir}")
            m = read_manifest(folder, kind)
        except IndexUnavailable as exc:
            out.append(IndexStatus(kind, False, problem=str(exc)))
            continue
        out.append(
            IndexStatus(
                kind,
                True,
                m.count,
                m.model_id,
                m.template_version,
                m.index_type,
                m.recall_at_10,
                m.created_at,
                m.data_watermark,
            )
        )
    return out


@dataclass(frozen=True)
class IndexCheck:
    kind: str
    ok: bool
    problem: str = ""


def verify_indexes(session: Session, settings: EngineSettings) -> list[IndexCheck]:
    """Checksums, model, template and dimension of every index of the published version, and
    whether its content matches the database (same ids, same content hashes)."""
    embedder = get_embedder(settings.embedding_model)
    probe = Recommender(embedder)
    out = []
    folder = _published_dir(settings)
    for kind in KINDS:
        try:
            if folder is None:
                raise IndexUnavailable(f"no published index version under {settings.index_dir}")
            index, _, hashes = load_index(
                folder,
                kind,
                model_id=embedder.model_id,
                template_version=TEXTS[kind][1],
                dim=embedder.dim,
            )
        except IndexUnavailable as exc:
            out.append(IndexCheck(kind, False, f"{type(exc).__name__}: {exc}"))
            continue
        profiles = load_profiles(session, kind)
        expected = {
            i: T.content_hash(probe.corpus.text(kind, p), embedder.model_id, TEXTS[kind][1])
            for i, p in profiles.items()
        }
        ids = set(index.ids().tolist())
        missing = set(expected) - ids
        extra = ids - set(expected)
        changed = [i for i in set(expected) & ids if hashes.get(i) != expected[i]]
        if missing or extra or changed:
            out.append(
                IndexCheck(
                    kind,
                    False,
                    f"stale: {len(missing)} missing, {len(extra)} removed,"
                    f" {len(changed)} changed profiles",
                )
            )
        else:
            out.append(IndexCheck(kind, True))
    return out


# -- learning from outcomes ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrainResult:
    kind: str
    rows: int
    positives: int
    path: Path | None
    metrics: dict[str, float]
    message: str


def train_rankers(
    session: Session,
    settings: EngineSettings,
    kinds: Sequence[str] = PAIR_KINDS,
    *,
    caller: Caller,
) -> list[TrainResult]:
    """Fit a learned ranker per kind from ``MatchOutcome`` rows and write it to
    ``MODEL_DIR/ranker-<kind>.json``; kinds with too few (or one-sided) outcomes keep the
    default weights and say so. ``caller``: the command or job (never a web request)."""
    rec = engine_for(session, settings, caller=caller)
    min_rows = rec.config.min_training_rows
    out = []
    for kind in kinds:
        if not is_pair_kind(kind):
            raise ValueError(f"no learned ranker for kind {kind!r}")
        outcomes = session.scalars(
            sa.select(MatchOutcome)
            .where(MatchOutcome.candidate_kind == kind)
            .order_by(MatchOutcome.startup_id, MatchOutcome.id)
        ).all()
        rows: list[tuple[dict[str, float], int]] = []
        by_startup: dict[int, list[MatchOutcome]] = defaultdict(list)
        for o in outcomes:
            if o.candidate_id in rec.corpus.profiles[kind]:
                by_startup[o.startup_id].append(o)
        for startup_id, group in by_startup.items():
            try:
                startup = startup_for_ranking(session, rec, startup_id)
            except NotFound:
                continue
            pairs = rec.pair_features(kind, startup, [o.candidate_id for o in group])
            rows += [(p.features, int(o.label)) for p, o in zip(pairs, group, strict=True)]
        positives = sum(label for _, label in rows)
        if len(rows) < min_rows or positives in (0, len(rows)):
            out.append(
                TrainResult(
                    kind,
                    len(rows),
                    positives,
                    None,
                    {},
                    f"too few outcomes to learn from ({len(rows)} usable rows, {positives}"
                    f" positive; need {min_rows} with both labels): default weights stay",
                )
            )
            continue
        ranker = train_ranker(kind, rows, FEATURE_NAMES)
        path = Path(settings.model_dir) / f"ranker-{kind}.json"
        ranker.save(path)
        rec.rankers[kind] = ranker
        out.append(TrainResult(kind, len(rows), positives, path, dict(ranker.metrics), "trained"))
    return out


def calibrate_engine(
    session: Session,
    settings: EngineSettings,
    kinds: Sequence[str] = PAIR_KINDS,
    *,
    caller: Caller,
) -> list[Calibration]:
    """Re-choose the ranking weights of ``kinds`` from the platform's own relations (portfolio
    entries, past mentees, "invested" outcomes) with ``recommend.calibration``: a time split
    inside the history, the popularity prior as a floor, shrinkage toward the default weights
    when data is thin. Writes ``MODEL_DIR/calibration-<kind>.json`` and adopts it at once.
    Run it after new relations arrive (``flask calibrate``); web processes adopt it with the
    next index version (the periodic refresh publishes one when a scoring file changed).
    ``caller``: the command or job (never a web request)."""
    rec = engine_for(session, settings, caller=caller)
    out = []
    for kind in kinds:
        if not is_pair_kind(kind):
            raise ValueError(f"no calibration for kind {kind!r}")
        result = rec.calibrate(kind)
        result.save(calibration_path(settings.model_dir, kind))
        out.append(result)
    return out
