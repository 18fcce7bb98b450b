"""E-mail jobs."""

from __future__ import annotations

from matchmaker.extensions import db
from matchmaker.services import notifications


def send_notification_email(notification_id: int) -> None:
    """E-mail one notification. An SMTP error propagates: the queue retries the job
    (``MAIL_RETRIES`` times, ``MAIL_RETRY_DELAY_SECONDS`` apart)."""
    notifications.email_notification(db.session, notification_id)
