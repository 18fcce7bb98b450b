"""The engine's long work, run by job workers and ``flask index build``, never by a web request.

- ``embed_profile``: a profile save queues it (``profile_events``); it embeds the profile's text
  once per (model version, content hash) into ``engine_embeddings`` and asks for a publication.
- ``publish_delta``: the same job then publishes the edit as a delta on top of the current
  version (``store.write_delta``), which serving processes apply within seconds.
- ``build_and_publish``: one index version from the database (every kind, with the profiles it
  was built from), published atomically under ``INDEX_DIR/v<N>`` (``recommend.store``). Vectors
  come from the previous version or the embeddings table; only texts found in neither are
  embedded (and stored). Skipped when nothing changed since the current version.
- ``request_publish``: queue one publication; requests made while one is queued coalesce.

Web processes only read what this writes (``services.recommendations.engine_state``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import Startup
from matchmaker.recommend import durable, store
from matchmaker.recommend import texts as T
from matchmaker.recommend.corpus import KINDS, PROFILE_TYPES
from matchmaker.recommend.embedding import Embedder
from matchmaker.recommend.history import PORTFOLIO
from matchmaker.recommend.kinds import KINDS as PROFILE_KINDS
from matchmaker.recommend.kinds import IndexKind, PairKind
from matchmaker.recommend.lexical import SAVED_FILES, LexicalIndex, LexicalUnreadable
from matchmaker.recommend.phrases import PHRASE
from matchmaker.recommend.ranking import Recommender, RecommenderConfig
from matchmaker.services.recommendations.profile_vectors import (
    content_hashes,
    embed_once,
    forget_old_vectors,
    profile_texts,
    stored_vectors,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.services.recommendations.engine_settings import EngineSettings

log = logging.getLogger(__name__)

PROFILES_FILE = "profiles.json"
# The fitted lexical indexes (``recommend.lexical``), one folder per kind under this one: a web
# process adopts them instead of tokenising every profile text again when it loads the version.
LEXICAL_DIR = "lexical"
LEXICAL_KINDS: tuple[IndexKind, ...] = (*PROFILE_KINDS, PORTFOLIO)
# Mentors' load prices (``Recommender.load_prices``), estimated once per version by the build
# so that no web request scores the demand sample (at 100 sampled startups, about a second).
PRICES_FILE = "load_prices.json"
PRICED_KINDS: tuple[PairKind, ...] = ("mentor",)
PUBLISH_PENDING = "matchmaker.engine.publish-pending"
# A pending flag older than this is from a publication that died before it started: ask again.
PUBLISH_PENDING_STALE_SECONDS = 300
KEEP_VERSIONS = 2  # the current version and the one before (still served during a swap)
# Investors before mentors: syncing a kind with histories re-derives the portfolio vectors from
# the investors, which must be there by then (see ``_built_recommender``).
SYNC_AFTER_STARTUPS = ("investor", "mentor", "equipment")


# -- profile snapshots (what a version was built from; web processes load it, not the DB) ------


_PLAIN_TYPES = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """``value`` as JSON data: what ``dataclasses.asdict`` gives, dates marked, tuples as lists.
    One walk instead of ``asdict`` (which deep-copies every field first): at 100,000 profiles
    per kind, encoding the snapshot took 74 s of a 240 s publication with it."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind in (list, tuple):
        return [_plain(v) for v in value]
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    names = _field_names(kind)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The fields of a dataclass type, in order (None for any other type)."""
    if kind not in _FIELD_NAMES:
        _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else None
    return _FIELD_NAMES[kind]


# Strings up to this length are interned when a snapshot is decoded: codes (sectors, stages,
# languages, currencies) and places repeat in most of 100,000s of profiles, and one shared string
# instead of a copy in each saved about 180 MB per process at 100,000 profiles per kind.
_SHARED_STRING_CHARS = 32


def _restore(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return sys.intern(value) if len(value) <= _SHARED_STRING_CHARS else value
    if kind is list:
        return tuple([_restore(v) for v in value])
    if kind is dict and set(value) == {"$date"}:
        return date.fromisoformat(value["$date"])
    return value


def encode_profiles(profiles: Mapping[str, Mapping[int, Any]]) -> bytes:
    """The engine profiles as JSON (no pickle): kind -> list of field dicts."""
    data = {kind: [_plain(p) for p in profiles[kind].values()] for kind in KINDS}
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def decode_profiles(raw: bytes) -> dict[str, list[Any]]:
    data = json.loads(raw.decode("utf-8"))
    out: dict[str, list[Any]] = {}
    for kind in KINDS:
        out[kind] = [decode_profile(kind, item) for item in data.get(kind, [])]
        data[kind] = None  # its parsed JSON is garbage from here: a lower peak
    return out


_KNOWN_FIELDS: dict[type, frozenset[str]] = {}


def decode_profile(kind: str, item: Mapping[str, Any]) -> Any:
    """One engine profile of ``kind`` from its ``_plain`` form (fields it does not know are
    left out: a snapshot written by a newer release)."""
    cls = PROFILE_TYPES[kind]
    names = _KNOWN_FIELDS.get(cls)
    if names is None:
        names = _KNOWN_FIELDS[cls] = frozenset(_field_names(cls) or ())
    values = {k: _restore(v) for k, v in item.items() if k in names}
    if kind == "investor":
        values["portfolio"] = tuple(
            T.PortfolioCompany(**{k: _restore(v) for k, v in entry.items()})
            for entry in item.get("portfolio", [])
        )
    return cls(**values)


def save_lexical(rec: Recommender, staging: Path) -> dict[str, str]:
    """Every fitted lexical index under ``staging/lexical/<kind>/``, fsynced; returns the
    checksum of each file by its path in the version folder (for ``version.json``)."""
    checksums: dict[str, str] = {}
    for kind in LEXICAL_KINDS:
        folder = staging / LEXICAL_DIR / kind
        for name in rec.corpus.lexical[kind].save(folder):
            durable.fsync_file(folder / name)
            checksums[f"{LEXICAL_DIR}/{kind}/{name}"] = durable.sha256(folder / name)
        durable.fsync_dir(folder)
    durable.fsync_dir(staging / LEXICAL_DIR)
    return checksums


def encode_prices(rec: Recommender) -> bytes:
    """The load prices of ``PRICED_KINDS`` as JSON: kind -> {candidate id: price}."""
    data = {kind: {str(i): p for i, p in rec.load_prices(kind).items()} for kind in PRICED_KINDS}
    return json.dumps(data, sort_keys=True).encode("utf-8")


def decode_prices(raw: bytes) -> dict[str, dict[int, float]]:
    data = json.loads(raw.decode("utf-8"))
    return {kind: {int(i): float(p) for i, p in data.get(kind, {}).items()} for kind in data}


# -- texts and stored vectors ------------------------------------------------------------------


def embed_profile(session: Session, settings: EngineSettings, kind: str, profile_id: int) -> int:
    """Embed one profile's current text if no vector of it is stored yet (and, for an investor,
    its off-platform portfolio companies), and its short phrases that have no vector yet (the
    next version serves them: web processes never embed phrases). Returns how many texts were
    embedded. A deleted or deactivated profile embeds nothing (the next version simply leaves
    it out)."""
    from matchmaker.services.recommendations.engine_settings import get_embedder
    from matchmaker.services.recommendations.profiles import load_profiles

    if kind not in KINDS:
        raise ValueError(f"unknown profile kind {kind!r}")
    embedder = get_embedder(settings.embedding_model)
    profiles = load_profiles(session, kind, [profile_id])
    embedded = 0
    for what, texts in _texts_of(session, kind, profiles):
        hashes = content_hashes(what, texts, embedder.model_id)
        have = stored_vectors(session, what, embedder.model_id, hashes, embedder.dim)
        missing = {i: texts[i][0] for i in hashes if i not in have}
        embed_once(session, embedder, what, missing, hashes)
        embedded += len(missing)
        if what not in (PORTFOLIO, PHRASE) and profile_id in hashes:
            forget_old_vectors(session, what, profile_id, embedder.model_id, hashes[profile_id])
    session.commit()
    return embedded


def _texts_of(
    session: Session, kind: str, profiles: Mapping[int, Any]
) -> list[tuple[str, dict[int, tuple[str, str]]]]:
    """What ``profiles`` of ``kind`` put in each index: (index kind, id -> text and hash)."""
    texts: list[tuple[str, dict[int, tuple[str, str]]]] = [
        (kind, profile_texts(kind, profiles.values()))
    ]
    if kind == "investor" and profiles:
        startup_ids = session.scalars(sa.select(Startup.id).where(Startup.is_active))
        texts.append((PORTFOLIO, profile_texts(PORTFOLIO, profiles.values(), startup_ids)))
    texts.append((PHRASE, profile_texts(PHRASE, profiles.values())))
    return texts


# -- deltas: one edit, served before the next version ------------------------------------------

DELTA_FORMAT = 1


def publish_delta(
    session: Session, settings: EngineSettings, kind: str, profile_id: int
) -> int | None:
    """Publish the current state of one profile (None: gone or deactivated) with its vectors as a
    delta on top of the current version (``store.write_delta``): serving processes show the edit
    within seconds, where a version takes minutes to build at 100,000s of profiles per kind.
    ``embed_profile`` ran first, so its vectors are normally stored; a text saved again since
    is embedded here (and stored: the next version reuses it). Returns the delta's number, or
    None when no version is published yet (the first one will hold the profile)."""
    from matchmaker.services.recommendations.engine_settings import get_embedder
    from matchmaker.services.recommendations.profiles import load_profiles

    if kind not in KINDS:
        raise ValueError(f"unknown profile kind {kind!r}")
    root = Path(settings.index_dir)
    if store.current_version(root) is None:
        return None
    embedder = get_embedder(settings.embedding_model)
    with store.delta_lock(root):
        # Read in a transaction begun under the lock: a delta numbered after another never holds
        # an older state of the profile than that one.
        session.commit()
        profiles = load_profiles(session, kind, [profile_id])
        vectors: dict[str, dict[str, dict[str, str]]] = {}
        for what, texts in _texts_of(session, kind, profiles):
            hashes = content_hashes(what, texts, embedder.model_id)
            found = stored_vectors(session, what, embedder.model_id, hashes, embedder.dim)
            missing = {i: texts[i][0] for i in hashes if i not in found}
            found.update(embed_once(session, embedder, what, missing, hashes))
            vectors[what] = {
                str(i): {"hash": hashes[i], "vector": encode_vector(found[i])} for i in hashes
            }
        session.commit()
        profile = profiles.get(profile_id)
        payload = {
            "format": DELTA_FORMAT,
            "model_id": embedder.model_id,
            "kind": kind,
            "id": profile_id,
            "profile": None if profile is None else _plain(profile),
            "vectors": vectors,
        }
        number = store.write_delta(root, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    log.info("published %s %d as delta %d under %s", kind, profile_id, number, root)
    return number


def encode_vector(vector: Any) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str, dim: int) -> NDArray[np.float32]:
    vector = np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float32)
    if vector.shape != (dim,):
        raise ValueError(f"a delta vector of {vector.shape[0]} values, not {dim}")
    return vector


# -- building and publishing a version ---------------------------------------------------------


@dataclass(frozen=True)
class KindBuild:
    kind: str
    count: int
    embedded: int
    index_type: str
    recall_at_10: float | None


@dataclass(frozen=True)
class BuildReport:
    kinds: list[KindBuild]
    seconds: float
    model_id: str
    index_dir: Path
    version: int | None  # None: nothing changed, the current version stays
    published: bool


def _digest(snapshot: bytes, model_id: str, model_dir: Path) -> str:
    """What a version depends on: the profiles, the model and the scoring artifacts."""
    h = hashlib.sha256(snapshot)
    h.update(model_id.encode())
    if model_dir.is_dir():
        for path in sorted(model_dir.glob("*.json")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _current_digest(root: Path) -> str | None:
    """The digest of the current version if it is intact (a corrupt one is rebuilt even when
    the database did not change)."""
    version = store.current_version(root)
    if version is None:
        return None
    try:
        return str(store.verify_version(root, version).get("digest"))
    except store.IndexUnavailable as exc:
        log.warning("the current index version %d is unusable (%s): rebuilding", version, exc)
        return None


def build_and_publish(
    session: Session,
    settings: EngineSettings,
    *,
    show_progress: bool = False,
    force: bool = False,
    wait: bool = True,
    when_locked: Callable[[], None] | None = None,
) -> BuildReport:
    """Build every kind from the database into a new version and publish it (unless nothing
    changed since the current one and ``force`` is off). Holds the cross-process build lock:
    two workers never build at once, and the second then finds nothing changed. ``wait=False``:
    ``store.BuildInProgress`` at once if another build holds it. ``when_locked``: called once the
    lock is held, before anything is read."""
    from matchmaker.services.recommendations.engine_settings import get_embedder
    from matchmaker.services.recommendations.engines import adopt_calibrations, load_rankers
    from matchmaker.services.recommendations.profiles import load_profiles

    started = time.perf_counter()
    root = Path(settings.index_dir)
    with store.build_lock(root, wait=wait):
        if when_locked is not None:
            when_locked()
        with store.delta_lock(root):
            # Every delta numbered up to here holds a state these profiles hold too (each was
            # read before it was written); later ones are applied on top of this version.
            deltas_upto = store.last_delta(root)
        session.commit()  # read in a transaction begun after that
        profiles = {kind: load_profiles(session, kind) for kind in KINDS}
        snapshot = encode_profiles(profiles)
        embedder = get_embedder(settings.embedding_model)
        digest = _digest(snapshot, embedder.model_id, Path(settings.model_dir))
        if not force and digest == _current_digest(root):
            session.rollback()
            return BuildReport(
                [], time.perf_counter() - started, embedder.model_id, root, None, False
            )
        embedded: dict[str, int] = {}

        def fill(staging: Path) -> dict[str, Any]:
            rec = _built_recommender(session, settings, embedder, profiles, embedded, show_progress)
            # Prices are scored as web processes score: with the same rankers and calibrations.
            rec.rankers.update(load_rankers(settings.model_dir, rec.config))
            adopt_calibrations(rec, settings.model_dir)
            for kind in (*KINDS, PORTFOLIO, PHRASE):
                rec.corpus.save(staging, kind, digest)
            (staging / PROFILES_FILE).write_bytes(snapshot)
            durable.fsync_file(staging / PROFILES_FILE)
            (staging / PRICES_FILE).write_bytes(encode_prices(rec))
            durable.fsync_file(staging / PRICES_FILE)
            kinds_built.extend(
                KindBuild(
                    kind,
                    len(profiles[kind]),
                    embedded.get(kind, 0),
                    getattr(rec.corpus.index(kind), "index_type", "exact"),
                    rec.corpus.recall.get(kind),
                )
                for kind in KINDS
            )
            return {
                "model_id": embedder.model_id,
                "embedding_model": settings.embedding_model,
                "digest": digest,
                "counts": {kind: len(profiles[kind]) for kind in KINDS},
                store.DELTAS_UPTO: deltas_upto,
                "checksums": {
                    **{
                        name: durable.sha256(staging / name)
                        for name in (PROFILES_FILE, PRICES_FILE)
                    },
                    **save_lexical(rec, staging),
                },
            }

        kinds_built: list[KindBuild] = []
        version = store.publish_version(root, fill, keep=KEEP_VERSIONS)
        store.remove_old_deltas(root)
    seconds = time.perf_counter() - started
    log.info(
        "published index version %d under %s (%s, %.1f s, embedded %s)",
        version,
        root,
        embedder.model_id,
        seconds,
        embedded or "nothing",
    )
    from matchmaker.services.recommendations import engine_state

    engine_state.published_here(settings)
    return BuildReport(kinds_built, seconds, embedder.model_id, root, version, True)


def _built_recommender(
    session: Session,
    settings: EngineSettings,
    embedder: Embedder,
    profiles: Mapping[str, Mapping[int, Any]],
    embedded: dict[str, int],
    show_progress: bool,
) -> Recommender:
    """A Recommender over ``profiles`` whose vectors come from the previous version, then the
    embeddings table, then (only for texts found in neither) the embedder."""
    rec = Recommender(embedder, config=RecommenderConfig(), show_progress=show_progress)
    previous = store.current_version(settings.index_dir)
    previous_dir = store.version_dir(settings.index_dir, previous) if previous else None
    startup_ids = list(profiles["startup"])

    def adopt(kind: str) -> None:
        corpus = rec.corpus
        if previous_dir is not None:
            corpus.load(previous_dir, kind)  # unusable (corrupt, other model): not reused
        source: Iterable[Any]
        if kind == PORTFOLIO:
            source = profiles["investor"].values()
        elif kind == PHRASE:
            source = [p for k in KINDS for p in profiles[k].values()]
        else:
            source = profiles[kind].values()
        texts = profile_texts(kind, source, startup_ids)
        hashes = content_hashes(kind, texts, embedder.model_id)
        index = corpus.index(kind)
        known = corpus.hashes.get(kind, {})
        wanted = {i: h for i, h in hashes.items() if known.get(i) != h or i not in index}
        vectors = stored_vectors(session, kind, embedder.model_id, wanted, embedder.dim)
        missing = {i: texts[i][0] for i in wanted if i not in vectors}
        vectors.update(
            embed_once(session, embedder, kind, missing, hashes, show_progress=show_progress)
        )
        embedded[kind] = len(missing)
        corpus.add_vectors(kind, vectors, hashes)

    for kind in KINDS:
        adopt(kind)
    if previous_dir is not None:
        # Kinds whose texts did not change keep the previous version's fitted lexical index
        # (the corpus checks the digest of the texts): at 100,000 profiles a fit is minutes.
        _offer_previous_lexical(rec, previous_dir)
    rec.sync("startup", profiles["startup"].values())
    # After the startups: syncing them re-derives the portfolio from the investors known so far
    # (none yet), which would drop these vectors.
    adopt(PORTFOLIO)
    session.commit()  # the new vectors are stored even if writing the files fails
    for kind in SYNC_AFTER_STARTUPS:  # nothing is embedded here: every vector is in place
        rec.sync(kind, profiles[kind].values())
    # Phrase vectors (published so that serving never embeds them): reused from the previous
    # version or the embeddings table; the sync drops phrases no profile has any more.
    adopt(PHRASE)
    session.commit()
    rec.corpus.sync_phrases()
    return rec


def published_lexical(folder: Path, manifest: Mapping[str, Any], kind: IndexKind) -> LexicalIndex:
    """The fitted lexical index of ``kind`` in the version at ``folder`` (whose ``version.json``
    is ``manifest``), every file checked against its checksum. ``store.IndexMissing`` for a
    version published before they were, ``store.IndexCorrupt`` for a damaged one."""
    checksums = manifest.get("checksums", {})
    names = [f"{LEXICAL_DIR}/{kind}/{name}" for name in SAVED_FILES]
    if not any(name in checksums for name in names):
        raise store.IndexMissing(f"{folder} has no fitted {kind} lexical index")
    for name in names:
        path = folder / name
        if name not in checksums or not path.is_file():
            raise store.IndexCorrupt(f"{path} is missing")
        if durable.sha256(path) != checksums[name]:
            raise store.IndexCorrupt(f"checksum mismatch for {path}")
    try:
        return LexicalIndex.load(folder / LEXICAL_DIR / kind)
    except LexicalUnreadable as exc:
        raise store.IndexCorrupt(str(exc)) from exc


def _offer_previous_lexical(rec: Recommender, folder: Path) -> None:
    try:
        manifest = json.loads((folder / store.VERSION_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("not reusing the lexical indexes of %s: %s", folder, exc)
        return
    for kind in LEXICAL_KINDS:
        try:
            rec.corpus.offer_lexical(kind, published_lexical(folder, manifest, kind))
        except store.IndexUnavailable as exc:
            log.warning("not reusing the %s lexical index of %s: %s", kind, folder, exc)


# -- queueing ----------------------------------------------------------------------------------


def request_publish(app: Any = None) -> bool:
    """Queue one publication on ``app``'s queue (default: the current app's) unless one is
    already queued (requests coalesce: a burst of 300 edits builds a few versions, not 300).
    Returns whether a job was queued."""
    from matchmaker.extensions import queue
    from matchmaker.jobs import indexing as jobs

    bound = queue.bound(app)
    huey = bound.huey
    now = time.time()
    if not huey.put_if_empty(PUBLISH_PENDING, now):
        since = huey.get(PUBLISH_PENDING, peek=True)
        if isinstance(since, (int, float)) and now - since < PUBLISH_PENDING_STALE_SECONDS:
            return False
        huey.put(PUBLISH_PENDING, now)
    bound.enqueue(jobs.publish_indexes)
    return True


def publication_started(app: Any = None) -> None:
    """Called by the publication job (of ``app``, default: the current one) before it reads the
    database: an edit committed from now on asks for (and gets) another publication."""
    from matchmaker.extensions import queue

    queue.bound(app).huey.delete(PUBLISH_PENDING)
