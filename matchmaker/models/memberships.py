"""Invitations to join a startup's team or a fund: membership is double opt-in.

A team member invites an e-mail address; the person who signs in with that address accepts
(and only then gets a ``StartupMember``/``InvestorMember`` row) or declines. Until then they are
not a member anywhere: not on public pages, not in contact lists, not able to act for that side.

Invitations are addressed to an e-mail, not to an account, on purpose: the row is the same
whether or not an account uses the address, so nothing the inviter can see (the answer, the
list of pending invitations) tells them whether that person is registered.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from matchmaker.models.base import Base, TimestampMixin, unique_where
from matchmaker.models.investors import Investor
from matchmaker.models.startups import Startup
from matchmaker.models.users import User


class InvitationStatus(StrEnum):
    """An invitation is pending until it moves, once, to one of the three end states."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class _Invitation(TimestampMixin):
    """Columns shared by both kinds; ``status`` moves once, from pending to an end state."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)  # normalised (lower case)
    title: Mapped[str] = mapped_column(sa.String(80), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=InvitationStatus.PENDING.value)
    answered_at: Mapped[datetime | None]

    @declared_attr
    def invited_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def answered_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def invited_by(cls) -> Mapped[User | None]:
        return relationship(foreign_keys=[cls.invited_by_id])  # type: ignore[list-item]

    @property
    def is_pending(self) -> bool:
        return self.status == InvitationStatus.PENDING


def _status_known() -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "status IN ('pending','accepted','declined','withdrawn')", name="status_known"
    )


class StartupInvitation(_Invitation, Base):
    __tablename__ = "startup_invitations"
    __table_args__ = (
        _status_known(),
        # At most one open invitation per startup and address: a second invite of the same
        # address (even two racing ones) cannot create a second row.
        unique_where(
            "uq_startup_invitations_pending", "startup_id", "email", where="status = 'pending'"
        ),
    )

    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="CASCADE"), index=True
    )
    startup: Mapped[Startup] = relationship()


class InvestorInvitation(_Invitation, Base):
    __tablename__ = "investor_invitations"
    __table_args__ = (
        _status_known(),
        unique_where(
            "uq_investor_invitations_pending", "investor_id", "email", where="status = 'pending'"
        ),
    )

    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investors.id", ondelete="CASCADE"), index=True
    )
    investor: Mapped[Investor] = relationship()
