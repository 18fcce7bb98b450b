"""Capacity figures of the engine's profiles: mentor sessions used this month, equipment free hours.

Read from the areas that know them (mentoring, facilities) when profiles load, and refreshed in a
served engine when stale (``refresh_capacity``): a booking changes capacity without a profile edit.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, Mentor
from matchmaker.recommend.kinds import ProfileKind
from matchmaker.recommend.ranking import Recommender
from matchmaker.services.facilities.bookings.slot_proposals import free_hours_next_14_days
from matchmaker.services.mentoring.availability import sessions_used_this_month
from matchmaker.services.recommendations.served_engine import ServingEngine

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

# -- capacity providers -------------------------------------------------------------------------

CapacityProvider = Callable[[Session, Sequence[int]], Mapping[int, float]]
"""``provider(session, ids)`` -> id -> amount. For ``"mentor"``: sessions used this month;
for ``"equipment"``: free hours in the next 14 days. Ids it does not return keep the default."""


def _capacity_providers() -> dict[str, CapacityProvider]:
    """The area that knows each kind's capacity: mentoring (sessions), facilities (free hours).

    A kind without one keeps the defaults: a mentor has used none of ``capacity_per_month`` and
    equipment availability is unknown (never presented as free).
    """
    return {"mentor": sessions_used_this_month, "equipment": free_hours_next_14_days}


def capacity_of(session: Session, kind: str, ids: Sequence[int]) -> Mapping[int, float]:
    provider = _capacity_providers().get(kind)
    if provider is None or not ids:
        return {}
    try:
        return provider(session, ids)
    except Exception:  # a broken provider must not break recommendations
        log.exception("capacity provider for %s failed", kind)
        return {}


# Ids per statement of a per-id lookup: PostgreSQL takes at most 65,535 bound parameters, and a
# build at 100,000 mentors passed them all at once.
_IDS_PER_STATEMENT = 20_000
_T = TypeVar("_T")


def in_chunks(
    lookup: Callable[[Sequence[int]], Mapping[int, _T]], ids: Sequence[int]
) -> dict[int, _T]:
    """``lookup(ids)`` merged over slices of at most ``_IDS_PER_STATEMENT`` ids (one slice, so
    one statement, below that)."""
    out: dict[int, _T] = {}
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        out.update(lookup(ids[start : start + _IDS_PER_STATEMENT]))
    return out


# -- capacity freshness ---------------------------------------------------------------------------
# Reading capacity costs a few statements over every instrument or mentor (the pathway asks the
# engine once per chain step, the dashboard once per panel). A served engine's figures are kept
# for CAPACITY_TTL_SECONDS, and dropped at once when this process commits a write to a table
# they are computed from (a booking, a session, opening hours...); writes by other processes
# show within the TTL.
CAPACITY_TTL_SECONDS = 10.0
_CAPACITY_TABLES = frozenset(
    {
        "equipment",
        "facilities",
        "equipment_bookings",
        "equipment_booking_rules",
        "equipment_availability_windows",
        "equipment_availability_exceptions",
        "mentor_profiles",
        "mentor_sessions",
    }
)
_capacity_generation = 0
# kind -> (weak reference to the engine's recommender, provider, generation, monotonic time) of
# the last refresh; a weak reference so a replaced engine is not kept alive by this cache.
_capacity_seen: dict[str, tuple[weakref.ref[Recommender], CapacityProvider | None, int, float]] = {}
_capacity_seen_lock = threading.Lock()


def _writes_capacity_tables(tables: Iterable[Any]) -> bool:
    return any(getattr(t, "name", None) in _CAPACITY_TABLES for t in tables)


@sa.event.listens_for(Session, "after_flush")
def _note_capacity_flush(session: Session, flush_context: Any) -> None:
    changed = list(session.new) + list(session.dirty) + list(session.deleted)
    tables = (t for obj in changed for t in sa.inspect(obj).mapper.tables)
    if _writes_capacity_tables(tables):
        session.info["capacity_written"] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _note_capacity_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is None or _writes_capacity_tables([table]):
            state.session.info["capacity_written"] = True


@sa.event.listens_for(Session, "after_commit")
def _capacity_committed(session: Session) -> None:
    if session.info.pop("capacity_written", False):
        forget_capacity()


@sa.event.listens_for(Session, "after_soft_rollback")
def _capacity_rolled_back(session: Session, previous_transaction: Any) -> None:
    session.info.pop("capacity_written", None)


def forget_capacity() -> None:
    """The next recommendation re-reads capacity (a write this process made, or a test)."""
    global _capacity_generation
    with _capacity_seen_lock:
        _capacity_generation += 1
        _capacity_seen.clear()


def _capacity_fresh(rec: Recommender, kind: str) -> bool:
    seen = _capacity_seen.get(kind)
    return (
        seen is not None
        and seen[0]() is rec
        and seen[1] is _capacity_providers().get(kind)
        and seen[2] == _capacity_generation
        and time.monotonic() - seen[3] < CAPACITY_TTL_SECONDS
    )


def _hours(value: Any) -> float | None:
    return None if value is None else float(value)


# A kind with more profiles than this is not refreshed inside a web request: a thread of this
# process reads its figures and the request ranks with the ones it has (at most one refresh
# old). Every free hour of 100,000 instruments took 43 s; a few thousand take milliseconds.
INLINE_REFRESH_MAX_PROFILES = 10_000
# A background refresh starts at most once per this many times its last duration (and the
# TTL): refreshing 100,000 instruments back to back kept a core of every web process busy.
BACKGROUND_REFRESH_SPACING = 10.0
_refreshing: set[str] = set()  # kinds a background refresh is reading now
_next_background: dict[str, float] = {}  # kind -> monotonic time the next one may start
_refreshing_lock = threading.Lock()


def refresh_capacity(
    session: Session, engine: ServingEngine, kind: ProfileKind, *, app: Any = None
) -> None:
    """Capacity changes without a profile edit (a session booked): update the profiles whose
    capacity moved (same text, so no re-embedding). The only change a served engine takes, so
    the only lock, held just while the figures are written. ``app``: a web request's; for a big
    kind (``INLINE_REFRESH_MAX_PROFILES``) the request takes the figures the job worker
    published (``publish_capacity``), or, when there are none or they are old, a thread of
    this process reads them in that app's context."""
    if kind not in ("mentor", "equipment"):
        return
    rec = engine.recommender
    if _capacity_fresh(rec, kind):
        return
    if app is not None and len(rec.corpus.profiles[kind]) > INLINE_REFRESH_MAX_PROFILES:
        if not _take_published(engine, kind):
            _refresh_in_background(app, engine, kind)
        return
    _refresh(session, engine, kind)


def _refresh_in_background(app: Any, engine: ServingEngine, kind: ProfileKind) -> None:
    with _refreshing_lock:
        if kind in _refreshing or time.monotonic() < _next_background.get(kind, 0.0):
            return
        _refreshing.add(kind)

    def run() -> None:
        from matchmaker.extensions import db

        started = time.monotonic()
        try:
            with app.app_context():
                _refresh(db.session, engine, kind)
        except Exception:  # the figures stay as they were; a later request tries again
            log.exception("refreshing %s capacity failed", kind)
        finally:
            took = time.monotonic() - started
            with _refreshing_lock:
                _refreshing.discard(kind)
                _next_background[kind] = started + BACKGROUND_REFRESH_SPACING * took

    threading.Thread(target=run, name=f"capacity-{kind}", daemon=True).start()


def _refresh(session: Session, engine: ServingEngine, kind: ProfileKind) -> None:
    rec = engine.recommender
    generation = _capacity_generation  # a commit while reading makes this refresh stale
    started = time.monotonic()
    provider = _capacity_providers().get(kind)
    pool = rec.corpus.profiles[kind]
    # No provider: the defaults, i.e. nothing used and availability unknown.
    amounts: Mapping[int, float] = {}
    if provider is not None:
        amounts = in_chunks(lambda chunk: capacity_of(session, kind, chunk), list(pool))
    _apply(engine, kind, amounts)
    _note_seen(rec, kind, provider, generation, started)


def _apply(
    engine: ServingEngine,
    kind: ProfileKind,
    amounts: Mapping[int, float],
    *,
    only: Collection[int] | None = None,
) -> None:
    """Write ``amounts`` (id -> figure; an id without one has the default) into the profiles
    whose figure moved (``only``: look at these profiles alone, the others are unchanged)."""
    rec = engine.recommender
    pool = rec.corpus.profiles[kind]
    figures: dict[int, Any] = {}
    looked_at = list(pool.items()) if only is None else [(i, pool[i]) for i in only if i in pool]
    for item_id, p in looked_at:
        if kind == "mentor":
            used = int(amounts.get(item_id, 0))
            if p.sessions_this_month != used:
                figures[item_id] = used
        else:
            hours = _hours(amounts.get(item_id)) if item_id in amounts else None
            if p.free_hours_next_14d != hours:
                figures[item_id] = hours
    if figures:
        with engine.capacity_lock:
            rec.set_figures(kind, figures)


def _note_seen(
    rec: Recommender,
    kind: ProfileKind,
    provider: CapacityProvider | None,
    generation: int,
    started: float,
) -> None:
    with _capacity_seen_lock:
        if generation == _capacity_generation:
            _capacity_seen[kind] = (weakref.ref(rec), provider, generation, started)


# -- figures published by the job worker ---------------------------------------------------------
# Reading every figure of a big kind costs seconds of CPU (17 s for 100,000 instruments): the
# job worker reads them once a minute (``jobs.indexing.publish_capacity``) into a small file
# beside the index versions, and each web process takes only the figures that moved. Figures
# older than this are not taken (the job worker is down or busy with a long build): the web
# process then reads them itself, beside its requests, as without a job worker.
PUBLISHED_MAX_AGE_SECONDS = 600.0
_CAPACITY_MODELS: dict[ProfileKind, Any] = {"mentor": Mentor, "equipment": Equipment}
# kind -> the recommender, the file's mtime_ns and the (ids, figures) last taken: a file is
# read once, and a newer one is compared with it, so only the figures that moved are looked at
_Taken = tuple[weakref.ref[Recommender], int, "NDArray[np.int64]", "NDArray[np.float64]"]
_taken: dict[str, _Taken] = {}
_taking = threading.Lock()


def published_capacity_path(index_dir: Path, kind: str) -> Path:
    return Path(index_dir) / "capacity" / f"{kind}.npz"


def publish_capacity(session: Session, index_dir: Path) -> dict[str, int]:
    """Job worker: read the capacity figures of every profile of each kind with more than
    ``INLINE_REFRESH_MAX_PROFILES`` (a smaller kind is read by the web processes, in
    milliseconds) and write them under ``index_dir`` atomically: every id and its figure (NaN:
    none, the kind's default). Returns kind -> ids written."""
    written: dict[str, int] = {}
    for kind, model in _CAPACITY_MODELS.items():
        count = session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        if count <= INLINE_REFRESH_MAX_PROFILES:
            continue
        ids: list[int] = list(session.scalars(sa.select(model.id).order_by(model.id)))
        amounts = _read_all(session, kind, ids)
        path = published_capacity_path(index_dir, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.stem}.{os.getpid()}.npz")
        listed = np.array(ids, dtype=np.int64)
        figures = np.array([_figure(amounts.get(i)) for i in ids], dtype=np.float64)
        with staging.open("wb") as out:
            np.savez(out, ids=listed, figures=figures)
        os.replace(staging, path)
        written[kind] = len(listed)
    return written


def _figure(value: Any) -> float:
    return np.nan if value is None else float(value)  # NaN: none (the kind's default)


def _read_all(session: Session, kind: ProfileKind, ids: Sequence[int]) -> dict[int, float]:
    return in_chunks(lambda chunk: capacity_of(session, kind, chunk), ids)


def _take_published(engine: ServingEngine, kind: ProfileKind) -> bool:
    """Apply the figures the job worker published for ``kind`` if they are recent (once per
    file); False when there are none to take."""
    if engine.index_dir is None:
        return False
    path = published_capacity_path(engine.index_dir, kind)
    generation, started = _capacity_generation, time.monotonic()
    try:
        stat = path.stat()
    except OSError:
        return False
    if time.time() - stat.st_mtime > PUBLISHED_MAX_AGE_SECONDS:
        return False
    rec = engine.recommender
    taken = _taken.get(kind)
    if taken is None or taken[0]() is not rec or taken[1] != stat.st_mtime_ns:
        if not _taking.acquire(blocking=False):
            return True  # another thread is taking them: rank with the figures there are
        try:
            try:
                with np.load(path, allow_pickle=False) as data:
                    ids, figures = data["ids"], data["figures"]
            except (OSError, ValueError, KeyError):
                log.exception("unreadable capacity figures in %s", path)
                return False
            published, only = (ids, figures), None
            if taken is not None and taken[0]() is rec and np.array_equal(taken[2], ids):
                # The same profiles as the file taken before: only the figures that moved since
                # (NaN equal to NaN). Comparing all 100,000 profiles each minute cost a request
                # of every web process a second.
                moved = ~((figures == taken[3]) | (np.isnan(figures) & np.isnan(taken[3])))
                ids, figures = ids[moved], figures[moved]
                only = set(ids.tolist())
            # NaN: no figure, as an id the provider did not return
            amounts = {
                int(i): float(v)
                for i, v in zip(ids.tolist(), figures.tolist(), strict=True)
                if v == v
            }
            _apply(engine, kind, amounts, only=only)
            _taken[kind] = (weakref.ref(rec), stat.st_mtime_ns, *published)
        finally:
            _taking.release()
    _note_seen(rec, kind, _capacity_providers().get(kind), generation, started)
    return True
