"""Investors (funds and institutions) with their members and portfolios."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, CodeList, Money, TimestampMixin
from matchmaker.models.users import User, links_user


class InvestorType(StrEnum):
    """``Investor.type``: the codes of ``vocab.INVESTOR_TYPES``, which holds their labels."""

    ANGEL = "angel"
    SEED_FUND = "seed_fund"
    VC = "vc"
    PE = "pe"
    CORPORATE_VC = "corporate_vc"
    GOVERNMENT_GUIDANCE_FUND = "government_guidance_fund"
    BANK = "bank"
    CROWDFUNDING = "crowdfunding"


class Investor(TimestampMixin, Base):
    __tablename__ = "investors"
    __table_args__ = (
        sa.CheckConstraint(
            "ticket_min IS NULL OR ticket_max IS NULL OR ticket_min <= ticket_max",
            name="ticket_range",
        ),
        # The directory's order (see ix_startups_name_id).
        sa.Index("ix_investors_name_id", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    type: Mapped[str] = mapped_column(sa.String(30))
    thesis: Mapped[str] = mapped_column(sa.Text, default="")
    sectors: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    stages: Mapped[list[str]] = mapped_column(CodeList(), default=list)  # funding rounds
    ticket_min: Mapped[Decimal | None] = mapped_column(Money)
    ticket_max: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    instruments: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    regions: Mapped[list[str]] = mapped_column(CodeList(), default=list)  # free-text places
    location: Mapped[str] = mapped_column(sa.String(120), default="")
    website: Mapped[str] = mapped_column(sa.String(200), default="")
    # A guidance fund's co-investment conditions and a bank's loan products are part of what
    # a startup is matched against (instrument fit), so they live on the profile.
    co_investment_requirements: Mapped[str] = mapped_column(sa.Text, default="")
    loan_products: Mapped[str] = mapped_column(sa.Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    members: Mapped[list[InvestorMember]] = relationship(
        back_populates="investor", cascade="all, delete-orphan"
    )
    portfolio: Mapped[list[PortfolioEntry]] = relationship(
        back_populates="investor", cascade="all, delete-orphan", order_by="PortfolioEntry.year"
    )

    def has_member(self, user: User) -> bool:
        return links_user(self.members, user)


class InvestorMember(Base):
    __tablename__ = "investor_members"

    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investors.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(80), default="")

    investor: Mapped[Investor] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class PortfolioEntry(TimestampMixin, Base):
    __tablename__ = "portfolio_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investors.id", ondelete="CASCADE"), index=True
    )
    company: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    sector: Mapped[str] = mapped_column(sa.String(40), default="")
    round: Mapped[str] = mapped_column(sa.String(20), default="")
    year: Mapped[int | None]
    # Set when the company is a startup on the platform: powers co-investment features.
    startup_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="SET NULL"), index=True
    )

    investor: Mapped[Investor] = relationship(back_populates="portfolio")
