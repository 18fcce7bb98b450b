"""E-mail through Flask-Mailman: SMTP when ``SMTP_HOST`` is set, else the log and the dev outbox.

Our settings keep their ``SMTP_*`` names (``MATCHMAKER_SMTP_HOST`` ...); ``configure`` maps them
onto Flask-Mailman's ``MAIL_*`` settings unless those are given directly. Sending happens only in
jobs (``matchmaker.jobs.mail``), so a slow or failing server never holds up a web request, and a
failure raises so that the queue retries it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10  # a server that hangs fails the attempt; the queue tries again later


def configure(app: Flask) -> None:
    """Fill Flask-Mailman's settings from ours (before ``Mail.init_app``)."""
    config = app.config
    config.setdefault("MAIL_DEFAULT_SENDER", config["MAIL_SENDER"])
    config.setdefault("MAIL_TIMEOUT", SMTP_TIMEOUT_SECONDS)
    if not config.get("SMTP_HOST"):
        # Flask-Mailman would otherwise pick "smtp" to localhost (or an in-memory list under
        # testing); without a server the mail must still reach a person: log and outbox.
        config.setdefault("MAIL_BACKEND", LogAndOutboxBackend)
        return
    config.setdefault("MAIL_BACKEND", "smtp")
    config.setdefault("MAIL_SERVER", config["SMTP_HOST"])
    config.setdefault("MAIL_PORT", int(config.get("SMTP_PORT") or 25))
    config.setdefault("MAIL_USERNAME", config.get("SMTP_USER"))
    config.setdefault("MAIL_PASSWORD", config.get("SMTP_PASSWORD"))
    config.setdefault("MAIL_USE_TLS", bool(config.get("SMTP_STARTTLS")))


def smtp_configured(config: Any) -> bool:
    return bool(config.get("SMTP_HOST"))


class LogAndOutboxBackend(BaseEmailBackend):
    """Development delivery: each message goes to the log (INFO) and to the outbox table.

    Runs inside a job, in the job's app context, and stores with that context's session.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from matchmaker.extensions import db
        from matchmaker.services import outbox

        sent = 0
        for message in email_messages:
            message.message()  # validates the headers, as a real backend would
            body = str(message.body)
            log.info(
                "e-mail (no SMTP configured; kept in /operator/outbox) to %s: %s\n%s",
                ", ".join(message.recipients()),
                message.subject,
                body,
            )
            outbox.record(
                db.session,
                recipients=message.recipients(),
                sender=str(message.from_email),
                subject=str(message.subject),
                body=body,
            )
            sent += 1
        return sent
