"""The development outbox: e-mail kept for operators while no SMTP server is configured."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models.outbox import OutboxEmail


def record(
    session: Session, *, recipients: Iterable[str], sender: str, subject: str, body: str
) -> OutboxEmail:
    """Keep one "sent" e-mail (commits: the message counts as sent once it is stored)."""
    row = OutboxEmail(
        recipients=", ".join(recipients)[:1000],
        sender=sender[:320],
        subject=subject[:500],
        body=body,
    )
    session.add(row)
    session.commit()
    return row


def recent(session: Session, limit: int = 100) -> list[OutboxEmail]:
    """The newest e-mails first."""
    return list(
        session.scalars(
            sa.select(OutboxEmail)
            .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
            .limit(limit)
        )
    )
