"""Shared facilities and their bookable equipment."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, Money, TimestampMixin
from matchmaker.models.users import User, links_user


class BookingMode(StrEnum):
    """How an instrument's bookings are confirmed (labels: ``vocab.BOOKING_MODES``)."""

    INSTANT = "instant"  # confirmed at once
    APPROVAL = "approval"  # pending until a manager approves


class Facility(TimestampMixin, Base):
    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[str] = mapped_column(sa.String(30))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    location: Mapped[str] = mapped_column(sa.String(120), default="")
    # Administrative district (区/县) as the boundary data names it, e.g. "渝北区": what the
    # navigation map (services.facilities.resource_map) places the facility in. Coordinates are
    # optional.
    district: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    latitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    opening_hours: Mapped[str] = mapped_column(sa.String(255), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    managers: Mapped[list[FacilityManager]] = relationship(
        back_populates="facility", cascade="all, delete-orphan"
    )
    equipment: Mapped[list[Equipment]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="Equipment.name"
    )

    def has_manager(self, user: User) -> bool:
        return links_user(self.managers, user)


class FacilityManager(Base):
    __tablename__ = "facility_managers"

    facility_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    facility: Mapped[Facility] = relationship(back_populates="managers")
    user: Mapped[User] = relationship()


class Equipment(TimestampMixin, Base):
    __tablename__ = "equipment"
    __table_args__ = (
        sa.CheckConstraint("price_per_hour >= 0", name="price_nonnegative"),
        # The directory's order (see ix_startups_name_id).
        sa.Index("ix_equipment_name_id", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(160))
    category: Mapped[str] = mapped_column(sa.String(30))
    model_specs: Mapped[str] = mapped_column(sa.String(255), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    price_per_hour: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    voucher_eligible: Mapped[bool] = mapped_column(default=False)
    training_required: Mapped[bool] = mapped_column(default=False)
    booking_mode: Mapped[str] = mapped_column(sa.String(20), default=BookingMode.INSTANT.value)
    is_active: Mapped[bool] = mapped_column(default=True)

    facility: Mapped[Facility] = relationship(back_populates="equipment")
