"""Notifications in the app and by e-mail.

Areas register their message texts in ``MESSAGES`` (kind -> lazy translatable text with
``%(name)s`` parameters); ``notify`` stores one row per recipient inside the caller's transaction,
and ``send_pending_emails`` mails them after the caller committed. E-mail goes through the
configured SMTP server, or to the log when none is set.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Notification, User, utcnow

log = logging.getLogger(__name__)

MESSAGES: dict[str, Any] = {
    "welcome": _l("Welcome to Matchmaker, %(name)s."),
}


def register_messages(messages: Mapping[str, Any]) -> None:
    """Each area adds its notification texts at import (``services/<area>.py``)."""
    MESSAGES.update(messages)


def render(notification: Notification) -> str:
    template = MESSAGES.get(notification.kind)
    if template is None:
        return notification.kind
    try:
        return str(template) % notification.params
    except (KeyError, TypeError, ValueError):
        return str(template)


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    body: str


def notify(
    session: Session, recipients: Iterable[User | int], kind: str, *, link: str = "", **params: Any
) -> list[Notification]:
    """Add a notification for each recipient to the caller's transaction (no commit here)."""
    rows = []
    for recipient in recipients:
        user_id = recipient if isinstance(recipient, int) else recipient.id
        row = Notification(user_id=user_id, kind=kind, params=params, link=link)
        session.add(row)
        rows.append(row)
    return rows


def emails_for(session: Session, notifications: Iterable[Notification]) -> list[OutgoingEmail]:
    """Each notification as an e-mail in its recipient's language."""
    out = []
    for n in notifications:
        user = session.get(User, n.user_id)
        if user is None or not user.is_active:
            continue
        with force_locale(user.locale):
            text = render(n)
            subject = f"[Matchmaker] {text[:70]}"
        out.append(OutgoingEmail(to=user.email, subject=subject, body=f"{text}\n\n{n.link}"))
    return out


def deliver(emails: Iterable[OutgoingEmail], config: Mapping[str, Any]) -> None:
    """Send after commit; a failing mail server is logged and never undoes the use case."""
    emails = list(emails)
    if not emails:
        return
    host = config.get("SMTP_HOST")
    if not host:
        for email in emails:
            log.info("e-mail to %s: %s\n%s", email.to, email.subject, email.body)
        return
    try:
        with smtplib.SMTP(host, int(config.get("SMTP_PORT", 25)), timeout=10) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            for email in emails:
                msg = EmailMessage()
                msg["From"] = config.get("MAIL_SENDER", "noreply@matchmaker.local")
                msg["To"] = email.to
                msg["Subject"] = email.subject
                msg.set_content(email.body)
                smtp.send_message(msg)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send %d e-mails through %s", len(emails), host)


def send_after_commit(session: Session, notifications: Iterable[Notification]) -> None:
    """Mail committed notifications, using the current app's mail settings."""
    from flask import current_app

    deliver(emails_for(session, notifications), current_app.config)


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def recent(session: Session, user: User, limit: int = 50) -> list[Notification]:
    return list(
        session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, user: User, notification_id: int | None = None) -> None:
    """Mark one (or, with None, every) notification of ``user`` read."""
    stmt = sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    session.execute(stmt.values(read_at=utcnow()))
    session.commit()
