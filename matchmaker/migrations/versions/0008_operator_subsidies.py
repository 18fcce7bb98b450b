"""operator: performance-based post-subsidy rules, one per year

Revision ID: 0008_operator_subsidies
Revises: 0007_operator_outbox
Create Date: 2026-12-02 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_operator_subsidies"
down_revision: str | Sequence[str] | None = "0007_operator_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operator_subsidy_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rate_per_hour", sa.Numeric(16, 2), nullable=False),
        sa.Column("rate_per_voucher_yuan", sa.Numeric(6, 4), nullable=False),
        sa.Column("cap_per_facility", sa.Numeric(16, 2), nullable=True),
        sa.Column("cap_per_instrument", sa.Numeric(16, 2), nullable=True),
        sa.Column("min_utilisation_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("reward_count", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "year BETWEEN 2000 AND 2100", name=op.f("ck_operator_subsidy_rules_year_range")
        ),
        sa.CheckConstraint(
            "rate_per_hour >= 0 AND rate_per_voucher_yuan >= 0 AND rate_per_voucher_yuan <= 10",
            name=op.f("ck_operator_subsidy_rules_rates"),
        ),
        sa.CheckConstraint(
            "cap_per_facility IS NULL OR cap_per_facility > 0",
            name=op.f("ck_operator_subsidy_rules_facility_cap_positive"),
        ),
        sa.CheckConstraint(
            "cap_per_instrument IS NULL OR cap_per_instrument > 0",
            name=op.f("ck_operator_subsidy_rules_instrument_cap_positive"),
        ),
        sa.CheckConstraint(
            "min_utilisation_percent >= 0 AND min_utilisation_percent <= 100",
            name=op.f("ck_operator_subsidy_rules_utilisation_range"),
        ),
        sa.CheckConstraint(
            "reward_count >= 0 AND reward_count <= 100",
            name=op.f("ck_operator_subsidy_rules_reward_count"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_operator_subsidy_rules_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_subsidy_rules")),
        sa.UniqueConstraint("year", name=op.f("uq_operator_subsidy_rules_year")),
    )


def downgrade() -> None:
    op.drop_table("operator_subsidy_rules")
