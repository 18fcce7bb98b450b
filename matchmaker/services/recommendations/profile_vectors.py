"""The texts the engine embeds for each profile, and their vectors stored in ``engine_embeddings``
(keyed by content hash and model, so an unchanged text is never embedded twice, and claimed while
being embedded, so two processes never embed it at once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from tqdm.auto import tqdm

from matchmaker.database import engine_of, write_apart
from matchmaker.models.base import utcnow
from matchmaker.models.embeddings import EmbeddingClaim, ProfileEmbedding
from matchmaker.recommend import texts as T
from matchmaker.recommend.corpus import TEXTS
from matchmaker.recommend.embedding import Embedder
from matchmaker.recommend.history import PORTFOLIO
from matchmaker.recommend.history import entry_key as _entry_key
from matchmaker.recommend.phrases import PHRASE, phrase_texts

if TYPE_CHECKING:
    from numpy.typing import NDArray


log = logging.getLogger(__name__)

_ID_CHUNK = 500  # ids per IN (...) when reading stored vectors


# -- texts and stored vectors -------------------------------------------------------------------


def profile_texts(
    kind: str, profiles: Iterable[Any], startup_ids: Iterable[int] | None = None
) -> dict[int, tuple[str, str]]:
    """id -> (text, content hash without the model) of ``kind``; for ``PORTFOLIO``, the
    off-platform portfolio companies of the given investor profiles (keyed as the corpus keys
    them), ``startup_ids`` being the platform startups they may point to; for ``PHRASE``, the
    short phrases of the given profiles (any kinds), keyed by ``corpus.phrase_key``."""
    if kind == PHRASE:
        return {k: (text, text) for k, text in phrase_texts(profiles).items()}
    if kind == PORTFOLIO:
        known = set(startup_ids or ())
        out: dict[int, tuple[str, str]] = {}
        for p in profiles:
            for e in p.portfolio:
                if e.startup_id is None or e.startup_id not in known:
                    text = T.portfolio_entry_text(e)
                    out[_entry_key(text)] = (text, text)
        return out
    render = TEXTS[kind][0]
    return {p.id: (render(p), "") for p in profiles}


def content_hashes(
    kind: str, texts: Mapping[int, tuple[str, str]], model_id: str
) -> dict[int, str]:
    """Each text's content hash under ``model_id`` and the kind's template version: the key of
    its stored vector."""
    template = TEXTS[kind][1]
    return {i: T.content_hash(text, model_id, template) for i, (text, _) in texts.items()}


def stored_vectors(
    session: Session | sa.Connection,
    kind: str,
    model_id: str,
    wanted: Mapping[int, str],
    dim: int,
) -> dict[int, NDArray[np.float32]]:
    """Vectors of ``wanted`` (id -> content hash) already in ``engine_embeddings``."""
    out: dict[int, NDArray[np.float32]] = {}
    ids = list(wanted)
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        rows = session.execute(
            sa.select(
                ProfileEmbedding.profile_id, ProfileEmbedding.content_hash, ProfileEmbedding.vector
            ).where(
                ProfileEmbedding.kind == kind,
                ProfileEmbedding.model_version == model_id,
                ProfileEmbedding.profile_id.in_(chunk),
                ProfileEmbedding.dim == dim,
            )
        )
        for profile_id, content_hash, blob in rows:
            if wanted.get(profile_id) == content_hash:
                out[profile_id] = np.frombuffer(blob, dtype="<f4").copy()
    return out


def _insert(connection: sa.Connection, table: type) -> Any:
    dialect = connection.dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


# Texts claimed and embedded together. A claim lives as long as embedding its chunk takes (about
# a second), which is the longest another process needing one of the texts waits.
CLAIM_CHUNK = 64
# A claim this old is a claimant that died midway (a killed worker), and is taken over: a live
# one stores its chunk within seconds.
CLAIM_STALE_SECONDS = 30
# How often a process waiting for texts another one claimed looks for their vectors.
CLAIM_POLL_SECONDS = 0.2
# A claim within one kind and model: (profile id, content hash).
_CLAIM_KEY = sa.tuple_(EmbeddingClaim.profile_id, EmbeddingClaim.content_hash)


def embed_once(
    session: Session,
    embedder: Embedder,
    kind: str,
    texts: Mapping[int, str],
    hashes: Mapping[int, str],
    *,
    show_progress: bool = False,
) -> dict[int, NDArray[np.float32]]:
    """Vectors of ``texts`` (id -> text, none of them stored: the caller looked), each embedded
    by one process only and stored under its hash.

    A save's job and a build that both read a new text before either stored its vector would
    both embed it. So each text is claimed first (``EmbeddingClaim``, keyed as its vector: the
    database lets one claimant in). This call embeds the texts it claimed a chunk at a time,
    each chunk stored and its claims removed in one short transaction, then waits for the
    texts other processes claimed and reads their vectors (taking over a claim whose claimant
    died). Every write goes through a connection of its own (``write_apart``): the caller's
    transaction holds no lock, and others see each chunk as soon as it is stored."""
    if not texts:
        return {}
    out: dict[int, NDArray[np.float32]] = {}
    others: dict[int, str] = {}
    ids = list(texts)
    with tqdm(
        total=len(ids), desc=f"embedding {kind}", unit="text", disable=not show_progress
    ) as bar:
        for start in range(0, len(ids), CLAIM_CHUNK):
            chunk = {i: hashes[i] for i in ids[start : start + CLAIM_CHUNK]}
            mine, found = _claim(session, embedder, kind, chunk)
            out.update(found)
            out.update(_embed_claimed(session, embedder, kind, texts, hashes, mine))
            others.update({i: h for i, h in chunk.items() if i not in out})
            bar.update(len(out) - bar.n)
        while others:
            time.sleep(CLAIM_POLL_SECONDS)
            with engine_of(session).connect() as connection:
                found = stored_vectors(connection, kind, embedder.model_id, others, embedder.dim)
            out.update(found)
            left = {i: h for i, h in others.items() if i not in found}
            mine, found = _claim(session, embedder, kind, left, take_over_stale=True)
            out.update(found)
            out.update(_embed_claimed(session, embedder, kind, texts, hashes, mine))
            others = {i: h for i, h in left.items() if i not in out}
            bar.update(len(out) - bar.n)
    return out


def _claim(
    session: Session,
    embedder: Embedder,
    kind: str,
    wanted: Mapping[int, str],
    *,
    take_over_stale: bool = False,
) -> tuple[set[int], dict[int, NDArray[np.float32]]]:
    """Claim ``wanted`` (id -> content hash): the ids this process now holds the claim of (none
    claimed them, or with ``take_over_stale`` their claimant died), and the vectors of those
    stored since the caller looked (their claimant finished in between: claimed for nothing,
    and released)."""
    if not wanted:
        return set(), {}
    now = utcnow()
    model_id = embedder.model_id
    with write_apart(session) as connection:
        rows = [
            {
                "kind": kind,
                "profile_id": i,
                "model_version": model_id,
                "content_hash": h,
                "claimed_at": now,
            }
            for i, h in wanted.items()
        ]
        inserted = connection.execute(
            _insert(connection, EmbeddingClaim)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(EmbeddingClaim.profile_id, EmbeddingClaim.content_hash)
        )
        held = {(i, h) for i, h in inserted}
        taken = [(i, h) for i, h in wanted.items() if (i, h) not in held]
        if take_over_stale and taken:
            held.update(
                (i, h)
                for i, h in connection.execute(
                    sa.update(EmbeddingClaim)
                    .where(
                        EmbeddingClaim.kind == kind,
                        EmbeddingClaim.model_version == model_id,
                        _CLAIM_KEY.in_(taken),
                        EmbeddingClaim.claimed_at < now - timedelta(seconds=CLAIM_STALE_SECONDS),
                    )
                    .values(claimed_at=now)
                    .returning(EmbeddingClaim.profile_id, EmbeddingClaim.content_hash)
                )
            )
        mine = {i: h for i, h in held if wanted.get(i) == h}
        found = stored_vectors(connection, kind, model_id, mine, embedder.dim)
        if found:
            connection.execute(_claims_of(kind, model_id, {i: mine[i] for i in found}))
    return set(mine) - set(found), found


def _claims_of(kind: str, model_id: str, keys: Mapping[int, str]) -> sa.Delete:
    """Delete the claims of ``keys`` (id -> content hash)."""
    return sa.delete(EmbeddingClaim).where(
        EmbeddingClaim.kind == kind,
        EmbeddingClaim.model_version == model_id,
        _CLAIM_KEY.in_(list(keys.items())),
    )


def _embed_claimed(
    session: Session,
    embedder: Embedder,
    kind: str,
    texts: Mapping[int, str],
    hashes: Mapping[int, str],
    claimed: set[int],
) -> dict[int, NDArray[np.float32]]:
    """Embed the ``claimed`` texts, store their vectors and remove their claims (one commit).
    A failed embedding removes the claims too: others need not wait for them to go stale."""
    if not claimed:
        return {}
    ids = sorted(claimed)
    release = _claims_of(kind, embedder.model_id, {i: hashes[i] for i in ids})
    try:
        vectors = embedder.encode([texts[i] for i in ids])
    except BaseException:
        with write_apart(session) as connection:
            connection.execute(release)
        raise
    rows = [
        {
            "kind": kind,
            "profile_id": i,
            "model_version": embedder.model_id,
            "content_hash": hashes[i],
            "dim": embedder.dim,
            "vector": np.asarray(v, dtype="<f4").tobytes(),
        }
        for i, v in zip(ids, vectors, strict=True)
    ]
    with write_apart(session) as connection:
        # Nothing conflicts unless a claim was taken over from a claimant that was slow, not
        # dead: the table keeps the first vector.
        connection.execute(_insert(connection, ProfileEmbedding).on_conflict_do_nothing(), rows)
        connection.execute(release)
    log.info("embedded %d %s text(s) with %s", len(ids), kind, embedder.model_id)
    return {i: np.asarray(v, dtype=np.float32) for i, v in zip(ids, vectors, strict=True)}


# How long the vector of a profile's earlier text is kept after it was stored: a build that read
# the profile before the edit still asks for it, and would embed the text again (one did, in the
# eleventh pass's benchmark). Builds take minutes at 100,000s of profiles per kind.
OLD_VECTOR_KEEP_SECONDS = 3600


def forget_old_vectors(
    session: Session, kind: str, profile_id: int, model_id: str, keep: str
) -> None:
    """Delete a profile's vectors of its earlier texts (same model) stored over
    ``OLD_VECTOR_KEEP_SECONDS`` ago: nothing reads them any more. In a transaction of its own,
    as ``embed_once`` writes: the session's own may be a read that others' writes have
    overtaken (SQLite would refuse its upgrade to a write)."""
    stored_before = utcnow() - timedelta(seconds=OLD_VECTOR_KEEP_SECONDS)
    with write_apart(session) as connection:
        connection.execute(
            sa.delete(ProfileEmbedding).where(
                ProfileEmbedding.kind == kind,
                ProfileEmbedding.profile_id == profile_id,
                ProfileEmbedding.model_version == model_id,
                ProfileEmbedding.content_hash != keep,
                ProfileEmbedding.created_at < stored_before,
            )
        )
