"""Mentoring: mentors' availability, session requests and sessions, and both sides' reviews.

One row of ``mentor_sessions`` is the whole life of a session, from the founder's request to the
review (``status``, a ``SessionStatus``, follows the state machine in
``services/mentoring/sessions.py``). Times are naive UTC; weekly slots are stored in the mentor's
own zone (``Mentor.timezone``) because "Tuesdays at 10:00" means 10:00 local time across
daylight-saving changes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, TimestampMixin, unique_where, utcnow
from matchmaker.models.mentors import Mentor
from matchmaker.models.startups import Startup
from matchmaker.models.users import User

# The one limit on a mentor's sessions a month: the profile form, the availability settings, the
# services behind both and the bulk import all read it from here.
MAX_SESSIONS_PER_MONTH = 60

# The one list of time zones a mentor can choose (profile form and availability settings).
TIME_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Moscow",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


class SessionStatus(StrEnum):
    """Where a session is in its life (the state machine is ``services.mentoring.sessions``).
    A ``str``: the column keeps its plain values, listed in the ``status_known`` check."""

    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"


class Side(StrEnum):
    """A party to a session: whose move it is (``awaiting``), who proposed a time, who was
    absent, who wrote a review. ``NOBODY`` (empty) where no side is meant."""

    MENTOR = "mentor"
    FOUNDER = "founder"
    NOBODY = ""


class SessionSource(StrEnum):
    """How a session came about: a founder's request or an operator's office-hours plan."""

    REQUEST = "request"
    OFFICE_HOURS = "office_hours"


# Statuses in which a session holds its mentor's slot.
SLOT_HOLDING_STATUSES = (SessionStatus.SCHEDULED,)

# On PostgreSQL, scheduled sessions of one mentor may not even overlap (two slots of different
# lengths); SQLite relies on the partial unique index plus ``begin_write``. Owned by the migration
# ``0002_mentoring``; attached below for ``create_all`` on PostgreSQL too.
OVERLAP_CONSTRAINT = "ex_mentor_sessions_no_overlap"
OVERLAP_DDL = (
    f"ALTER TABLE mentor_sessions ADD CONSTRAINT {OVERLAP_CONSTRAINT} "
    "EXCLUDE USING gist (mentor_id WITH =, tsrange(starts_at, ends_at) WITH &&) "
    "WHERE (status = 'scheduled')"
)


class WeeklySlot(Base):
    """A recurring opening: every ``weekday`` (0 = Monday) at ``start_minute`` local time."""

    __tablename__ = "mentor_weekly_slots"
    __table_args__ = (
        sa.UniqueConstraint("mentor_id", "weekday", "start_minute"),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        sa.CheckConstraint("start_minute >= 0 AND start_minute < 1440", name="minute_range"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentor_profiles.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    start_minute: Mapped[int]
    duration_minutes: Mapped[int] = mapped_column(default=60)


class OneOffOpening(Base):
    """A single extra opening at an exact time (UTC)."""

    __tablename__ = "mentor_openings"
    __table_args__ = (
        sa.UniqueConstraint("mentor_id", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentor_profiles.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class BlackoutDate(Base):
    """A day (in the mentor's zone) on which none of the mentor's slots is offered."""

    __tablename__ = "mentor_blackouts"
    __table_args__ = (sa.UniqueConstraint("mentor_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentor_profiles.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(200), default="")


class MentorSession(TimestampMixin, Base):
    """A founder's request for a session and, once accepted, the session itself."""

    __tablename__ = "mentor_sessions"
    __table_args__ = (
        # The guarantee that a mentor's slot is never given to two sessions, whatever the race.
        unique_where(
            "uq_mentor_sessions_active_slot", "mentor_id", "starts_at", where="status = 'scheduled'"
        ),
        # A startup has at most one open request with a mentor (migration 0006).
        unique_where(
            "uq_mentor_sessions_open_request",
            "mentor_id",
            "startup_id",
            where="status = 'requested'",
        ),
        sa.Index("ix_mentor_sessions_mentor_status", "mentor_id", "status"),
        sa.Index("ix_mentor_sessions_startup_status", "startup_id", "status"),
        sa.CheckConstraint(
            "status IN ('requested', 'scheduled', 'declined', 'expired', 'withdrawn', "
            "'completed', 'no_show', 'cancelled', 'rescheduled')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("mentor_profiles.id", ondelete="CASCADE"))
    startup_id: Mapped[int] = mapped_column(sa.ForeignKey("startups.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="requested")
    # While requested: whose move it is ("mentor" to decide, "founder" to answer a question or
    # pick one of the mentor's proposed times).
    awaiting: Mapped[str] = mapped_column(sa.String(10), default="mentor")
    source: Mapped[str] = mapped_column(sa.String(20), default="request")  # or "office_hours"
    topic: Mapped[str] = mapped_column(sa.String(30))
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    info_question: Mapped[str] = mapped_column(sa.Text, default="")
    info_answer: Mapped[str] = mapped_column(sa.Text, default="")
    decline_reason: Mapped[str] = mapped_column(sa.String(30), default="")
    decline_note: Mapped[str] = mapped_column(sa.Text, default="")
    cancel_note: Mapped[str] = mapped_column(sa.Text, default="")
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    rescheduled_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mentor_sessions.id", ondelete="SET NULL")
    )
    follow_up_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mentor_sessions.id", ondelete="SET NULL")
    )
    # Where it happens: a room or address, and/or a video-call link (in the .ics and reminder).
    meeting_place: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    meeting_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    # A no-show says who was absent ("mentor" or "founder"); the absent side may dispute once.
    absent_side: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    no_show_disputed_at: Mapped[datetime | None]
    no_show_dispute_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The MatchOutcome "completed" row, so the founder's rating can be written onto it later.
    outcome_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("match_outcomes.id", ondelete="SET NULL")
    )

    mentor: Mapped[Mentor] = relationship()
    startup: Mapped[Startup] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    proposals: Mapped[list[SlotProposal]] = relationship(
        back_populates="mentor_session",
        cascade="all, delete-orphan",
        order_by="SlotProposal.starts_at",
    )
    reviews: Mapped[list[SessionReview]] = relationship(
        back_populates="mentor_session", cascade="all, delete-orphan"
    )


class SlotProposal(Base):
    """A time proposed for a requested session, by the founder or (as a counter) the mentor."""

    __tablename__ = "mentor_session_proposals"
    __table_args__ = (sa.UniqueConstraint("session_id", "starts_at", "proposed_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentor_sessions.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    proposed_by: Mapped[str] = mapped_column(sa.String(10))  # "founder" or "mentor"

    mentor_session: Mapped[MentorSession] = relationship(back_populates="proposals")


class SessionReview(Base):
    """One side's record of a session: a rating, private notes and follow-up actions."""

    __tablename__ = "mentor_session_reviews"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "author_id"),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mentor_sessions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(sa.String(10))  # "founder" or "mentor"
    rating: Mapped[int]
    notes: Mapped[str] = mapped_column(sa.Text, default="")  # private to the author
    follow_up_actions: Mapped[str] = mapped_column(sa.Text, default="")
    wants_follow_up: Mapped[bool] = mapped_column(default=False)
    # A comment for the mentor's public page, shown only when its author agreed to share it.
    public_comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    share_comment: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mentor_session: Mapped[MentorSession] = relationship(back_populates="reviews")


sa.event.listen(
    MentorSession.__table__,
    "after_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
sa.event.listen(
    MentorSession.__table__, "after_create", sa.DDL(OVERLAP_DDL).execute_if(dialect="postgresql")
)
