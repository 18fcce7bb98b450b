"""foundation: each contact channel (phone, WeChat) is shared only with its owner's consent

Revision ID: 0008_foundation_contacts
Revises: 0006_foundation_invitations
Create Date: 2026-12-02 03:40:00

Both default to false: a phone or WeChat ID stored before this revision was never agreed to
be shared, so it stays private until its owner says yes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_foundation_contacts"
down_revision: str | Sequence[str] | None = "0006_foundation_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("share_phone", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "users", sa.Column("share_wechat", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("share_wechat")
        batch_op.drop_column("share_phone")
