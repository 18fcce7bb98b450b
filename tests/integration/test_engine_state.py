"""What a process serves: a new model is re-embedded by the queue with no manual step, and the
operator console says whether an index has been published."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models.embeddings import ProfileEmbedding
from matchmaker.recommend.embedding import HASHING_MODEL, HashingEmbedder
from matchmaker.services.recommendations import engine_settings, engines
from tests.factories import make_mentor, make_startup, make_user


def test_a_new_model_is_embedded_by_the_queue_with_no_manual_step(
    make_app: Callable[..., Flask],
    db_session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_startup(db_session)
    mentor = make_mentor(db_session)
    other_model = HashingEmbedder(seed=1)
    monkeypatch.setitem(engine_settings._EMBEDDERS, "hashing-b", other_model)  # type: ignore[arg-type]
    index_dir = tmp_path / "idx"
    old = engine_settings.EngineSettings(index_dir, tmp_path / "m", HASHING_MODEL)
    try:
        assert engines.build_indexes(db_session, old, show_progress=False).version == 1
        app = make_app(EMBEDDING_MODEL="hashing-b", INDEX_DIR=str(index_dir))
        with app.test_request_context("/"):  # a web request under the new setting
            served = engines.serving_engine_for(
                db.session, caller=engine_settings.Caller.web_request(app)
            )
            # Version 1 is another model's: the request queued a build (run at once here, the
            # immediate queue) instead of serving vectors of the wrong space.
            assert served.version == 2 and served.model_id == other_model.model_id
        models = set(
            db_session.scalars(
                sa.select(ProfileEmbedding.model_version).where(
                    ProfileEmbedding.kind == "mentor", ProfileEmbedding.profile_id == mentor.id
                )
            )
        )
        assert models == {"hashing-384-32768-0", other_model.model_id}
    finally:
        engines.forget_engines()


def test_the_operator_console_says_whether_an_index_is_published(
    client: FlaskClient, db_session: Session
) -> None:
    operator = make_user(db_session, "operator")
    client.post("/auth/login", data={"email": operator.email, "password": "password123"})
    page = client.get("/operator/").get_data(as_text=True)
    assert 'data-testid="engine-status"' in page
    assert "no index has been published yet" in page
