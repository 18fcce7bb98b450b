"""Which engine this process serves: the newest published index version, swapped in the background.

Web processes never embed profiles nor build indexes (``services.recommendations.indexing`` does,
in job workers):

- **Check**: at most every ``INDEX_CHECK_SECONDS`` (default 1 s) a call reads ``INDEX_DIR/CURRENT``
  (one small file; no query). These timings come with the ``EngineSettings`` the caller passes.
- **Swap**: a newer version is loaded by a thread of this process (profiles from the version's
  snapshot, FAISS files memory-mapped, the fitted TF-IDF rows loaded) and becomes the engine in
  one assignment.
  Calls keep the engine they started with; no lock is held across requests. Only the very first
  load of a process is waited for (``gunicorn.conf.py`` starts it when the worker boots).
- **Under gunicorn** the master loads the current version before it forks the workers, and
  then follows newer ones itself (``follow_in_master``): it loads each one once and replaces its
  workers with new ones forked from it, instead of every worker loading a private copy (at
  100,000 profiles per kind a copy is gigabytes per worker). A worker forked with such a version
  does not look for newer ones.
- **Nothing usable** (brand-new database, a corrupt file, another model): the last good version
  keeps serving; with none, an engine with the lexical and popularity legs only (no vectors,
  logged and shown to operators). Either way one rebuild is queued, never run in the request.
- **Outside a web request** (CLI, jobs, scripts, tests calling services) a missing version is
  built on the spot with the job's own code, as ``flask index build`` does. The caller says
  which it is (``engine_settings.Caller``); nothing here reads Flask.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from matchmaker.recommend import store
from matchmaker.recommend.corpus import VectorsMissing
from matchmaker.recommend.ranking import Recommender
from matchmaker.services.recommendations import indexing
from matchmaker.services.recommendations.served_engine import (
    NoVectors,
    ServingEngine,
    apply_deltas,
    lexical_only,
    load_version,
)

if TYPE_CHECKING:
    from matchmaker.services.recommendations.engine_settings import Caller, EngineSettings

log = logging.getLogger(__name__)

_UNUSABLE = (store.IndexUnavailable, VectorsMissing, ValueError, OSError, RuntimeError)


class _Slot:
    """The engine of one (database, index folder, model) in this process."""

    def __init__(self) -> None:
        self.engine: ServingEngine | None = None
        self.checked_at = float("-inf")
        self.bad: set[int] = set()  # versions that failed to load (not retried)
        self.rebuild_asked = False
        self.loader: threading.Thread | None = None
        self.mutex = threading.Lock()  # guards the fields; held only for a few statements
        # Forked from gunicorn's master, which follows newer versions and replaces this worker
        # (``follow_in_master``): a request never checks for, nor loads, one itself.
        self.master_follows = False


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


def serving_engine(
    session: Session, settings: EngineSettings, key: tuple[str, str, str], caller: Caller
) -> ServingEngine:
    """The engine to serve this call with (see the module docstring)."""
    slot = _slot(key)
    now = time.monotonic()
    engine = slot.engine
    if engine is not None and (
        now - slot.checked_at < settings.check_seconds
        or (slot.master_follows and caller.in_request)
    ):
        return engine
    slot.checked_at = now
    version = store.current_version(settings.index_dir)
    if engine is not None and not _worth_loading(slot, engine, version):
        return engine
    if not caller.in_request:
        _load(slot, session, settings, version, app=caller.app, may_build=True)
        return _served(slot)
    loader = _start_loader(slot, settings, version, caller.app)
    wait = settings.swap_wait_seconds if engine is not None else settings.first_load_seconds
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
        from matchmaker.services.recommendations.engine_settings import (
            Caller,
            EngineSettings,
            get_embedder,
        )
        from matchmaker.services.recommendations.engines import serving_engine_for

        with app.app_context():
            try:
                settings = EngineSettings.from_app(app)
                get_embedder(settings.embedding_model).encode(["warm up"])
                # As a web request: never builds, only loads.
                serving_engine_for(db.session, settings, caller=Caller.web_request(app))
            except Exception:
                log.exception("warming the engine up failed (requests will load it)")

    thread = threading.Thread(target=run, name="engine-warm-up", daemon=True)
    thread.start()
    return thread


def preload(app: Any, *, master_follows: bool = False) -> int | None:
    """Load ``app``'s current published version into this process before it forks web workers
    (gunicorn's master, ``gunicorn.conf.py``): every worker then starts serving it at once and
    shares its pages instead of loading a copy of its own (at 100,000 profiles per kind a load
    takes half a minute and gigabytes). ``master_follows``: this process follows newer versions
    (``follow_in_master``), so the workers forked with this one never load one themselves;
    otherwise they follow newer versions themselves. Nothing here opens a connection or a
    thread. Returns the version loaded, or None: nothing published, or the current version
    failed to load; the workers then load (and, if need be, ask for a rebuild) as they would
    without a preload, and inherit no verdict from here."""
    settings, key = _settings_and_key(app)
    version = store.current_version(settings.index_dir)
    if version is None:
        return None
    try:
        _hold(key, load_version(settings, version), master_follows)
    except _UNUSABLE as exc:
        log.error("not preloading index version %d under %s (%s)", version, settings.index_dir, exc)
        return None
    return version


def follow_in_master(app: Any, loaded: Callable[[int, bool], None]) -> threading.Thread:
    """A thread of gunicorn's master that follows ``app``'s published engine, checking every
    ``check_seconds`` and at least 4 times a second (two small file reads; an edit's delta
    waits for this check and nothing else):

    - a newer version is loaded once (as ``preload``, with the deltas after it), then
      ``loaded(version, True)``;
    - newer deltas (single edits, ``store.write_delta``) are applied to the version it holds,
      then ``loaded(version, False)``: at 100,000s of profiles per kind an edit is served in
      seconds, minutes before a version with it is built.

    ``gunicorn.conf.py`` sends its master SIGHUP there: gunicorn forks new workers (which start
    with what the master now holds) and lets the old ones finish their requests and leave. A
    version that fails to load is logged and skipped; the workers keep the last good one, and
    the job worker's periodic refresh rebuilds a corrupt one. Until the master holds a version
    (nothing was published when it started), the workers load themselves as without a master."""
    settings, key = _settings_and_key(app)

    def run() -> None:
        failed: set[int] = set()
        while True:  # for the master's life (a daemon thread)
            time.sleep(min(settings.check_seconds, MASTER_CHECK_SECONDS))
            version = store.current_version(settings.index_dir)
            with _SLOTS_LOCK:
                held = _SLOTS.get(key)
            served = held.engine if held is not None else None
            if version is not None and version not in failed and version > _version_of(served):
                try:
                    engine = load_version(settings, version)
                except Exception:  # unusable (corrupt, another model) or broken: keep following
                    log.exception(
                        "index version %d under %s failed to load", version, settings.index_dir
                    )
                    failed.add(version)
                    continue
                _hold(key, engine, master_follows=True)
                del engine, held, served  # the version before is garbage here
                loaded(version, True)
            elif served is not None and served.version is not None:
                if store.last_delta(settings.index_dir) <= served.deltas_upto:
                    continue
                with FORK_GUARD:  # no worker forks with a half-applied delta
                    engine = apply_deltas(
                        served, store.deltas_after(settings.index_dir, served.deltas_upto)
                    )
                    _hold(key, engine, master_follows=True)
                loaded(served.version, False)

    thread = threading.Thread(target=run, name="engine-follower", daemon=True)
    thread.start()
    return thread


MASTER_CHECK_SECONDS = 0.25


def _version_of(engine: ServingEngine | None) -> int:
    return (engine.version or 0) if engine is not None else 0


# Held while the master edits the engine it holds: ``os.fork`` waits for it (``register_at_fork``),
# so a worker gunicorn forks meanwhile (to replace one that died) never starts half-edited.
FORK_GUARD = threading.Lock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=FORK_GUARD.acquire,
        after_in_parent=FORK_GUARD.release,
        after_in_child=FORK_GUARD.release,
    )


def _settings_and_key(app: Any) -> tuple[EngineSettings, tuple[str, str, str]]:
    from matchmaker.extensions import db
    from matchmaker.services.recommendations.engine_settings import EngineSettings
    from matchmaker.services.recommendations.engines import engine_key

    with app.app_context():
        settings = EngineSettings.from_app(app)
        return settings, engine_key(db.session, settings)


def _hold(key: tuple[str, str, str], engine: ServingEngine, master_follows: bool) -> None:
    slot = _Slot()
    slot.engine = engine
    slot.master_follows = master_follows
    with _SLOTS_LOCK:
        _SLOTS[key] = slot


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
    slot: _Slot, settings: EngineSettings, version: int | None, app: Any
) -> threading.Thread | None:
    """Load ``version`` in a thread with a context of ``app`` (its own session; a rebuild it
    asks for goes to that app's queue)."""
    with slot.mutex:
        if slot.loader is not None and slot.loader.is_alive():
            return slot.loader

        def run() -> None:
            from matchmaker.extensions import db

            with app.app_context():
                try:
                    _load(slot, db.session, settings, version, app=app, may_build=False)
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
    app: Any,
    may_build: bool,
) -> None:
    """Make ``slot`` serve ``version`` or the newest good one before it; else a lexical-only
    engine. ``may_build`` (not in a web request): build a version first when none is usable.
    ``app``: whose queue a rebuild goes to (None: none is queued)."""
    if _load_newest(slot, settings, version, app):
        return
    current = slot.engine
    if current is not None and current.version is not None:
        _ask_rebuild(slot, settings, app)  # keep serving the last good version meanwhile
        return
    if may_build:
        indexing.build_and_publish(session, settings)
        if _load_newest(slot, settings, store.current_version(settings.index_dir), app):
            return
    if current is None:
        log.warning(
            "no usable index version under %s: serving the lexical and popularity legs only"
            " until the first build finishes",
            settings.index_dir,
        )
        slot.engine = lexical_only(session, settings)
    _ask_rebuild(slot, settings, app)
    # An immediate queue (tests) has built it already.
    _load_newest(slot, settings, store.current_version(settings.index_dir), app)


def _load_newest(slot: _Slot, settings: EngineSettings, version: int | None, app: Any) -> bool:
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
            _ask_rebuild(slot, settings, app)
        return True
    return False


def _ask_rebuild(slot: _Slot, settings: EngineSettings, app: Any) -> None:
    """Queue one rebuild (per process and problem) on ``app``'s queue, whose context the caller
    (or the loader thread) is in: never build inside a request. Without an app, nothing."""
    if slot.rebuild_asked or app is None:
        return
    slot.rebuild_asked = True
    try:
        queued = indexing.request_publish(app)
    except Exception:  # the queue is down: the periodic check rebuilds later
        log.exception("could not queue an index rebuild")
    else:
        log.info(
            "index rebuild for %s %s", settings.index_dir, "queued" if queued else "already queued"
        )


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
