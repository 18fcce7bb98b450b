"""The session secret key: read as text from the environment, refused at start-up when weak."""

from __future__ import annotations

from typing import Any

import pytest

from matchmaker import create_app
from tests.factories import make_user

GOOD_KEY = "1234567890" * 4  # 40 characters, all digits: JSON would read it as an int


def _config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The test settings without their own key, so the environment's is used."""
    return {k: v for k, v in app_config.items() if k != "SECRET_KEY"}


def test_all_digit_key_from_environment_stays_text_and_pages_work(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, db_session: Any
) -> None:
    monkeypatch.setenv("MATCHMAKER_SECRET_KEY", GOOD_KEY)
    app = create_app(_config(app_config))
    assert app.config["SECRET_KEY"] == GOOD_KEY
    make_user(db_session, email="a@example.com")
    client = app.test_client()
    # Signing the session cookie with an int key was a 500 on every page.
    response = client.post(
        "/auth/login", data={"email": "a@example.com", "password": "password123"}
    )
    assert response.status_code == 302
    assert client.get("/auth/password").status_code == 200


def test_quoted_key_keeps_its_quotes(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = '"' + "k" * 40 + '"'
    monkeypatch.setenv("MATCHMAKER_SECRET_KEY", key)
    assert create_app(_config(app_config)).config["SECRET_KEY"] == key


@pytest.mark.parametrize("key", ["12345", "short-but-not-32-characters"])
def test_short_key_from_environment_is_refused(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("MATCHMAKER_SECRET_KEY", key)
    with pytest.raises(RuntimeError) as refused:
        create_app(_config(app_config))
    message = str(refused.value)
    assert "MATCHMAKER_SECRET_KEY" in message and "at least 32" in message
    assert "secrets.token_hex" in message  # says how to make a good one
    assert key not in message  # never echoes the key into a log


@pytest.mark.parametrize("key", [12345678901234567890123456789012345, ["x" * 40], True])
def test_non_string_key_is_refused(app_config: dict[str, Any], key: object) -> None:
    with pytest.raises(RuntimeError, match="MATCHMAKER_SECRET_KEY must be a string"):
        create_app({**app_config, "SECRET_KEY": key})


def test_short_key_is_refused_in_debug_too(app_config: dict[str, Any]) -> None:
    with pytest.raises(RuntimeError, match="too short"):
        create_app({**app_config, "TESTING": False, "DEBUG": True, "SECRET_KEY": "dev"})


def test_missing_key_in_tests_gets_a_random_one(
    app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY", raising=False)
    key = create_app(_config(app_config)).config["SECRET_KEY"]
    assert isinstance(key, str) and len(key) >= 32


def test_make_run_key_is_accepted(app_config: dict[str, Any]) -> None:
    import secrets

    # The Makefile's `make run` makes its key with secrets.token_hex(32).
    create_app({**app_config, "SECRET_KEY": secrets.token_hex(32)})
