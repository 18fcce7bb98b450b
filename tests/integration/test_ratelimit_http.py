"""Sign-in rate limits against a real gunicorn server of 4 worker processes (issue 12: with the
counters in each worker's memory, 37-40 wrong passwords per account passed against a limit of
10, and one address trying 100 accounts was never throttled). The counters are shared
(matchmaker/ratelimit.py), so at most the limit passes however the attempts fall on workers.
Each scenario posts from its own loopback address (127.0.0.x), so they do not share the
per-address counter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.integration.live_server import Browser, Click, LiveServer, serve, storm
from tests.integration.race import quick_users

pytestmark = pytest.mark.db

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 12


@pytest.fixture(scope="module")
def limited_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    settings = {
        "MATCHMAKER_RATELIMIT_ENABLED": "true",
        "MATCHMAKER_LOGIN_RATE_LIMIT": f"{ACCOUNT_LIMIT} per minute",
        "MATCHMAKER_LOGIN_IP_RATE_LIMIT": f"{ADDRESS_LIMIT} per minute",
    }
    with serve(database_url, tmp_path_factory.mktemp("limited"), settings) as server:
        yield server


def _attempts(browser: Browser, emails: list[str]) -> list[Click]:
    token = browser.token("/auth/login")
    return [
        Click(
            browser.twin(),
            "/auth/login",
            {"email": e, "password": "wrong-guess", "csrf_token": token},
        )
        for e in emails
    ]


def test_one_account_gets_its_limit_across_workers_and_addresses(
    limited_server: LiveServer, db_session: Session
) -> None:
    # Real accounts, so that each wrong guess costs a password-hash check and the guesses
    # spread over the workers (with per-worker counters up to 4 x the limit passed).
    target, other_account = (u.email for u in quick_users(db_session, 2, prefix="victim"))
    first = Browser(limited_server.url, source="127.0.0.2")
    second = Browser(limited_server.url, source="127.0.0.3")
    # Half the guesses from each of two addresses, all at once: the per-account counter is the
    # one that stops them, and neither address reaches its own limit.
    half = ADDRESS_LIMIT - 1
    clicks = _attempts(first, [target] * half) + _attempts(second, [target] * half)
    replies = storm([clicks])
    assert Counter(r.status for r in replies) == {200: ACCOUNT_LIMIT, 429: 2 * half - ACCOUNT_LIMIT}
    # Another account from the same addresses is still served.
    (other,) = storm([_attempts(first, [other_account])])
    assert other.status == 200


def test_password_spraying_from_one_address_is_throttled(
    limited_server: LiveServer, db_session: Session
) -> None:
    sprayer = Browser(limited_server.url, source="127.0.0.4")
    emails = [u.email for u in quick_users(db_session, 3 * ADDRESS_LIMIT, prefix="sprayed")]
    replies = storm([_attempts(sprayer, emails)])
    assert Counter(r.status for r in replies) == {200: ADDRESS_LIMIT, 429: 2 * ADDRESS_LIMIT}
    # The refusal is a page in the user's language (the client sends no Accept-Language: zh_CN).
    token = sprayer.token("/auth/login")
    refused = sprayer.post(
        "/auth/login", {"email": "late@limits.example.com", "password": "x", "csrf_token": token}
    )
    assert refused.status_code == 429
    assert "尝试次数过多" in refused.text
    # A visitor from another address is not affected.
    (other,) = storm([_attempts(Browser(limited_server.url, source="127.0.0.5"), emails[:1])])
    assert other.status == 200
