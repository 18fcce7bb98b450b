"""The development outbox: every e-mail sent while no SMTP server is configured.

Without SMTP an e-mail must still go somewhere a person can read it (it is also logged); the
outbox keeps it for operators at /operator/outbox, across processes (the job worker writes it,
the web reads it). With SMTP configured nothing is written here.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow


class OutboxEmail(Base):
    __tablename__ = "outbox_emails"
    __table_args__ = (sa.Index("ix_outbox_emails_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Addresses as written in the message (a list joined with ", "): nothing here links to a
    # user row, so deleting an account leaves the record of what was "sent" as it was.
    recipients: Mapped[str] = mapped_column(sa.String(1000))
    sender: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
