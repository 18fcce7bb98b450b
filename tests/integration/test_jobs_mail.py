"""E-mail from the queue: retried after an SMTP failure; without SMTP, in the log and the outbox.

A real SMTP server (aiosmtpd) on 127.0.0.1 and a real worker; on the SQLite queue by default, on
Redis when MATCHMAKER_TEST_REDIS_URL is set.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from huey import signals as S
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.jobs.mail import send_notification_email
from matchmaker.models.outbox import OutboxEmail
from matchmaker.services import notifications
from tests.factories import make_user
from tests.integration.jobs_support import queue_app, queue_settings, running_worker, watch

pytestmark = pytest.mark.db
__all__ = ["queue_app"]  # the fixture, imported for pytest


class FlakySmtpHandler:
    """Refuses the first message with a temporary error (451), accepts every later one."""

    def __init__(self) -> None:
        self.attempts = 0
        self.delivered: list[Any] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            self.attempts += 1
            if self.attempts == 1:
                return "451 4.3.0 Mailbox temporarily unavailable, try again"
            self.delivered.append(envelope)
            return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[FlakySmtpHandler, int]]:
    handler = FlakySmtpHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _notify_and_commit(app: Flask, user_id: int, name: str) -> None:
    with app.app_context():
        rows = notifications.notify(db.session, [user_id], "welcome", name=name)
        db.session.commit()
        notifications.send_after_commit(db.session, rows)


def test_mail_is_retried_after_an_smtp_failure(
    make_app: Callable[..., Flask], tmp_path: Path, db_session: Session, smtp: Any
) -> None:
    handler, port = smtp
    app = make_app(**queue_settings(tmp_path), SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    user = make_user(db_session, email="grace@example.com", locale="zh_CN")
    events = watch(app)

    _notify_and_commit(app, user.id, "Grace")
    with running_worker(app):
        events.wait_for(send_notification_email, S.SIGNAL_COMPLETE)

    assert handler.attempts == 2
    assert events.count(send_notification_email, S.SIGNAL_ERROR) == 1
    assert events.count(send_notification_email, S.SIGNAL_RETRYING) == 1
    [envelope] = handler.delivered
    assert envelope.rcpt_tos == ["grace@example.com"]
    message = message_from_bytes(envelope.original_content)
    subject = str(make_header(decode_header(message["Subject"])))
    assert "Grace" in subject and "欢迎" in subject  # in the recipient's language
    assert "Matchmaker" in message["From"]
    # Sent for real, so nothing is kept in the development outbox.
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


def test_mail_without_smtp_goes_to_the_log_and_the_outbox_page(
    queue_app: Flask, db_session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="matchmaker.mail")
    operator = make_user(db_session, "operator", email="ops@example.com")
    founder = make_user(db_session, "founder", email="lin@example.com", locale="en")
    events = watch(queue_app)

    _notify_and_commit(queue_app, founder.id, "Lin")
    with running_worker(queue_app):
        events.wait_for(send_notification_email)

    logged = [r.getMessage() for r in caplog.records if r.name == "matchmaker.mail"]
    assert len(logged) == 1
    assert "lin@example.com" in logged[0] and "Welcome to Matchmaker, Lin." in logged[0]

    client = queue_app.test_client()
    assert client.get("/operator/outbox/").status_code == 302  # to the sign-in page
    client.post("/auth/login", data={"email": founder.email, "password": "password123"})
    assert client.get("/operator/outbox/").status_code == 403
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": operator.email, "password": "password123"})
    page = client.get("/operator/outbox/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "lin@example.com" in html
    assert "[Matchmaker] Welcome to Matchmaker, Lin." in html
