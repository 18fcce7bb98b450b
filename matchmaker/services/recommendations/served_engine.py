"""One served engine: what it holds (its recommender, remembered query vectors and answers) and
how it is loaded, from a published index version (verified, memory-mapped, nothing embedded) or,
with no version yet, from the database without vectors (lexical and popularity legs only).
``engine_state`` decides which one a process serves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from matchmaker.recommend import store
from matchmaker.recommend.corpus import KINDS, TEXTS
from matchmaker.recommend.embedding import reads_cjk
from matchmaker.recommend.history import PORTFOLIO
from matchmaker.recommend.kinds import IndexKind
from matchmaker.recommend.lexical import LexicalIndex
from matchmaker.recommend.phrases import PHRASE
from matchmaker.recommend.ranking import Recommender, RecommenderConfig
from matchmaker.services.recommendations import indexing

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.services.recommendations.engine_settings import EngineSettings

log = logging.getLogger(__name__)

QUERIES_KEPT = 2048  # query vectors kept per served engine (512 floats each: 4 MB at most)
ANSWERS_KEPT = 4096  # remembered answers per served engine (ids, scores and reasons)
clock = time.monotonic  # the age of a remembered answer (tests stop it)


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
        self._computing: set[tuple[Any, ...]] = set()  # keys a thread is recomputing now

    def get(
        self,
        key: tuple[Any, ...],
        compute: Callable[[], list[Any]],
        keep: Callable[[list[Any]], bool] | None = None,
        max_age: float | None = None,
    ) -> list[Any]:
        """The answer remembered for ``key`` (computed less than ``max_age`` seconds ago, if
        given), else ``compute()``'s, remembered unless ``keep`` refuses it (e.g. a panel that
        says the engine failed).

        One thread at a time recomputes an answer that has aged: meanwhile the others get the
        aged one (older than ``max_age`` by at most that computation). Otherwise every thread
        that asks while it runs computes it too: with 32 clients on one page, the 4 threads
        of a worker each recomputed the same dashboard every 5 s, sharing one core (the p95
        tails of 4-8 s at 100,000 profiles per kind)."""
        with self._lock:
            found = self._answers.get(key)
            if found is not None and (max_age is None or clock() - found[0] < max_age):
                self._answers.move_to_end(key)
                return list(found[1])
            if found is not None and key in self._computing:
                return list(found[1])
            self._computing.add(key)
        try:
            answer = compute()
        finally:
            with self._lock:
                self._computing.discard(key)
        if keep is not None and not keep(answer):
            return list(answer)
        with self._lock:
            self._answers[key] = (clock(), tuple(answer))
            self._answers.move_to_end(key)
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)
        return list(answer)


@dataclass(frozen=True)
class ServingEngine:
    """One loaded engine. While it serves requests only capacity figures change (under
    ``capacity_lock``); deltas edit its recommender before any request reads it (a load, or
    gunicorn's master before it forks workers: ``apply_deltas``)."""

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
    # The index folder it was loaded from, where the job worker also publishes the capacity
    # figures of big kinds (``capacity.publish_capacity``); None: not loaded from one.
    index_dir: Path | None = None
    # The newest delta (``store.write_delta``) its recommender holds, on top of ``version``.
    deltas_upto: int = 0

    @property
    def lexical_only(self) -> bool:
        return self.version is None

    def remember(
        self,
        key: tuple[Any, ...],
        compute: Callable[[], list[Any]],
        keep: Callable[[list[Any]], bool] | None = None,
        max_age: float | None = None,
    ) -> list[Any]:
        """``compute()``, or its answer to an earlier call with the same ``key`` in the same
        state of this engine (``corpus.version``); the caller's key names every other input
        (``RecentAnswers.get`` for ``keep`` and ``max_age``)."""
        if not self.answers_stable:
            return compute()
        return self.answers.get((self.recommender.corpus.version, *key), compute, keep, max_age)


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
    for lexical_kind in indexing.LEXICAL_KINDS:
        fitted = _published_lexical(folder, manifest, lexical_kind)
        if fitted is not None:
            corpus.offer_lexical(lexical_kind, fitted)

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
    engine = ServingEngine(
        rec,
        version,
        embedder.model_id,
        answers_stable=pinned,
        index_dir=root,
        deltas_upto=int(manifest.get(store.DELTAS_UPTO, 0)),
    )
    engine = _applied(engine, store.deltas_after(root, engine.deltas_upto))
    _prepare(rec)
    return engine


def apply_deltas(engine: ServingEngine, deltas: Sequence[tuple[int, bytes]]) -> ServingEngine:
    """``engine`` with ``deltas`` (``store.deltas_after``, oldest first) applied: the same
    recommender, edited in place, so the caller makes sure no request reads it meanwhile
    (gunicorn's master, which forks its workers after, under ``engine_state``'s fork guard)."""
    applied = _applied(engine, deltas)
    if applied is not engine:
        _prepare(applied.recommender)
    return applied


def _applied(engine: ServingEngine, deltas: Sequence[tuple[int, bytes]]) -> ServingEngine:
    upto = engine.deltas_upto
    for number, raw in deltas:
        if number <= upto:
            continue
        try:
            _apply_delta(engine.recommender, engine.model_id, raw)
        except (ValueError, LookupError, TypeError) as exc:  # the next version holds its edit
            log.error("delta %d not applied (%s)", number, exc)
        else:
            log.info("applied delta %d on top of index version %s", number, engine.version)
        upto = number
    return engine if upto == engine.deltas_upto else replace(engine, deltas_upto=upto)


def _apply_delta(rec: Recommender, model_id: str | None, raw: bytes) -> None:
    """One delta: its vectors into the indexes (a memory-mapped one gets an ``OverlayIndex``
    over it), then the profile's new state (or its removal). Everything is decoded before
    anything changes: an unreadable delta changes nothing."""
    data = json.loads(raw.decode("utf-8"))
    if data.get("format") != indexing.DELTA_FORMAT:
        raise ValueError(f"delta format {data.get('format')!r}")
    if data.get("model_id") != model_id:
        raise ValueError(f"embedded with {data.get('model_id')}, not {model_id}")
    kind, item_id = str(data["kind"]), int(data["id"])
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    profile = None if data["profile"] is None else indexing.decode_profile(kind, data["profile"])
    corpus = rec.corpus
    vectors: dict[str, tuple[dict[int, NDArray[np.float32]], dict[int, str]]] = {}
    for what, entries in data["vectors"].items():
        if what not in (*KINDS, PORTFOLIO, PHRASE):
            raise ValueError(f"unknown index kind {what!r}")
        vectors[what] = (
            {
                int(i): indexing.decode_vector(e["vector"], corpus.embedder.dim)
                for i, e in entries.items()
            },
            {int(i): str(e["hash"]) for i, e in entries.items()},
        )
    own, _ = vectors.pop(kind, ({}, {}))
    for what in (kind, *vectors):
        corpus.make_writable(what)
    for what, (found, hashes) in vectors.items():  # keyed by text: the profile's texts point here
        corpus.add_vectors(what, found, hashes)
    if profile is None:
        rec.remove(kind, item_id)
    else:  # its own vector through the upsert, which sees whether its text changed
        rec.upsert(kind, profile, own.get(item_id))


def _prepare(rec: Recommender) -> None:
    """Build what requests would otherwise each build on first use, once every kind is synced
    or edited (an edit moves the text version these are kept for)."""
    corpus = rec.corpus
    for lexical in corpus.lexical.values():
        lexical.warm()
    corpus.expertise()
    corpus.expertise_across()  # from the phrase vectors


def _published_lexical(
    folder: Path, manifest: dict[str, Any], kind: IndexKind
) -> LexicalIndex | None:
    """The version's fitted lexical index of ``kind``; None for a version published before they
    were (its texts are then tokenised and fitted in this load, as they used to be)."""
    try:
        return indexing.published_lexical(folder, manifest, kind)
    except store.IndexMissing:
        log.warning("index version at %s has no fitted %s lexical index: fitting it", folder, kind)
        return None


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
