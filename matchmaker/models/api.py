"""The open data API (issue 17): operator-issued tokens and the service-event feed that
monitoring platforms read incrementally.

A token's secret is never stored: only its SHA-256 (a random 256-bit secret needs no slow hash)
and a short public prefix so operators can tell tokens apart. Service events carry a sequence
number handed out under a row lock on ``api_event_sequence``: the lock is held until the
writing transaction commits, so sequence order is commit order and a reader that has seen
number n has seen every number below it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, CodeList, Money, utcnow
from matchmaker.models.users import User

API_SCOPES = ("statistics", "public", "own")
EVENT_KINDS = ("session_held", "booking_completed", "voucher_redeemed", "support_recorded")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (
        # A token for a user's own data names that user; a token without that scope names none.
        sa.CheckConstraint(
            "(user_id IS NULL) = (scopes NOT LIKE '%|own|%')", name="own_scope_has_user"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(12))
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(CodeList(), default=list)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiEventSequence(Base):
    """One row: the last sequence number given to a service event (see the module doc)."""

    __tablename__ = "api_event_sequence"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ServiceEvent(Base):
    __tablename__ = "api_service_events"
    __table_args__ = (
        # One event per source fact, whatever path wrote it twice.
        sa.UniqueConstraint("kind", "source_id"),
        sa.CheckConstraint(
            "kind IN ('session_held', 'booking_completed', 'voucher_redeemed', 'support_recorded')",
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    source_id: Mapped[int]
    occurred_at: Mapped[datetime]
    startup_id: Mapped[int | None]
    facility_id: Mapped[int | None]
    subject_id: Mapped[int | None]  # mentor, equipment, voucher or policy, by kind
    amount: Mapped[Decimal | None] = mapped_column(Money)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
