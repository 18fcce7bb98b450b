"""Funding: pitch decks, pitches (a fund's pipeline entries), their stage history, fund-private
notes and double opt-in introductions between a startup and an investor."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, TimestampMixin, utcnow
from matchmaker.models.investors import Investor
from matchmaker.models.startups import FundingAsk, Startup
from matchmaker.models.users import User


class PitchStage(StrEnum):
    """Where a pitch is in the pipeline a fund's members share (``Pitch.stage``)."""

    NEW = "new"
    REVIEWING = "reviewing"
    MEETING = "meeting"
    DUE_DILIGENCE = "due_diligence"
    TERM_SHEET = "term_sheet"
    INVESTED = "invested"
    PASSED = "passed"


PIPELINE_STAGES = tuple(PitchStage)
# "invested" and "passed" are final: no move, no new message.
FINAL_STAGES = (PitchStage.INVESTED, PitchStage.PASSED)


class Side(StrEnum):
    """The two parties of a pitch or an introduction: who writes, who accepts."""

    STARTUP = "startup"
    INVESTOR = "investor"


# ``Introduction.requested_by_side`` of one proposed by a deal reaching "meeting".
REQUESTED_BY_SYSTEM = "system"


class IntroductionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class PitchMessageKind(StrEnum):
    """What a message on a pitch is: the fund's question, request or decline; the answer."""

    QUESTION = "question"
    MATERIALS = "materials"
    DECLINE = "decline"
    REPLY = "reply"


class PitchDeck(Base):
    """Metadata of an uploaded PDF; the file lives under UPLOAD_DIR with a random name."""

    __tablename__ = "funding_pitch_decks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ask_id: Mapped[int] = mapped_column(
        sa.ForeignKey("funding_asks.id", ondelete="CASCADE"), unique=True
    )
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(200), default="")
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ask: Mapped[FundingAsk] = relationship()


class Pitch(TimestampMixin, Base):
    """A funding ask sent to one investor; also that fund's pipeline entry for the startup."""

    __tablename__ = "funding_pitches"
    __table_args__ = (
        sa.UniqueConstraint("ask_id", "investor_id", name="uq_funding_pitches_ask_investor"),
        sa.CheckConstraint(
            "stage IN ('new','reviewing','meeting','due_diligence',"
            "'term_sheet','invested','passed')",
            name="stage_known",
        ),
        sa.Index("ix_funding_pitches_startup_created", "startup_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ask_id: Mapped[int] = mapped_column(sa.ForeignKey("funding_asks.id", ondelete="CASCADE"))
    # Denormalised from the ask: the weekly limit counts a startup's pitches.
    startup_id: Mapped[int] = mapped_column(sa.ForeignKey("startups.id", ondelete="CASCADE"))
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investors.id", ondelete="CASCADE"), index=True
    )
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    stage: Mapped[str] = mapped_column(sa.String(20), default=PitchStage.NEW)
    # A code of PASS_REASONS: the founder sees its kind wording, never the fund's notes.
    pass_reason: Mapped[str] = mapped_column(sa.String(30), default="")
    # The meeting the fund sets once the deal reaches "meeting" (naive UTC), and where it is:
    # a place and/or a video link, in both teams' calendars (.ics) and reminders.
    meeting_starts_at: Mapped[datetime | None]
    meeting_ends_at: Mapped[datetime | None]
    meeting_place: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    meeting_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    ask: Mapped[FundingAsk] = relationship()
    startup: Mapped[Startup] = relationship()
    investor: Mapped[Investor] = relationship()
    history: Mapped[list[PitchStageChange]] = relationship(
        back_populates="pitch",
        cascade="all, delete-orphan",
        order_by="PitchStageChange.id",
    )


class PitchStageChange(Base):
    __tablename__ = "funding_pitch_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("funding_pitches.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str] = mapped_column(sa.String(20), default="")
    to_stage: Mapped[str] = mapped_column(sa.String(20))
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pitch: Mapped[Pitch] = relationship(back_populates="history")
    changed_by: Mapped[User | None] = relationship()


class FundNote(Base):
    """A note on a pipeline entry, visible only to members of the fund that wrote it."""

    __tablename__ = "funding_fund_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("funding_pitches.id", ondelete="CASCADE"), index=True
    )
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investors.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Introduction(TimestampMixin, Base):
    """Double opt-in: contacts are shown only once both sides have accepted.

    Whoever requests accepts for their side at once; a proposal (a deal reaching "meeting")
    starts with neither side accepted.
    """

    __tablename__ = "funding_introductions"
    __table_args__ = (
        sa.UniqueConstraint(
            "startup_id", "investor_id", name="uq_funding_introductions_startup_investor"
        ),
        sa.CheckConstraint("status IN ('pending','accepted','declined')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(sa.ForeignKey("startups.id", ondelete="CASCADE"))
    investor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investors.id", ondelete="CASCADE"), index=True
    )
    pitch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("funding_pitches.id", ondelete="SET NULL")
    )
    requested_by_side: Mapped[str] = mapped_column(sa.String(10))  # startup / investor / system
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(sa.Text, default="")
    startup_accepted_at: Mapped[datetime | None]
    startup_accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    investor_accepted_at: Mapped[datetime | None]
    investor_accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(10), default=IntroductionStatus.PENDING)
    declined_by_side: Mapped[str] = mapped_column(sa.String(10), default="")

    startup: Mapped[Startup] = relationship()
    investor: Mapped[Investor] = relationship()

    @property
    def is_accepted(self) -> bool:
        return self.status == IntroductionStatus.ACCEPTED

    def accepted_by(self, side: str) -> bool:
        stamp = self.startup_accepted_at if side == Side.STARTUP else self.investor_accepted_at
        return stamp is not None


# An investor asks a question, requests materials or declines in their own words; the founders
# answer. One thread per pitch, seen by both teams (unlike the fund's private notes).
PITCH_MESSAGE_KINDS = tuple(PitchMessageKind)


class PitchMessage(Base):
    __tablename__ = "funding_pitch_messages"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('question','materials','decline','reply')", name="kind_known"),
        sa.CheckConstraint("side IN ('startup','investor')", name="side_known"),
        sa.Index("ix_funding_pitch_messages_pitch_created", "pitch_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(sa.ForeignKey("funding_pitches.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    side: Mapped[str] = mapped_column(sa.String(10))
    kind: Mapped[str] = mapped_column(sa.String(12))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()
