"""facilities: availability, rules, trainings, bookings, series, waitlist, vouchers and ledger

Revision ID: 0004_facilities
Revises: 0001_foundation
Create Date: 2026-11-22 22:40:00

The PostgreSQL exclusion constraint (no two active bookings of one instrument overlap) is
written by hand: it needs btree_gist and a tsrange expression that autogenerate cannot render.
The models attach the same DDL to ``equipment_bookings`` (models/bookings.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_facilities"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("facilities",)
depends_on: str | Sequence[str] | None = None

EXCLUSION_DDL = (
    "ALTER TABLE equipment_bookings ADD CONSTRAINT ex_equipment_bookings_no_overlap "
    "EXCLUDE USING gist (equipment_id WITH =, tsrange(starts_at, ends_at) WITH &&) "
    "WHERE (status IN ('pending', 'confirmed', 'completed'))"
)


def upgrade() -> None:
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("startup_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("balance", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("categories", sa.String(length=1000), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_vouchers_amount_positive")),
        sa.CheckConstraint(
            "balance >= 0 AND balance <= amount", name=op.f("ck_vouchers_balance_range")
        ),
        sa.CheckConstraint("valid_until >= valid_from", name=op.f("ck_vouchers_validity")),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["users.id"],
            name=op.f("fk_vouchers_issued_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"],
            ["startups.id"],
            name=op.f("fk_vouchers_startup_id_startups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
    )
    op.create_index(op.f("ix_vouchers_startup_id"), "vouchers", ["startup_id"], unique=False)
    op.create_table(
        "equipment_availability_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.CheckConstraint(
            "kind IN ('opening', 'blackout')",
            name=op.f("ck_equipment_availability_exceptions_kind"),
        ),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_equipment_availability_exceptions_order")
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_equipment_availability_exceptions_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_availability_exceptions")),
    )
    op.create_index(
        op.f("ix_equipment_availability_exceptions_equipment_id"),
        "equipment_availability_exceptions",
        ["equipment_id"],
        unique=False,
    )
    op.create_table(
        "equipment_availability_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.CheckConstraint(
            "end_time > start_time", name=op.f("ck_equipment_availability_windows_order")
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_equipment_availability_windows_weekday")
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_equipment_availability_windows_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_availability_windows")),
    )
    op.create_index(
        op.f("ix_equipment_availability_windows_equipment_id"),
        "equipment_availability_windows",
        ["equipment_id"],
        unique=False,
    )
    op.create_table(
        "equipment_booking_rules",
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("min_minutes", sa.Integer(), nullable=False),
        sa.Column("max_minutes", sa.Integer(), nullable=False),
        sa.Column("granularity_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("lead_time_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("weekly_quota_hours", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("cancel_notice_hours", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "buffer_minutes >= 0 AND lead_time_minutes >= 0 AND horizon_days > 0",
            name=op.f("ck_equipment_booking_rules_margins"),
        ),
        sa.CheckConstraint(
            "min_minutes > 0 AND max_minutes >= min_minutes AND granularity_minutes > 0",
            name=op.f("ck_equipment_booking_rules_lengths"),
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_equipment_booking_rules_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("equipment_id", name=op.f("pk_equipment_booking_rules")),
    )
    op.create_table(
        "equipment_booking_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("startup_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_equipment_booking_series_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"],
            ["startups.id"],
            name=op.f("fk_equipment_booking_series_startup_id_startups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_equipment_booking_series_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_booking_series")),
    )
    op.create_index(
        op.f("ix_equipment_booking_series_equipment_id"),
        "equipment_booking_series",
        ["equipment_id"],
        unique=False,
    )
    op.create_table(
        "equipment_trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_equipment_trainings_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["users.id"],
            name=op.f("fk_equipment_trainings_granted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_equipment_trainings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_trainings")),
        sa.UniqueConstraint(
            "equipment_id", "user_id", name=op.f("uq_equipment_trainings_equipment_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_equipment_trainings_equipment_id"),
        "equipment_trainings",
        ["equipment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_equipment_trainings_user_id"), "equipment_trainings", ["user_id"], unique=False
    )
    op.create_table(
        "equipment_waitlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("startup_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("offered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_equipment_waitlist_order")),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_equipment_waitlist_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"],
            ["startups.id"],
            name=op.f("fk_equipment_waitlist_startup_id_startups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_equipment_waitlist_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_waitlist")),
    )
    op.create_index(
        "ix_equipment_waitlist_equipment_status",
        "equipment_waitlist",
        ["equipment_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_equipment_waitlist_user_id"), "equipment_waitlist", ["user_id"], unique=False
    )
    op.create_table(
        "equipment_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("startup_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("decline_reason", sa.String(length=500), nullable=False),
        sa.Column("price", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("voucher_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("voucher_state", sa.String(length=10), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(), nullable=True),
        sa.Column("actual_minutes", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'declined', 'cancelled', 'completed', 'no_show')",
            name=op.f("ck_equipment_bookings_status"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_equipment_bookings_order")),
        sa.CheckConstraint(
            "voucher_amount >= 0 AND voucher_amount <= price",
            name=op.f("ck_equipment_bookings_voucher_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_equipment_bookings_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["equipment_booking_series.id"],
            name=op.f("fk_equipment_bookings_series_id_equipment_booking_series"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"],
            ["startups.id"],
            name=op.f("fk_equipment_bookings_startup_id_startups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_equipment_bookings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_equipment_bookings_voucher_id_vouchers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_bookings")),
    )
    op.create_index(
        "ix_equipment_bookings_equipment_starts",
        "equipment_bookings",
        ["equipment_id", "starts_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_equipment_bookings_series_id"), "equipment_bookings", ["series_id"], unique=False
    )
    op.create_index(
        op.f("ix_equipment_bookings_startup_id"), "equipment_bookings", ["startup_id"], unique=False
    )
    op.create_index(
        op.f("ix_equipment_bookings_user_id"), "equipment_bookings", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_equipment_bookings_voucher_id"), "equipment_bookings", ["voucher_id"], unique=False
    )
    op.create_table(
        "voucher_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("balance_after", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('issue', 'hold', 'release', 'redeem')", name=op.f("ck_voucher_entries_kind")
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_voucher_entries_amount_nonnegative")),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_voucher_entries_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["equipment_bookings.id"],
            name=op.f("fk_voucher_entries_booking_id_equipment_bookings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_voucher_entries_facility_id_facilities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_voucher_entries_voucher_id_vouchers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_entries")),
        sa.UniqueConstraint("booking_id", "kind", name=op.f("uq_voucher_entries_booking_id_kind")),
    )
    op.create_index(
        op.f("ix_voucher_entries_facility_id"), "voucher_entries", ["facility_id"], unique=False
    )
    op.create_index(
        op.f("ix_voucher_entries_voucher_id"), "voucher_entries", ["voucher_id"], unique=False
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(EXCLUSION_DDL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE equipment_bookings "
            "DROP CONSTRAINT IF EXISTS ex_equipment_bookings_no_overlap"
        )
    op.drop_index(op.f("ix_voucher_entries_voucher_id"), table_name="voucher_entries")
    op.drop_index(op.f("ix_voucher_entries_facility_id"), table_name="voucher_entries")
    op.drop_table("voucher_entries")
    op.drop_index(op.f("ix_equipment_bookings_voucher_id"), table_name="equipment_bookings")
    op.drop_index(op.f("ix_equipment_bookings_user_id"), table_name="equipment_bookings")
    op.drop_index(op.f("ix_equipment_bookings_startup_id"), table_name="equipment_bookings")
    op.drop_index(op.f("ix_equipment_bookings_series_id"), table_name="equipment_bookings")
    op.drop_index("ix_equipment_bookings_equipment_starts", table_name="equipment_bookings")
    op.drop_table("equipment_bookings")
    op.drop_index(op.f("ix_equipment_waitlist_user_id"), table_name="equipment_waitlist")
    op.drop_index("ix_equipment_waitlist_equipment_status", table_name="equipment_waitlist")
    op.drop_table("equipment_waitlist")
    op.drop_index(op.f("ix_equipment_trainings_user_id"), table_name="equipment_trainings")
    op.drop_index(op.f("ix_equipment_trainings_equipment_id"), table_name="equipment_trainings")
    op.drop_table("equipment_trainings")
    op.drop_index(
        op.f("ix_equipment_booking_series_equipment_id"), table_name="equipment_booking_series"
    )
    op.drop_table("equipment_booking_series")
    op.drop_table("equipment_booking_rules")
    op.drop_index(
        op.f("ix_equipment_availability_windows_equipment_id"),
        table_name="equipment_availability_windows",
    )
    op.drop_table("equipment_availability_windows")
    op.drop_index(
        op.f("ix_equipment_availability_exceptions_equipment_id"),
        table_name="equipment_availability_exceptions",
    )
    op.drop_table("equipment_availability_exceptions")
    op.drop_index(op.f("ix_vouchers_startup_id"), table_name="vouchers")
    op.drop_table("vouchers")
