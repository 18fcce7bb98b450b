"""Startups and their team members."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from matchmaker.models.base import Base, CodeList, Money, TimestampMixin
from matchmaker.models.users import User, links_user


class Startup(TimestampMixin, Base):
    __tablename__ = "startups"
    # The directory's order: a page is read off the index instead of sorting every row.
    __table_args__ = (sa.Index("ix_startups_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    one_liner: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    sectors: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    stage: Mapped[str] = mapped_column(sa.String(20), default="idea")
    funding_round: Mapped[str] = mapped_column(sa.String(20), default="none")
    location: Mapped[str] = mapped_column(sa.String(120), default="")
    team_size: Mapped[int] = mapped_column(default=1)
    founded_on: Mapped[date | None]
    founder_backgrounds: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    languages: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    mentoring_topics: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    services_needed: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    funding_need_amount: Mapped[Decimal | None] = mapped_column(Money)
    funding_need_currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    funding_need_note: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str] = mapped_column(sa.String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Not a column: whether an operator recorded the startup as hosted in the makerspace,
    # loaded with the startup where a page needs it (``policies.with_residency``) so it costs
    # no statement of its own. None when loaded otherwise.
    resident: Mapped[bool | None] = query_expression()

    members: Mapped[list[StartupMember]] = relationship(
        back_populates="startup", cascade="all, delete-orphan"
    )

    def has_member(self, user: User) -> bool:
        return links_user(self.members, user)


class StartupMember(Base):
    __tablename__ = "startup_members"

    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(80), default="")

    startup: Mapped[Startup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class FundingAsk(TimestampMixin, Base):
    """What a startup is raising: the founder's funding ask, matched against investors."""

    __tablename__ = "funding_asks"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    instrument: Mapped[str] = mapped_column(sa.String(20), default="equity")
    use_of_funds: Mapped[str] = mapped_column(sa.Text, default="")
    traction: Mapped[str] = mapped_column(sa.Text, default="")
    is_open: Mapped[bool] = mapped_column(default=True)

    startup: Mapped[Startup] = relationship()
