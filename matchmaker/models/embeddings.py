"""Stored embeddings: one vector per (kind, profile, model version, content hash).

Written only by job workers (``services.recommendations.indexing``): a profile save queues a job
that embeds the profile's text once, whatever the number of web processes or machines. Index builds
read their vectors from here, so a rebuild never embeds a text twice; a new ``EMBEDDING_MODEL``
(another model version) or a new text template (another content hash) simply misses and is embedded.

A text being embedded has a claim (``EmbeddingClaim``) until its vector is stored: a save's job and
a build that both find the text missing embed it once between them, the database letting one
claimant in.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow


class ProfileEmbedding(Base):
    __tablename__ = "engine_embeddings"

    # "startup", "mentor", "investor", "equipment" or "portfolio" (off-platform portfolio
    # companies, keyed by a 60-bit hash of their text: hence BigInteger).
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    model_version: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    dim: Mapped[int] = mapped_column()
    # float32, little-endian, ``dim`` values: portable between SQLite and PostgreSQL, no pickle.
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmbeddingClaim(Base):
    """A text some process is embedding now, under its vector's key; deleted with the vector's
    insert. A claim older than ``profile_vectors.CLAIM_STALE_SECONDS`` is a claimant that died
    midway (a killed worker), which the next process to need the text takes over."""

    __tablename__ = "engine_embedding_claims"

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    model_version: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
