"""facilities: a district and optional coordinates per facility (the navigation map)

Revision ID: 0008_facilities_locations
Revises: 0004_facilities
Create Date: 2026-12-02 03:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_facilities_locations"
down_revision: str | Sequence[str] | None = "0004_facilities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot drop columns in place (downgrade), and it is harmless elsewhere
    with op.batch_alter_table("facilities") as batch:
        batch.add_column(
            sa.Column("district", sa.String(length=40), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("latitude", sa.Numeric(9, 6), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Numeric(9, 6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("facilities") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
        batch.drop_column("district")
