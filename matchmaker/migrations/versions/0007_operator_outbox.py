"""operator: the development outbox (e-mail kept while no SMTP server is configured)

Revision ID: 0007_operator_outbox
Revises: 0005_operator
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_operator_outbox"
down_revision: str | Sequence[str] | None = "0005_operator"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.String(length=1000), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_emails")),
    )
    op.create_index("ix_outbox_emails_created_at", "outbox_emails", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_emails_created_at", table_name="outbox_emails")
    op.drop_table("outbox_emails")
