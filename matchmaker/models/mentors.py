"""Mentor profiles (创业导师)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, CodeList, TimestampMixin
from matchmaker.models.users import User
from matchmaker.timezones import DEFAULT_ZONE


class Mentor(TimestampMixin, Base):
    """A mentor (创业导师): one per user who offers mentoring.

    The class is ``Mentor`` so it is not confused with the engine's ``MentorProfile`` dataclass;
    its table keeps the name ``mentor_profiles`` (renaming it would need a migration).
    """

    __tablename__ = "mentor_profiles"
    __table_args__ = (sa.CheckConstraint("capacity_per_month >= 0", name="capacity_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    headline: Mapped[str] = mapped_column(sa.String(200), default="")
    expertise: Mapped[str] = mapped_column(sa.Text, default="")
    sectors: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    languages: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    mentoring_topics: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    organisation: Mapped[str] = mapped_column(sa.String(120), default="")
    location: Mapped[str] = mapped_column(sa.String(120), default="")
    timezone: Mapped[str] = mapped_column(sa.String(40), default=DEFAULT_ZONE)
    capacity_per_month: Mapped[int] = mapped_column(default=4)
    accepting_requests: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship()

    @property
    def name(self) -> str:
        return self.user.display_name


class MenteeSource(StrEnum):
    """Where a mentor-mentee link comes from: a session held here, or imported history."""

    PLATFORM = "platform"
    IMPORTED = "imported"


class MentorMentee(Base):
    """A startup a mentor has mentored: completed sessions on the platform or imported history.

    The engine compares a new startup with these ("mentors whose past mentees resemble it").
    """

    __tablename__ = "mentor_mentees"

    mentor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentor_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    since: Mapped[date | None]
    source: Mapped[str] = mapped_column(sa.String(20), default="platform")  # or "imported"
