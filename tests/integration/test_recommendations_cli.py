"""``flask index build|status|verify`` and ``flask train-ranker``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.recommend.calibration import Calibration
from matchmaker.services.recommendations import engine_settings, engines
from tests.factories import make_investor, make_mentor, make_startup


def test_index_commands(
    make_app: Callable[..., Flask], db_session: Session, tmp_path: Path
) -> None:
    app = make_app(EMBEDDING_MODEL="hashing", INDEX_DIR=str(tmp_path / "ix"))
    runner = app.test_cli_runner()
    make_startup(db_session)
    make_mentor(db_session)
    make_investor(db_session)
    try:
        status = runner.invoke(args=["index", "status"])
        assert (
            status.exit_code == 0 and "missing" in status.output and "index build" in status.output
        )
        assert runner.invoke(args=["index", "verify"]).exit_code == 1
        built = runner.invoke(args=["index", "build", "--quiet"])
        assert built.exit_code == 0, built.output
        assert "3 profiles indexed, 3 embedded" in built.output
        again = runner.invoke(args=["index", "build", "--quiet"])
        assert "0 embedded, 3 reused" in again.output  # content hashes: nothing re-embedded
        status = runner.invoke(args=["index", "status"])
        assert (
            "mentor" in status.output
            and "hashing" in status.output
            and "missing" not in status.output
        )
        verify = runner.invoke(args=["index", "verify"])
        assert verify.exit_code == 0 and "all indexes verified" in verify.output
    finally:
        engines.forget_engines()


def test_train_ranker_command_with_too_few_outcomes(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(EMBEDDING_MODEL="hashing", MODEL_DIR=str(tmp_path / "models"))
    try:
        result = app.test_cli_runner().invoke(args=["train-ranker"])
        assert result.exit_code == 0, result.output
        assert "mentor: too few outcomes" in result.output
        assert "investor: too few outcomes" in result.output
        assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())
    finally:
        engines.forget_engines()


def test_calibrate_command_writes_the_artifact_and_the_engine_adopts_it(
    make_app: Callable[..., Flask], db_session: Session, tmp_path: Path
) -> None:
    app = make_app(
        EMBEDDING_MODEL="hashing",
        INDEX_DIR=str(tmp_path / "ix"),
        MODEL_DIR=str(tmp_path / "models"),
    )
    make_startup(db_session)
    make_investor(db_session)
    try:
        result = app.test_cli_runner().invoke(args=["calibrate", "--kind", "investor"])
        assert result.exit_code == 0, result.output
        # No dated history on this platform: the default weights stay, and it says why.
        assert "investor: default" in result.output and "too little" in result.output
        path = tmp_path / "models" / "calibration-investor.json"
        cal = Calibration.load(path)
        assert cal.method == "default"
        with app.app_context():
            from matchmaker.extensions import db

            settings = engine_settings.EngineSettings.from_app(app)
            engines.forget_engines()
            command = engine_settings.Caller.offline(app)
            rec = engines.engine_for(db.session, settings, caller=command)
            assert rec.calibrations["investor"] == cal
    finally:
        engines.forget_engines()
