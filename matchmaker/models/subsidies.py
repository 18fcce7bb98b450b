"""Performance-based post-subsidies (根据服务绩效后补助) for facilities that open their instruments
to startups, and the annual evaluation with rewards for the best (年度评估、择优奖励).

Only the rule is stored: the amounts are computed from the booking and voucher records each time
(``services.operator.evaluation.subsidies``), so every figure can be reproduced from the
evidence it lists.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, Money, TimestampMixin


class SubsidyRule(TimestampMixin, Base):
    """How one year's post-subsidy is computed; one rule per year (the unique year)."""

    __tablename__ = "operator_subsidy_rules"
    __table_args__ = (
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        sa.CheckConstraint(
            "rate_per_hour >= 0 AND rate_per_voucher_yuan >= 0 AND rate_per_voucher_yuan <= 10",
            name="rates",
        ),
        sa.CheckConstraint(
            "cap_per_facility IS NULL OR cap_per_facility > 0", name="facility_cap_positive"
        ),
        sa.CheckConstraint(
            "cap_per_instrument IS NULL OR cap_per_instrument > 0", name="instrument_cap_positive"
        ),
        sa.CheckConstraint(
            "min_utilisation_percent >= 0 AND min_utilisation_percent <= 100",
            name="utilisation_range",
        ),
        sa.CheckConstraint("reward_count >= 0 AND reward_count <= 100", name="reward_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    # CNY paid per hour of recorded use of an instrument by a startup.
    rate_per_hour: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # CNY paid per CNY of service that startups paid with innovation vouchers (e.g. 0.3000).
    rate_per_voucher_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4), default=Decimal("0"))
    cap_per_facility: Mapped[Decimal | None] = mapped_column(Money)
    cap_per_instrument: Mapped[Decimal | None] = mapped_column(Money)
    # A facility whose hours used / hours open stays below this gets no subsidy.
    min_utilisation_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("0"))
    # How many of the best-ranked facilities receive the annual reward.
    reward_count: Mapped[int] = mapped_column(default=3)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
