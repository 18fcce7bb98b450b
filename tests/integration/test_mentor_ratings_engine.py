"""Founders' reviews reach the recommendation engine: after them, of two otherwise equal
mentors the well-rated one is recommended first (issue 16, item 4)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from matchmaker.models.embeddings import ProfileEmbedding
from matchmaker.recommend.embedding import HASHING_MODEL
from matchmaker.services.mentoring import reviews
from matchmaker.services.recommendations import bridge as reco
from matchmaker.services.recommendations import engine_settings, engines
from tests.factories import make_mentor, make_startup, make_user
from tests.integration.test_mentoring_support import World, hour_from_now, put_session


def test_founders_reviews_reorder_otherwise_equal_mentors(
    make_app: object, db_session: Session, tmp_path: Path
) -> None:
    from matchmaker.extensions import db

    target = make_startup(db_session, make_user(db_session, "founder"), name="Cathode Labs")
    # Same name, same profile: nothing but the founders' ratings tells them apart.
    same = {"display_name": "Li Ming"}
    first = make_mentor(db_session, make_user(db_session, "mentor", **same))
    second = make_mentor(db_session, make_user(db_session, "mentor", **same))
    founder = make_user(db_session, "founder")
    reviewer = make_startup(db_session, founder, name="Anode Works")

    app = make_app(EMBEDDING_MODEL=HASHING_MODEL, INDEX_DIR=str(tmp_path / "idx"))  # type: ignore[operator]
    with app.app_context():
        settings = engine_settings.EngineSettings.from_app(app)
        command = engine_settings.Caller.offline(app)
        engines.build_indexes(db.session, settings, show_progress=False)
        before = reco.recommend_mentors(db.session, target.id, settings=settings, caller=command)
        scores = {m.id: m.score for m in before}
        assert scores[first.id] == scores[second.id]
        vectors = db.session.query(ProfileEmbedding).filter_by(kind="mentor").count()

        # Three past sessions each (same capacity used); the first mentor is rated poorly.
        for k, (mentor, rating) in enumerate(
            [(first, 2), (second, 5), (first, 2), (second, 4), (first, 3), (second, 5)]
        ):
            w = World(founder, reviewer, mentor.user, mentor, founder, [])
            ms = put_session(db_session, w, "completed", starts=hour_from_now(-24 * (k + 1)))
            db_session.commit()
            reviews.review_session(db_session, founder, ms.id, rating=rating)
        # The mentor's own review of a startup is not the mentor's rating.
        ms = put_session(
            db_session,
            World(founder, reviewer, first.user, first, founder, []),
            "completed",
            starts=hour_from_now(-24 * 10),
        )
        db_session.commit()
        reviews.review_session(db_session, first.user, ms.id, rating=5)

        after = reco.recommend_mentors(db.session, target.id, settings=settings, caller=command)
        order = [m.id for m in after if m.id in (first.id, second.id)]
        assert order == [second.id, first.id]
        scores = {m.id: m.score for m in after}
        assert scores[second.id] > scores[first.id]
        engine = engines.serving_engine_for(db.session, settings, caller=command).recommender
        assert engine.profile("mentor", second.id).rating_count == 3
        assert engine.profile("mentor", first.id).rating_mean == round(7 / 3, 2)
        # A rating is not text: nothing was re-embedded.
        assert db.session.query(ProfileEmbedding).filter_by(kind="mentor").count() == vectors
