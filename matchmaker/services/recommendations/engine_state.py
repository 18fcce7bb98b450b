"""Which engine this process serves: the newest published index version, swapped in the background.

Web processes never embed profiles nor build indexes (``services.recommendations.indexing`` does,
in job workers):

- **Check**: at most every ``INDEX_CHECK_SECONDS`` (default 1 s) a call reads ``INDEX_DIR/CURRENT``
  (one small file; no query).
- **Swap**: a newer version is loaded by a thread of this process (profiles from the version's
  snapshot, FAISS files memory-mapped, TF-IDF fitted) and becomes the engine in one assignment.
  Calls keep the engine they started with; no lock is held across requests. Only the very first
  load of a process is waited for (``gunicorn.conf.py`` starts it when the worker boots).
- **Nothing usable** (brand-new database, a corrupt file, another model): the last good version
  keeps serving; with none, an engine with the lexical and popularity legs only (no vectors,
  logged and shown to operators). Either way one rebuild is queued, never run in the request.
- **Outside a web request** (CLI, jobs, scripts, tests calling services) a missing version is
  built on the spot with the job's own code, as ``flask index build`` does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from matchmaker.recommend import store
from matchmaker.recommend.corpus import KINDS, PHRASE, PORTFOLIO, TEXTS, VectorsMissing
from matchmaker.recommend.ranking import Recommender, RecommenderConfig
from matchmaker.services.recommendations import indexing

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.services.recommendations.bridge import EngineSettings

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
FIRST_LOAD_SECONDS = 30.0
_UNUSABLE = (store.IndexUnavailable, VectorsMissing, ValueError, OSError, RuntimeError)


class NoVectors:
    """The embedder of an engine without a published index: every vector is zero, so the dense
    leg adds nothing and the lexical and popularity legs rank. Loads no model."""

    model_id = "none"
    dim = 8
    reads_cjk = False

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> NDArray[np.float32]:
        return np.zeros((len(texts), self.dim), dtype=np.float32)


@dataclass(frozen=True)
class ServingEngine:
    """One loaded engine; never changes except capacity figures (under ``capacity_lock``)."""

    recommender: Recommender
    version: int | None  # None: no published version, lexical and popularity legs only
    model_id: str | None
    loaded_at: float = field(default_factory=time.time)
    capacity_lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    @property
    def lexical_only(self) -> bool:
        return self.version is None


class _Slot:
    """The engine of one (database, index folder, model) in this process."""

    def __init__(self) -> None:
        self.engine: ServingEngine | None = None
        self.checked_at = float("-inf")
        self.bad: set[int] = set()  # versions that failed to load (not retried)
        self.rebuild_asked = False
        self.loader: threading.Thread | None = None
        self.mutex = threading.Lock()  # guards the fields; held only for a few statements


_SLOTS: dict[tuple[str, str, str], _Slot] = {}
_SLOTS_LOCK = threading.Lock()


def _slot(key: tuple[str, str, str]) -> _Slot:
    with _SLOTS_LOCK:
        slot = _SLOTS.get(key)
        if slot is None:
            slot = _SLOTS[key] = _Slot()
        return slot


def forget() -> None:
    """Drop every engine of this process (tests; a new process starts like this)."""
    with _SLOTS_LOCK:
        _SLOTS.clear()


def published_here(settings: EngineSettings) -> None:
    """A version was just published by this process: check at the next call, not after the TTL."""
    folder = str(Path(settings.index_dir).resolve())
    with _SLOTS_LOCK:
        for key, slot in _SLOTS.items():
            if key[1] == folder:
                slot.checked_at = float("-inf")


def _config(name: str, default: float) -> float:
    import flask

    if flask.has_app_context():
        return float(flask.current_app.config.get(name, default))
    return default


def serving_engine(
    session: Session, settings: EngineSettings, key: tuple[str, str, str]
) -> ServingEngine:
    """The engine to serve this call with (see the module docstring)."""
    import flask

    slot = _slot(key)
    now = time.monotonic()
    engine = slot.engine
    if engine is not None and now - slot.checked_at < _config("INDEX_CHECK_SECONDS", CHECK_SECONDS):
        return engine
    slot.checked_at = now
    version = store.current_version(settings.index_dir)
    if engine is not None and not _worth_loading(slot, engine, version):
        return engine
    if not flask.has_request_context():
        _load(slot, session, settings, version, may_build=True)
        return _served(slot)
    loader = _start_loader(slot, settings, version)
    wait = _config("INDEX_SWAP_WAIT_SECONDS", 0.0) if engine is not None else None
    if engine is None:
        wait = _config("INDEX_FIRST_LOAD_SECONDS", FIRST_LOAD_SECONDS)
    if loader is not None and wait:
        loader.join(wait)
    return _served(slot)


def _worth_loading(slot: _Slot, engine: ServingEngine, version: int | None) -> bool:
    if version is None:
        return False  # nothing published (yet, or the pointer vanished): keep what we have
    if version in slot.bad:
        return False
    return engine.version is None or version > engine.version


def _served(slot: _Slot) -> ServingEngine:
    engine = slot.engine
    if engine is None:  # the first load is still running: nothing to rank with yet
        log.warning("the engine is still loading: serving an empty one for this request")
        return ServingEngine(Recommender(NoVectors()), None, None)
    return engine


def warm_up(app: Any) -> threading.Thread:
    """Start loading the engine of ``app`` (and its query model) in the background: gunicorn
    calls this when a worker boots, so the first request finds it ready."""

    def run() -> None:
        from matchmaker.extensions import db
        from matchmaker.services.recommendations import bridge as reco

        with app.test_request_context("/"):  # a request context: never builds, only loads
            try:
                settings = reco.EngineSettings.from_app(app)
                reco.get_embedder(settings.embedding_model).encode(["warm up"])
                reco.serving_engine_for(db.session, settings)
            except Exception:
                log.exception("warming the engine up failed (requests will load it)")

    thread = threading.Thread(target=run, name="engine-warm-up", daemon=True)
    thread.start()
    return thread


def _start_loader(
    slot: _Slot, settings: EngineSettings, version: int | None
) -> threading.Thread | None:
    import flask

    app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
    with slot.mutex:
        if slot.loader is not None and slot.loader.is_alive():
            return slot.loader

        def run() -> None:
            from matchmaker.extensions import db

            with app.app_context():
                try:
                    _load(slot, db.session, settings, version, may_build=False)
                except Exception:
                    log.exception("loading index version %s failed", version)

        slot.loader = threading.Thread(target=run, name="engine-loader", daemon=True)
        slot.loader.start()
        return slot.loader


def _load(
    slot: _Slot,
    session: Session,
    settings: EngineSettings,
    version: int | None,
    *,
    may_build: bool,
) -> None:
    """Make ``slot`` serve ``version`` or the newest good one before it; else a lexical-only
    engine. ``may_build`` (not in a web request): build a version first when none is usable."""
    if _load_newest(slot, settings, version):
        return
    current = slot.engine
    if current is not None and current.version is not None:
        _ask_rebuild(slot, settings)  # keep serving the last good version meanwhile
        return
    if may_build:
        indexing.build_and_publish(session, settings)
        if _load_newest(slot, settings, store.current_version(settings.index_dir)):
            return
    if current is None:
        log.warning(
            "no usable index version under %s: serving the lexical and popularity legs only"
            " until the first build finishes",
            settings.index_dir,
        )
        slot.engine = lexical_only(session, settings)
    _ask_rebuild(slot, settings)
    # An immediate queue (tests) has built it already.
    _load_newest(slot, settings, store.current_version(settings.index_dir))


def _load_newest(slot: _Slot, settings: EngineSettings, version: int | None) -> bool:
    """Load the newest good version up to ``version`` that is newer than the one served."""
    current = slot.engine
    floor = current.version if current is not None and current.version is not None else 0
    candidates = [v for v in store.published_versions(settings.index_dir) if v > floor]
    if version is not None:
        candidates = [v for v in candidates if v <= version]
    for v in candidates:
        if v in slot.bad:
            continue
        try:
            engine = load_version(settings, v)
        except _UNUSABLE as exc:
            log.error("index version %d under %s is unusable (%s)", v, settings.index_dir, exc)
            slot.bad.add(v)
            continue
        slot.engine = engine
        slot.rebuild_asked = False
        log.info("serving index version %d (%s)", v, engine.model_id)
        if v != version:  # a newer one is published but unusable
            _ask_rebuild(slot, settings)
        return True
    return False


def _ask_rebuild(slot: _Slot, settings: EngineSettings) -> None:
    """Queue one rebuild (per process and problem): never build inside a request."""
    import flask

    if slot.rebuild_asked or not flask.has_app_context():
        return
    slot.rebuild_asked = True
    try:
        queued = indexing.request_publish()
    except Exception:  # the queue is down: the periodic check rebuilds later
        log.exception("could not queue an index rebuild")
    else:
        log.info(
            "index rebuild for %s %s", settings.index_dir, "queued" if queued else "already queued"
        )


def _rankers_and_calibrations(rec: Recommender, settings: EngineSettings) -> None:
    from matchmaker.services.recommendations import bridge as reco

    rec.rankers.update(reco.load_rankers(settings.model_dir, rec.config))
    reco.adopt_calibrations(rec, settings.model_dir)


def load_version(settings: EngineSettings, version: int) -> ServingEngine:
    """Version ``version`` as a frozen engine: verified, memory-mapped, nothing embedded."""
    from matchmaker.services.recommendations import bridge as reco

    root = Path(settings.index_dir)
    manifest = store.read_version_manifest(root, version)
    folder = store.version_dir(root, version)
    embedder = reco.get_embedder(settings.embedding_model)
    if manifest.get("model_id") != embedder.model_id:
        raise store.IndexStale(
            f"version {version} was built with {manifest.get('model_id')}, not {embedder.model_id}"
        )
    raw = (folder / indexing.PROFILES_FILE).read_bytes()
    expected = manifest.get("checksums", {}).get(indexing.PROFILES_FILE)
    if expected != store._sha256(folder / indexing.PROFILES_FILE):
        raise store.IndexCorrupt(f"checksum mismatch for {folder / indexing.PROFILES_FILE}")
    profiles = indexing.decode_profiles(raw)
    rec = Recommender(embedder, config=RecommenderConfig())
    _rankers_and_calibrations(rec, settings)
    corpus = rec.corpus
    corpus.frozen = True

    def adopt(kind: str) -> None:
        index, kind_manifest, hashes = store.load_index(
            folder,
            kind,
            model_id=embedder.model_id,
            template_version=TEXTS[kind][1],
            dim=embedder.dim,
            mmap=True,
        )
        corpus.indexes[kind], corpus.hashes[kind] = index, hashes
        corpus.recall[kind] = kind_manifest.recall_at_10

    for kind in KINDS:
        adopt(kind)
    rec.sync("startup", profiles["startup"])
    adopt(PORTFOLIO)  # after the startups (see indexing._built_recommender)
    for kind in indexing.SYNC_AFTER_STARTUPS:
        rec.sync(kind, profiles[kind])
    try:  # a version published before phrase vectors were: phrases count 0 until the next one
        adopt(PHRASE)
    except store.IndexMissing:
        log.warning("index version %d has no phrase vectors: phrase similarity is 0", version)
    return ServingEngine(rec, version, embedder.model_id)


def lexical_only(session: Session, settings: EngineSettings) -> ServingEngine:
    """Profiles from the database, no vectors: what a brand-new database serves."""
    from matchmaker.services.recommendations import bridge as reco

    rec = Recommender(NoVectors(), config=RecommenderConfig())
    _rankers_and_calibrations(rec, settings)
    profiles = {kind: reco.load_profiles(session, kind) for kind in KINDS}
    session.rollback()  # end the read: a held transaction would pin SQLite's snapshot
    rec.sync("startup", profiles["startup"].values())
    for kind in indexing.SYNC_AFTER_STARTUPS:
        rec.sync(kind, profiles[kind].values())
    return ServingEngine(rec, None, None)


@dataclass(frozen=True)
class EngineStatus:
    """For the operator console: what this process serves and what is published."""

    published: int | None
    serving: int | None
    lexical_only: bool
    loaded: bool


def status(settings: EngineSettings, key: tuple[str, str, str]) -> EngineStatus:
    with _SLOTS_LOCK:
        slot = _SLOTS.get(key)
    engine = slot.engine if slot is not None else None
    published = store.current_version(settings.index_dir)
    return EngineStatus(
        published=published,
        serving=engine.version if engine is not None else None,
        lexical_only=engine.lexical_only if engine is not None else published is None,
        loaded=engine is not None,
    )
