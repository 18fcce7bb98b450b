"""engine: stored embeddings keyed by kind, profile, model version and content hash

Revision ID: 0008_engine_embeddings
Revises: 0001_foundation
Create Date: 2026-12-02 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_engine_embeddings"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("engine",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engine_embeddings",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("profile_id", sa.BigInteger(), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "profile_id", "model_version", "content_hash", name=op.f("pk_engine_embeddings")
        ),
    )


def downgrade() -> None:
    op.drop_table("engine_embeddings")
