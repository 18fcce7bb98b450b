"""mentoring: at most one open request per startup and mentor, guaranteed by the database

Revision ID: 0006_mentoring_open_request
Revises: 0002_mentoring
Create Date: 2026-12-01 23:50:00

Before the index can exist, duplicates left by the old check-then-insert race are closed: of a
startup's open requests to one mentor, the newest stays open and the others become ``expired``
(what they would have become unanswered; no notification is sent for them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_mentoring_open_request"
down_revision: str | Sequence[str] | None = "0002_mentoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'requested'")


def upgrade() -> None:
    op.execute(
        "UPDATE mentor_sessions SET status = 'expired', awaiting = '', closed_at = updated_at "
        "WHERE status = 'requested' AND id NOT IN ("
        "SELECT MAX(id) FROM mentor_sessions WHERE status = 'requested' "
        "GROUP BY mentor_id, startup_id)"
    )
    with op.batch_alter_table("mentor_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_mentor_sessions_open_request",
            ["mentor_id", "startup_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("mentor_sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mentor_sessions_open_request", sqlite_where=OPEN, postgresql_where=OPEN
        )
