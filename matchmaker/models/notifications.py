"""In-app notifications: one row per event a user should see or act on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # A message id from services/notifications.MESSAGES, rendered in the reader's language
    # when shown (the sender does not know which language the reader will use).
    kind: Mapped[str] = mapped_column(sa.String(60))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
