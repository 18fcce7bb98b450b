"""The end of a request closes the database session and starts nothing: no thread, no event
loop (Flask runs a coroutine teardown through asgiref, a thread per request)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from matchmaker.extensions import db


def test_a_request_starts_no_thread(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    client.get("/favicon.ico")  # warm: whatever is made once per process
    started: list[threading.Thread] = []
    real_start = threading.Thread.start

    def counted(thread: threading.Thread) -> None:
        started.append(thread)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted)
    for path in ("/favicon.ico", "/auth/login", "/startups"):
        client.get(path)
    assert started == []


def test_the_request_session_is_still_closed_at_teardown(app: Flask) -> None:
    with app.test_request_context("/"):
        session = db.session
        session.execute(sa.text("SELECT 1"))
        assert session.in_transaction()
    assert not session.in_transaction()  # closed by the (synchronous) teardown
