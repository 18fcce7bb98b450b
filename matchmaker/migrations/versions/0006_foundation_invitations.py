"""foundation: membership invitations (startup teams and funds become double opt-in)

Only new tables: every existing ``startup_members``/``investor_members`` row stays a member.

Revision ID: 0006_foundation_invitations
Revises: 0001_foundation
Create Date: 2026-12-01 23:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_foundation_invitations"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_KNOWN = "status IN ('pending','accepted','declined','withdrawn')"
PENDING = sa.text("status = 'pending'")


def _invitations(table: str, owner_column: str, owner_table: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(owner_column, sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(STATUS_KNOWN, name=op.f(f"ck_{table}_status_known")),
        sa.ForeignKeyConstraint(
            [owner_column],
            [f"{owner_table}.id"],
            name=op.f(f"fk_{table}_{owner_column}_{owner_table}"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f(f"fk_{table}_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f(f"fk_{table}_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f(f"ix_{table}_{owner_column}"), [owner_column], unique=False
        )
        batch_op.create_index(
            f"uq_{table}_pending",
            [owner_column, "email"],
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def upgrade() -> None:
    _invitations("startup_invitations", "startup_id", "startups")
    _invitations("investor_invitations", "investor_id", "investors")


def downgrade() -> None:
    for table in ("investor_invitations", "startup_invitations"):
        op.drop_table(table)
