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

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from matchmaker.recommend import store
from matchmaker.recommend.corpus import KINDS, TEXTS, VectorsMissing
from matchmaker.recommend.embedding import reads_cjk
from matchmaker.recommend.history import PORTFOLIO
from matchmaker.recommend.phrases import PHRASE
from matchmaker.recommend.ranking import Recommender, RecommenderConfig
from matchmaker.services.recommendations import indexing

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.services.recommendations.engine_settings import EngineSettings

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
QUERIES_KEPT = 2048  # query vectors kept per served engine (512 floats each: 4 MB at most)
ANSWERS_KEPT = 4096  # remembered answers per served engine (ids, scores and reasons)
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


class RecentQueries:
    """The embedder of a served engine: the vectors of the last ``size`` query texts it encoded
    are kept, so a text asked again (a startup's need on every dashboard and pathway load, a
    popular search) is not encoded again. A served engine embeds nothing but queries (its
    corpus is frozen), so every text here is a query."""

    def __init__(self, embedder: Any, size: int) -> None:
        self.inner = embedder
        self.model_id: str = embedder.model_id
        self.dim: int = embedder.dim
        self.reads_cjk = reads_cjk(embedder)
        self._size = size
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._vectors.get(text)
                if vector is None:
                    todo.append(i)
                else:
                    self._vectors.move_to_end(text)
                    out[i] = vector
        if not todo:
            return out
        fresh = self.inner.encode(
            [texts[i] for i in todo], batch_size=batch_size, show_progress=show_progress
        )
        with self._lock:
            for i, vector in zip(todo, fresh, strict=True):
                out[i] = vector
                self._vectors[texts[i]] = out[i].copy()
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return out


class RecentAnswers:
    """This engine's answers to the last ``size`` distinct calls (the dashboard asks for the
    same startup's mentors on every load). Keys hold ``corpus.version``, which every change a
    served engine takes (capacity figures) moves, so an answer is never served for a state it
    was not computed in."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._answers: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], compute: Callable[[], list[Any]]) -> list[Any]:
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return list(self._answers[key])
        answer = compute()
        with self._lock:
            self._answers[key] = tuple(answer)
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)
        return list(answer)


@dataclass(frozen=True)
class ServingEngine:
    """One loaded engine; never changes except capacity figures (under ``capacity_lock``)."""

    recommender: Recommender
    version: int | None  # None: no published version, lexical and popularity legs only
    model_id: str | None
    loaded_at: float = field(default_factory=time.time)
    capacity_lock: threading.Lock = field(default_factory=threading.Lock, compare=False)
    # Whether every ranking input is fixed for a given corpus version (the version's published
    # load prices are pinned), so that answers may be remembered.
    answers_stable: bool = False
    answers: RecentAnswers = field(
        default_factory=lambda: RecentAnswers(ANSWERS_KEPT), compare=False
    )

    @property
    def lexical_only(self) -> bool:
        return self.version is None

    def remember(self, key: tuple[Any, ...], compute: Callable[[], list[Any]]) -> list[Any]:
        """``compute()``, or its answer to an earlier call with the same ``key`` in the same
        state of this engine (``corpus.version``); the caller's key names every other input."""
        if not self.answers_stable:
            return compute()
        return self.answers.get((self.recommender.corpus.version, *key), compute)


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
        from matchmaker.services.recommendations.engine_settings import EngineSettings, get_embedder
        from matchmaker.services.recommendations.engines import serving_engine_for

        with app.test_request_context("/"):  # a request context: never builds, only loads
            try:
                settings = EngineSettings.from_app(app)
                get_embedder(settings.embedding_model).encode(["warm up"])
                serving_engine_for(db.session, settings)
            except Exception:
                log.exception("warming the engine up failed (requests will load it)")

    thread = threading.Thread(target=run, name="engine-warm-up", daemon=True)
    thread.start()
    return thread


def map_query_model(embedder: Any, folder: Path) -> bool:
    """Serve the USE query model's token table (65 MB of uint8, which the package unpacks from
    its compressed weights into each process's own memory) from a file mapped read-only instead:
    every process then shares the page cache and holds only the rows its queries touch (a
    forked worker's resident set counts none of it until it reads a row). The file is written
    once, atomically, under ``folder``. Returns whether the table is mapped; another embedder,
    or a package that stores its weights differently, is left as it is."""
    parts = getattr(embedder, "parts", None) or [embedder]
    mapped = False
    for part in parts:
        backend = getattr(getattr(part, "_model", None), "_backend", None)
        table = getattr(backend, "table", None)
        if backend is None or not isinstance(table, np.ndarray) or table.dtype != np.uint8:
            continue
        name = "".join(c if c.isalnum() or c in "-." else "_" for c in part.model_id)
        path = folder / f"{name}-token-table.npy"
        if not path.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            staging = path.with_name(f".{path.name}.{os.getpid()}")
            with staging.open("wb") as out:
                np.save(out, table, allow_pickle=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(staging, path)
        on_disk = np.load(path, mmap_mode="r", allow_pickle=False)
        if on_disk.shape != table.shape or on_disk.dtype != table.dtype:
            log.warning("%s does not hold this model's token table: not mapped", path)
            continue
        backend.table = on_disk  # the unpacked copy is freed
        mapped = True
    return mapped


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
    from matchmaker.services.recommendations.engines import adopt_calibrations, load_rankers

    rec.rankers.update(load_rankers(settings.model_dir, rec.config))
    adopt_calibrations(rec, settings.model_dir)


def load_version(settings: EngineSettings, version: int) -> ServingEngine:
    """Version ``version`` as a frozen engine: verified, memory-mapped, nothing embedded."""
    from matchmaker.services.recommendations.engine_settings import get_embedder

    root = Path(settings.index_dir)
    manifest = store.read_version_manifest(root, version)
    folder = store.version_dir(root, version)
    embedder = get_embedder(settings.embedding_model)
    if manifest.get("model_id") != embedder.model_id:
        raise store.IndexStale(
            f"version {version} was built with {manifest.get('model_id')}, not {embedder.model_id}"
        )
    profiles = indexing.decode_profiles(_verified(folder, manifest, indexing.PROFILES_FILE))
    rec = Recommender(RecentQueries(embedder, QUERIES_KEPT), config=RecommenderConfig())
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
    pinned = indexing.PRICES_FILE in manifest.get("checksums", {})
    if pinned:
        prices = indexing.decode_prices(_verified(folder, manifest, indexing.PRICES_FILE))
        for kind, kind_prices in prices.items():
            rec.pin_load_prices(kind, kind_prices)
    else:  # published before prices were: estimated on first use, as they used to be
        log.warning("index version %d has no load prices: estimated on first use", version)
    return ServingEngine(rec, version, embedder.model_id, answers_stable=pinned)


def _verified(folder: Path, manifest: dict[str, Any], name: str) -> bytes:
    """The bytes of the version's file ``name`` if they match the manifest's checksum."""
    raw = (folder / name).read_bytes()
    if manifest.get("checksums", {}).get(name) != hashlib.sha256(raw).hexdigest():
        raise store.IndexCorrupt(f"checksum mismatch for {folder / name}")
    return raw


def lexical_only(session: Session, settings: EngineSettings) -> ServingEngine:
    """Profiles from the database, no vectors: what a brand-new database serves."""
    from matchmaker.services.recommendations.profiles import load_profiles

    rec = Recommender(NoVectors(), config=RecommenderConfig())
    _rankers_and_calibrations(rec, settings)
    profiles = {kind: load_profiles(session, kind) for kind in KINDS}
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
