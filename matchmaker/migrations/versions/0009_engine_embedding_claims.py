"""engine: claims on the texts being embedded, so that each is embedded once

A profile save's job and an index build that read the same new text before either stored its
vector both embedded it (6 embeddings for 5 edits, docs/benchmarks.md, eleventh pass).

Revision ID: 0009_engine_embedding_claims
Revises: 0008_engine_embeddings
Create Date: 2026-12-04 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_engine_embedding_claims"
down_revision: str | Sequence[str] | None = "0008_engine_embeddings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engine_embedding_claims",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("profile_id", sa.BigInteger(), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind",
            "profile_id",
            "model_version",
            "content_hash",
            name=op.f("pk_engine_embedding_claims"),
        ),
    )


def downgrade() -> None:
    op.drop_table("engine_embedding_claims")
