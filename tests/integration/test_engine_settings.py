"""The engine is told what it needs instead of reading Flask: the app factory binds its settings
once from the configuration, and the caller says whether it is a web request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask
import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.recommend.embedding import HASHING_MODEL
from matchmaker.services.recommendations import engines
from matchmaker.services.recommendations.engine_settings import (
    Caller,
    EngineSettings,
    settings_for,
)
from tests.factories import make_mentor, make_startup


def test_the_app_factory_binds_the_engine_settings_from_the_configuration(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(
        INDEX_DIR=str(tmp_path / "ix"),
        EMBEDDING_MODEL="hashing",
        INDEX_CHECK_SECONDS=7,
        INDEX_SWAP_WAIT_SECONDS=0.5,
        INDEX_FIRST_LOAD_SECONDS=12,
    )
    settings = EngineSettings.from_app(app)
    assert settings.index_dir == tmp_path / "ix"
    assert settings.embedding_model == "hashing"
    assert (settings.check_seconds, settings.swap_wait_seconds, settings.first_load_seconds) == (
        7.0,
        0.5,
        12.0,
    )
    assert EngineSettings.from_app(app) is settings  # built once, at startup


def test_a_caller_with_no_flask_context_at_all_is_served_with_what_it_passes(
    db_session: Session, tmp_path: Path
) -> None:
    make_startup(db_session)
    make_mentor(db_session)
    assert not flask.has_app_context()
    settings = EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    try:
        # Not a web request: a missing version is built on the spot.
        served = engines.serving_engine_for(db_session, settings, caller=Caller(in_request=False))
        assert served.version == 1 and not served.lexical_only
    finally:
        engines.forget_engines()


def test_a_web_request_hands_its_app_over() -> None:
    with pytest.raises(ValueError):
        Caller(in_request=True)


def test_a_caller_that_says_nothing_is_refused_even_inside_a_request(
    app: Flask, db_session: Session, tmp_path: Path
) -> None:
    """Services no longer guess who asks from Flask: without a caller the call is a TypeError,
    even where Flask has a request (and an app) to read."""
    from matchmaker.services.facilities.bookings import slot_proposals
    from matchmaker.services.recommendations import bridge

    startup = make_startup(db_session)
    settings = EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    with app.test_request_context("/"):
        with pytest.raises(TypeError, match="caller"):
            engines.serving_engine_for(db_session, settings)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="caller"):
            bridge.recommend_mentors(db_session, startup.id, settings=settings)  # type: ignore[call-arg]
        unused: Any = None  # refused before the founder or the need is read
        with pytest.raises(TypeError, match="caller"):
            slot_proposals.propose_bookings(db_session, unused, startup.id, unused)  # type: ignore[call-arg]
    assert not (tmp_path / "idx").exists()  # nothing was built


def test_settings_come_from_the_callers_app_or_are_passed() -> None:
    with pytest.raises(ValueError, match="no engine settings"):
        settings_for(None, Caller.offline())
    passed = EngineSettings(Path("ix"), Path("m"), HASHING_MODEL)
    assert settings_for(passed, Caller.offline()) is passed
