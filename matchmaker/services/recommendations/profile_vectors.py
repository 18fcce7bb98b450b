"""The texts the engine embeds for each profile, and their vectors stored in ``engine_embeddings``
(keyed by content hash and model, so an unchanged text is never embedded twice).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from matchmaker.models.embeddings import ProfileEmbedding
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
    session: Session, kind: str, model_id: str, wanted: Mapping[int, str], dim: int
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


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(ProfileEmbedding)


def embed_and_store(
    session: Session,
    embedder: Embedder,
    kind: str,
    texts: Mapping[int, str],
    hashes: Mapping[int, str],
    *,
    show_progress: bool = False,
) -> dict[int, NDArray[np.float32]]:
    """Embed ``texts`` (id -> text) and store each vector under its hash; the caller commits.

    Two workers racing on the same text both embed it, but the table keeps one row (the key
    is the whole identity; the second insert does nothing)."""
    if not texts:
        return {}
    ids = list(texts)
    vectors = embedder.encode([texts[i] for i in ids], show_progress=show_progress)
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
    for start in range(0, len(rows), _ID_CHUNK):
        session.execute(_insert(session).on_conflict_do_nothing(), rows[start : start + _ID_CHUNK])
    log.info("embedded %d %s text(s) with %s", len(ids), kind, embedder.model_id)
    return {i: np.asarray(v, dtype=np.float32) for i, v in zip(ids, vectors, strict=True)}


def forget_old_vectors(
    session: Session, kind: str, profile_id: int, model_id: str, keep: str
) -> None:
    """A profile's vectors of its earlier texts (same model) are never read again."""
    session.execute(
        sa.delete(ProfileEmbedding).where(
            ProfileEmbedding.kind == kind,
            ProfileEmbedding.profile_id == profile_id,
            ProfileEmbedding.model_version == model_id,
            ProfileEmbedding.content_hash != keep,
        )
    )
