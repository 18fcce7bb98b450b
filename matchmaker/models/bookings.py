"""Equipment time: availability, booking rules, trainings, bookings, waitlists and vouchers.

Times are naive UTC like every timestamp in the schema; weekly windows are wall-clock times of
the facility (Asia/Shanghai) and are turned into UTC intervals by
``services.mentoring.availability``.

No two active bookings of one instrument overlap. On PostgreSQL the migration
``0004_facilities`` owns an exclusion constraint for that (``EXCLUDE USING gist (equipment_id
WITH =, tsrange(starts_at, ends_at) WITH &&) WHERE status IN active``), which SQLAlchemy's
metadata cannot describe portably; the same DDL is attached below for ``create_all`` on
PostgreSQL. On SQLite the booking use case serialises its check with ``begin_write``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, CodeList, Money, TimestampMixin, utcnow
from matchmaker.models.facilities import Equipment
from matchmaker.models.startups import Startup
from matchmaker.models.users import User

# The vocabularies of the columns below. Each is a ``StrEnum``: its members are the very strings
# stored (the columns stay ``Mapped[str]`` and the CHECK constraints unchanged), so services
# compare and assign members instead of bare literals.


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    # A request nobody approved before its start time (jobs/facilities.py closes them).
    EXPIRED = "expired"


class VoucherState(StrEnum):
    """Where a booking's voucher value is: none used, held, redeemed at completion, released."""

    NONE = "none"
    HELD = "held"
    REDEEMED = "redeemed"
    RELEASED = "released"


class VoucherEntryKind(StrEnum):
    ISSUE = "issue"
    HOLD = "hold"
    RELEASE = "release"
    REDEEM = "redeem"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    CANCELLED = "cancelled"


class ExceptionKind(StrEnum):
    """An ``AvailabilityException``: extra opening time, or a maintenance blackout."""

    OPENING = "opening"
    BLACKOUT = "blackout"


BOOKING_STATUSES = tuple(BookingStatus)
# States that hold the instrument's time: they take part in the no-overlap guarantee.
ACTIVE_BOOKING_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.COMPLETED,
)

EXCLUSION_CONSTRAINT = "ex_equipment_bookings_no_overlap"
EXCLUSION_DDL = (
    f"ALTER TABLE equipment_bookings ADD CONSTRAINT {EXCLUSION_CONSTRAINT} "
    "EXCLUDE USING gist (equipment_id WITH =, tsrange(starts_at, ends_at) WITH &&) "
    "WHERE (status IN ('pending', 'confirmed', 'completed'))"
)


class BookingRules(Base):
    """How an instrument may be booked; one row per instrument (defaults when absent)."""

    __tablename__ = "equipment_booking_rules"
    __table_args__ = (
        sa.CheckConstraint(
            "min_minutes > 0 AND max_minutes >= min_minutes AND granularity_minutes > 0",
            name="lengths",
        ),
        sa.CheckConstraint(
            "buffer_minutes >= 0 AND lead_time_minutes >= 0 AND horizon_days > 0",
            name="margins",
        ),
    )

    equipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True
    )
    min_minutes: Mapped[int] = mapped_column(default=30)
    max_minutes: Mapped[int] = mapped_column(default=480)
    granularity_minutes: Mapped[int] = mapped_column(default=30)
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    lead_time_minutes: Mapped[int] = mapped_column(default=60)
    horizon_days: Mapped[int] = mapped_column(default=60)
    # Hours one startup may book per (Monday-to-Sunday) week on this instrument; None: no limit.
    weekly_quota_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    # A founder may cancel until this many hours before the start; managers always may.
    cancel_notice_hours: Mapped[int] = mapped_column(default=24)


class AvailabilityWindow(Base):
    """A recurring weekly opening in the facility's local time (weekday 0 = Monday)."""

    __tablename__ = "equipment_availability_windows"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint("end_time > start_time", name="order"),
        # Overlaps are excluded on PostgreSQL (WINDOW_EXCLUSION_DDL below, migration 0008).
        sa.Index(
            "uq_equipment_availability_windows_slot",
            "equipment_id",
            "weekday",
            "start_time",
            "end_time",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]


# Two windows of one weekday must not overlap: the times are put on one fixed date so that
# tsrange can compare them (there is no built-in range type of times).
WINDOW_EXCLUSION_CONSTRAINT = "ex_equipment_availability_windows_no_overlap"
WINDOW_EXCLUSION_DDL = (
    f"ALTER TABLE equipment_availability_windows ADD CONSTRAINT {WINDOW_EXCLUSION_CONSTRAINT} "
    "EXCLUDE USING gist (equipment_id WITH =, weekday WITH =, "
    "tsrange(DATE '2000-01-03' + start_time, DATE '2000-01-03' + end_time) WITH &&)"
)


class AvailabilityException(Base):
    """A one-off opening (``opening``) or a maintenance blackout (``blackout``), UTC."""

    __tablename__ = "equipment_availability_exceptions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="order"),
        sa.CheckConstraint("kind IN ('opening', 'blackout')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(sa.String(255), default="")


class EquipmentTraining(Base):
    """A user the manager has marked as trained on an instrument, until ``valid_until``."""

    __tablename__ = "equipment_trainings"
    __table_args__ = (sa.UniqueConstraint("equipment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    valid_until: Mapped[date]
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class BookingSeries(Base):
    """A weekly recurring request; its bookings point back to it."""

    __tablename__ = "equipment_booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("equipment.id", ondelete="CASCADE"), index=True
    )
    startup_id: Mapped[int] = mapped_column(sa.ForeignKey("startups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    weeks: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Voucher(TimestampMixin, Base):
    """An innovation voucher (创新券) issued to a startup.

    ``balance`` is what is neither held by a booking nor redeemed; the CHECK keeps it within
    ``[0, amount]`` whatever a buggy or racing writer does.
    """

    __tablename__ = "vouchers"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("balance >= 0 AND balance <= amount", name="balance_range"),
        sa.CheckConstraint("valid_until >= valid_from", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    balance: Mapped[Decimal] = mapped_column(Money)
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    categories: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    note: Mapped[str] = mapped_column(sa.String(255), default="")
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    startup: Mapped[Startup] = relationship()


class EquipmentBooking(TimestampMixin, Base):
    __tablename__ = "equipment_bookings"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="order"),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'declined', 'cancelled', 'completed', 'no_show', "
            "'expired')",
            name="status",
        ),
        sa.CheckConstraint(
            "voucher_amount >= 0 AND voucher_amount <= price", name="voucher_amount"
        ),
        sa.Index("ix_equipment_bookings_equipment_starts", "equipment_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(sa.ForeignKey("equipment.id", ondelete="CASCADE"))
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("equipment_booking_series.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(20), default=BookingStatus.PENDING.value)
    purpose: Mapped[str] = mapped_column(sa.String(500), default="")
    decline_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # Price of the booked time at the instrument's hourly rate when booked.
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    voucher_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("vouchers.id", ondelete="SET NULL"), index=True
    )
    voucher_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    voucher_state: Mapped[str] = mapped_column(sa.String(10), default=VoucherState.NONE.value)
    checked_in_at: Mapped[datetime | None]
    actual_minutes: Mapped[int | None]
    completed_at: Mapped[datetime | None]

    equipment: Mapped[Equipment] = relationship()
    startup: Mapped[Startup] = relationship()
    user: Mapped[User] = relationship()
    voucher: Mapped[Voucher | None] = relationship()

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES

    @property
    def amount_due(self) -> Decimal:
        """What the startup still pays the facility beyond the voucher's cover."""
        held = (VoucherState.HELD, VoucherState.REDEEMED)
        covered = self.voucher_amount if self.voucher_state in held else 0
        return self.price - covered


class VoucherEntry(Base):
    """One movement of a voucher's value: issue, hold, release or redeem (append-only).

    A booking holds, releases and redeems at most once each (unique per booking and kind), so
    the same value can never be spent twice.
    """

    __tablename__ = "voucher_entries"
    __table_args__ = (
        sa.UniqueConstraint("booking_id", "kind"),
        sa.CheckConstraint("kind IN ('issue', 'hold', 'release', 'redeem')", name="kind"),
        sa.CheckConstraint("amount >= 0", name="amount_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(
        sa.ForeignKey("vouchers.id", ondelete="CASCADE"), index=True
    )
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("equipment_bookings.id", ondelete="SET NULL")
    )
    facility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[Decimal] = mapped_column(Money)
    balance_after: Mapped[Decimal] = mapped_column(Money)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    voucher: Mapped[Voucher] = relationship()


class WaitlistEntry(Base):
    """A founder waiting for a taken slot; offered (notified) when the slot frees."""

    __tablename__ = "equipment_waitlist"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="order"),
        sa.Index("ix_equipment_waitlist_equipment_status", "equipment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(sa.ForeignKey("equipment.id", ondelete="CASCADE"))
    startup_id: Mapped[int] = mapped_column(sa.ForeignKey("startups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10), default=WaitlistStatus.WAITING.value)
    offered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    equipment: Mapped[Equipment] = relationship()


sa.event.listen(
    EquipmentBooking.__table__,
    "after_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
sa.event.listen(
    EquipmentBooking.__table__,
    "after_create",
    sa.DDL(EXCLUSION_DDL).execute_if(dialect="postgresql"),
)
sa.event.listen(
    AvailabilityWindow.__table__,
    "after_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
sa.event.listen(
    AvailabilityWindow.__table__,
    "after_create",
    sa.DDL(WINDOW_EXCLUSION_DDL).execute_if(dialect="postgresql"),
)
