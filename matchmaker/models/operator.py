"""The operator's tables: published policies, makerspace residency, support records, imports.

Policies carry both languages side by side (the same measure is read by Chinese and foreign
founders) and their eligibility as structured rules, so that "why (not) eligible" can be told
rule by rule. Support records are what the public disclosure page lists next to the support
the other areas record themselves (vouchers, sessions, bookings).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, CodeList, Money, TimestampMixin, utcnow
from matchmaker.models.startups import Startup


class PolicyKind(StrEnum):
    """What a policy offers (``Policy.kind``)."""

    SUBSIDY = "subsidy"
    LOAN = "loan"
    TAX = "tax"
    VOUCHER = "voucher"
    EQUITY = "equity"
    TALENT = "talent"
    AWARD = "award"
    OTHER = "other"


class SupportKind(StrEnum):
    """What support a startup received: recorded by operators (``SupportRecord.kind``), or
    disclosed from the other areas' records (sessions, bookings paid by voucher, vouchers)."""

    SUBSIDY = "subsidy"
    LOAN = "loan"
    VOUCHER = "voucher"
    TAX = "tax"
    AWARD = "award"
    SESSION = "session"
    BOOKING = "booking"
    OTHER = "other"


class ImportKind(StrEnum):
    """What a bulk-import file lists (``ImportBatch.kind``)."""

    MENTOR = "mentor"
    INVESTOR = "investor"
    FACILITY = "facility"
    EQUIPMENT = "equipment"


# The codes as plain strings, in the order forms list them.
POLICY_KINDS = tuple(k.value for k in PolicyKind)
SUPPORT_KINDS = tuple(k.value for k in SupportKind)


class Policy(TimestampMixin, Base):
    """A support measure published in the policy center (统一的政策信息发布平台)."""

    __tablename__ = "operator_policies"
    __table_args__ = (
        sa.CheckConstraint(
            "benefit_amount IS NULL OR benefit_amount >= 0", name="benefit_nonnegative"
        ),
        sa.CheckConstraint(
            "max_company_age_years IS NULL OR max_company_age_years >= 0", name="age_nonnegative"
        ),
        sa.CheckConstraint("max_team_size IS NULL OR max_team_size >= 1", name="team_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable key of a seeded measure, so seeding twice updates instead of duplicating.
    slug: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default=PolicyKind.OTHER.value)
    title_en: Mapped[str] = mapped_column(sa.String(200))
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    issuer_en: Mapped[str] = mapped_column(sa.String(200), default="")
    issuer_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    document_number: Mapped[str] = mapped_column(sa.String(80), default="")
    summary_en: Mapped[str] = mapped_column(sa.Text, default="")
    summary_zh: Mapped[str] = mapped_column(sa.Text, default="")
    full_text_en: Mapped[str] = mapped_column(sa.Text, default="")
    full_text_zh: Mapped[str] = mapped_column(sa.Text, default="")
    # Eligibility rules; an empty list or None means "no condition".
    sectors: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    stages: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    founder_backgrounds: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    locations: Mapped[list[str]] = mapped_column(CodeList(), default=list)  # place keywords
    max_company_age_years: Mapped[int | None]
    max_team_size: Mapped[int | None]
    requires_makerspace: Mapped[bool] = mapped_column(default=False)
    benefit_amount: Mapped[Decimal | None] = mapped_column(Money)
    benefit_currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    deadline: Mapped[date | None]
    # Which step of the incubation chain the measure helps with (CHAIN_SERVICES codes).
    chain_services: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    def title(self, locale: str | None) -> str:
        return self.title_zh if (locale or "").startswith("zh") else self.title_en

    def issuer(self, locale: str | None) -> str:
        return self.issuer_zh if (locale or "").startswith("zh") else self.issuer_en

    def summary(self, locale: str | None) -> str:
        return self.summary_zh if (locale or "").startswith("zh") else self.summary_en

    def full_text(self, locale: str | None) -> str:
        return self.full_text_zh if (locale or "").startswith("zh") else self.full_text_en


class StartupResidency(Base):
    """A startup hosted in the makerspace (入驻众创空间), as recorded by an operator."""

    __tablename__ = "operator_residencies"

    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    startup: Mapped[Startup] = relationship()


class SupportRecord(Base):
    """Support a startup received through the platform, recorded by an operator.

    ``note`` is internal and never shown on the public disclosure page.
    """

    __tablename__ = "operator_support_records"
    __table_args__ = (
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="amount_nonnegative"),
        sa.Index("ix_operator_support_records_startup_kind", "startup_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(sa.ForeignKey("startups.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("operator_policies.id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    granted_on: Mapped[date]
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    startup: Mapped[Startup] = relationship()
    policy: Mapped[Policy | None] = relationship()


class ImportBatch(Base):
    """One committed bulk import: who loaded which file, and how many rows."""

    __tablename__ = "operator_import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    row_count: Mapped[int] = mapped_column(default=0)
    # SHA-256 of the file: the same file imported twice is refused (unique). A file imported
    # again on purpose is stored without it, so the first import stays the one it is compared to.
    content_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
