"""mentoring: where a session happens, who missed a no-show (and its one dispute), shared
review comments

Revision ID: 0008_mentoring_conversations
Revises: 0006_mentoring_open_request
Create Date: 2026-12-02 03:40:00

Columns only, each with a server default so existing rows stay valid: a session's meeting place
and video link; for a no-show, the side that was absent and the other side's one dispute; on a
review, a comment the founder agreed to show on the mentor's page.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_mentoring_conversations"
down_revision: str | Sequence[str] | None = "0006_mentoring_open_request"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "mentor_sessions",
        sa.Column("meeting_place", sa.String(200), nullable=False, server_default=""),
    )
    op.add_column(
        "mentor_sessions",
        sa.Column("meeting_url", sa.String(500), nullable=False, server_default=""),
    )
    op.add_column(
        "mentor_sessions",
        sa.Column("absent_side", sa.String(10), nullable=False, server_default=""),
    )
    op.add_column("mentor_sessions", sa.Column("no_show_disputed_at", sa.DateTime()))
    op.add_column(
        "mentor_sessions",
        sa.Column("no_show_dispute_note", sa.Text(), nullable=False, server_default=""),
    )
    op.add_column(
        "mentor_session_reviews",
        sa.Column("public_comment", sa.Text(), nullable=False, server_default=""),
    )
    op.add_column(
        "mentor_session_reviews",
        sa.Column("share_comment", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("mentor_session_reviews") as batch_op:
        batch_op.drop_column("share_comment")
        batch_op.drop_column("public_comment")
    with op.batch_alter_table("mentor_sessions") as batch_op:
        for column in (
            "no_show_dispute_note",
            "no_show_disputed_at",
            "absent_side",
            "meeting_url",
            "meeting_place",
        ):
            batch_op.drop_column(column)
