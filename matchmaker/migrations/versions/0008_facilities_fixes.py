"""facilities: weekly windows neither repeat nor overlap; pending requests can expire

Revision ID: 0008_facilities_fixes
Revises: 0004_facilities
Create Date: 2026-12-02 03:30:00

Windows published before this revision may repeat or overlap (nothing refused them); they are
merged per instrument and weekday first (the union of the open time is what they meant), then
a unique constraint (every database) and, on PostgreSQL, an exclusion constraint on overlapping
times of one weekday forbid it for good. The models attach the same exclusion DDL
(models/bookings.py).

Import batches keep the SHA-256 of their file (unique): the same file is not imported twice.

Bookings get the ``expired`` status: a request nobody approved before its start time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import time

import sqlalchemy as sa
from alembic import op

revision: str = "0008_facilities_fixes"
down_revision: str | Sequence[str] | None = "0004_facilities"
branch_labels: str | Sequence[str] | None = None
# The import batches' file hash (issue 15, item 15) goes on the operator branch's table.
depends_on: str | Sequence[str] | None = ("0005_operator",)

WINDOW_EXCLUSION_DDL = (
    "ALTER TABLE equipment_availability_windows "
    "ADD CONSTRAINT ex_equipment_availability_windows_no_overlap "
    "EXCLUDE USING gist (equipment_id WITH =, weekday WITH =, "
    "tsrange(DATE '2000-01-03' + start_time, DATE '2000-01-03' + end_time) WITH &&)"
)

STATUS_CHECK = (
    "status IN ('pending', 'confirmed', 'declined', 'cancelled', 'completed', 'no_show'%s)"
)

windows = sa.table(
    "equipment_availability_windows",
    sa.column("id", sa.Integer),
    sa.column("equipment_id", sa.Integer),
    sa.column("weekday", sa.Integer),
    sa.column("start_time", sa.Time),
    sa.column("end_time", sa.Time),
)


def _merge_existing() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(windows).order_by(windows.c.start_time, windows.c.id)).all()
    groups: dict[tuple[int, int], list[tuple[int, time, time]]] = defaultdict(list)
    for row in rows:
        groups[(row.equipment_id, row.weekday)].append((row.id, row.start_time, row.end_time))
    for group in groups.values():
        kept: list[list[object]] = []  # [id, start, end]
        for window_id, start, end in group:
            if kept and start < kept[-1][2]:  # type: ignore[operator]
                kept[-1][2] = max(kept[-1][2], end)  # type: ignore[type-var]
                conn.execute(sa.delete(windows).where(windows.c.id == window_id))
            else:
                kept.append([window_id, start, end])
        for window_id, start, end in kept:
            conn.execute(
                sa.update(windows)
                .where(windows.c.id == window_id)
                .values(start_time=start, end_time=end)
            )


def upgrade() -> None:
    _merge_existing()
    op.create_index(
        "uq_equipment_availability_windows_slot",
        "equipment_availability_windows",
        ["equipment_id", "weekday", "start_time", "end_time"],
        unique=True,
    )
    with op.batch_alter_table("equipment_bookings") as batch_op:
        batch_op.drop_constraint(op.f("ck_equipment_bookings_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_equipment_bookings_status"), STATUS_CHECK % ", 'expired'"
        )
    with op.batch_alter_table("operator_import_batches") as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
    op.create_index(
        op.f("ix_operator_import_batches_content_hash"),
        "operator_import_batches",
        ["content_hash"],
        unique=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(WINDOW_EXCLUSION_DDL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE equipment_availability_windows "
            "DROP CONSTRAINT ex_equipment_availability_windows_no_overlap"
        )
    op.execute("UPDATE equipment_bookings SET status = 'declined' WHERE status = 'expired'")
    with op.batch_alter_table("equipment_bookings") as batch_op:
        batch_op.drop_constraint(op.f("ck_equipment_bookings_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_equipment_bookings_status"), STATUS_CHECK % "")
    op.drop_index(
        "uq_equipment_availability_windows_slot", table_name="equipment_availability_windows"
    )
    op.drop_index(
        op.f("ix_operator_import_batches_content_hash"), table_name="operator_import_batches"
    )
    with op.batch_alter_table("operator_import_batches") as batch_op:
        batch_op.drop_column("content_hash")
