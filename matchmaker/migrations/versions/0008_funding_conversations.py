"""funding: a message thread per pitch (questions, requests for materials, declines in the
investor's words, the founders' answers), and a pitch's meeting: when and where (place, link)

Revision ID: 0008_funding_conversations
Revises: 0003_funding
Create Date: 2026-12-02 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_funding_conversations"
down_revision: str | Sequence[str] | None = "0003_funding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "funding_pitch_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pitch_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('question','materials','decline','reply')",
            name=op.f("ck_funding_pitch_messages_kind_known"),
        ),
        sa.CheckConstraint(
            "side IN ('startup','investor')", name=op.f("ck_funding_pitch_messages_side_known")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_funding_pitch_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pitch_id"],
            ["funding_pitches.id"],
            name=op.f("fk_funding_pitch_messages_pitch_id_funding_pitches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_pitch_messages")),
    )
    op.create_index(
        "ix_funding_pitch_messages_pitch_created",
        "funding_pitch_messages",
        ["pitch_id", "created_at"],
    )
    op.add_column("funding_pitches", sa.Column("meeting_starts_at", sa.DateTime()))
    op.add_column("funding_pitches", sa.Column("meeting_ends_at", sa.DateTime()))
    op.add_column(
        "funding_pitches",
        sa.Column("meeting_place", sa.String(200), nullable=False, server_default=""),
    )
    op.add_column(
        "funding_pitches",
        sa.Column("meeting_url", sa.String(500), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("funding_pitches") as batch_op:
        for column in ("meeting_url", "meeting_place", "meeting_ends_at", "meeting_starts_at"):
            batch_op.drop_column(column)
    op.drop_index("ix_funding_pitch_messages_pitch_created", table_name="funding_pitch_messages")
    op.drop_table("funding_pitch_messages")
