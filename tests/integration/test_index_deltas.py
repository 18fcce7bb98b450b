"""An edit is published as a delta on top of the current version (``indexing.publish_delta``):
a serving process applies it in place of waiting minutes for the next version, with the very
answers a version built with the edit gives; the next version holds the edit, and deltas no kept
version needs are removed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import queue
from matchmaker.jobs import indexing as jobs
from matchmaker.models import Mentor, Startup
from matchmaker.recommend import store
from matchmaker.recommend.embedding import HASHING_MODEL
from matchmaker.recommend.expertise import ExpertiseTerms
from matchmaker.recommend.expertise_meaning import CrossLanguageTerms
from matchmaker.recommend.overlay import OverlayIndex
from matchmaker.services.recommendations import engine_settings, engines, indexing, served_engine
from matchmaker.services.recommendations.profile_vectors import (
    content_hashes,
    profile_texts,
    stored_vectors,
)
from matchmaker.services.recommendations.profiles import load_profiles
from tests.factories import make_equipment, make_facility, make_investor, make_mentor, make_startup

Published = tuple[engine_settings.EngineSettings, int, Mentor]


@pytest.fixture
def published(db_session: Session, tmp_path: Path) -> Iterator[Published]:
    make_startup(db_session, description="固态电池 正极材料，需要 XRD 表征和专利布局")
    make_mentor(db_session, expertise="专利申请，知识产权诉讼", headline="专利律师")
    mentor = make_mentor(db_session, expertise="XRD and SEM characterisation", headline="Lab")
    make_investor(db_session, thesis="新能源 电池 材料")
    make_equipment(db_session, make_facility(db_session))
    settings = engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    try:
        version = engines.build_indexes(db_session, settings, show_progress=False).version
        assert version is not None
        yield settings, version, mentor
    finally:
        engines.forget_engines()


def _edit(session: Session, settings: engine_settings.EngineSettings, mentor: Mentor) -> int:
    """What a save's job does: embed the profile once, then publish it as a delta."""
    session.commit()
    indexing.embed_profile(session, settings, "mentor", mentor.id)
    number = indexing.publish_delta(session, settings, "mentor", mentor.id)
    assert number is not None
    return number


def _answers(engine: served_engine.ServingEngine) -> list[object]:
    rec = engine.recommender
    startup = next(iter(rec.corpus.profiles["startup"]))
    return [
        [(r.id, round(r.score, 5)) for r in rec.mentors_for_startup(startup, 5)],
        [(r.kind, r.id, round(r.score, 5)) for r in rec.search("zygomorphic 授粉", k=5)],
        rec.corpus.lexical["mentor"].search("zygomorphic 授粉", 5),
    ]


def test_an_edit_is_served_from_its_delta_as_a_version_built_with_it_serves_it(
    db_session: Session, published: Published
) -> None:
    settings, version, mentor = published
    held = served_engine.load_version(settings, version)
    mentor.expertise = "Zygomorphic flower pollination; 授粉生物学"
    assert _edit(db_session, settings, mentor) == 1
    assert store.current_version(settings.index_dir) == version  # no version was built

    edited = served_engine.apply_deltas(held, store.deltas_after(settings.index_dir, 0))
    assert edited.deltas_upto == 1 and edited.recommender is held.recommender
    corpus = edited.recommender.corpus
    assert "Zygomorphic" in corpus.profiles["mentor"][mentor.id].expertise
    assert isinstance(corpus.indexes["mentor"], OverlayIndex)  # the mapped file is untouched
    texts = profile_texts("mentor", load_profiles(db_session, "mentor", [mentor.id]).values())
    hashes = content_hashes("mentor", texts, edited.model_id or "")
    stored = stored_vectors(
        db_session, "mentor", edited.model_id or "", hashes, corpus.embedder.dim
    )
    np.testing.assert_allclose(
        corpus.index("mentor").get_vectors([mentor.id])[0], stored[mentor.id], atol=1e-6
    )
    assert mentor.id in {r.id for r in edited.recommender.search("zygomorphic 授粉", k=3)}

    # A process loading the version now applies the delta itself, and answers alike.
    loaded = served_engine.load_version(settings, version)
    assert loaded.deltas_upto == 1
    assert _answers(loaded) == _answers(edited)
    # The lexical leg finds the edit's new word, which the version's fit never saw.
    assert [i for i, _ in corpus.lexical["mentor"].search("zygomorphic", 5)] == [mentor.id]
    # A version built with the edit ranks as the version with its delta (its refit TF-IDF
    # weighs every word again: the scores move a little).
    report = indexing.build_and_publish(db_session, settings)
    assert report.version == version + 1
    rebuilt = served_engine.load_version(settings, version + 1)
    assert rebuilt.deltas_upto == 1  # holds the edit: the delta is not applied again
    for got, want in zip(_answers(rebuilt), _answers(edited), strict=True):
        assert [r[:-1] for r in got] == [r[:-1] for r in want]


def test_a_removed_profile_leaves_with_its_delta_and_old_deltas_are_removed(
    db_session: Session, published: Published
) -> None:
    settings, version, mentor = published
    mentor.expertise = "Zygomorphic flower pollination"
    _edit(db_session, settings, mentor)
    mentor.is_active = False
    assert _edit(db_session, settings, mentor) == 2
    engine = served_engine.load_version(settings, version)
    rec = engine.recommender
    assert engine.deltas_upto == 2
    assert mentor.id not in rec.corpus.profiles["mentor"]
    assert mentor.id not in rec.corpus.index("mentor")
    assert mentor.id not in {r.id for r in rec.search("zygomorphic", k=5)}

    root = Path(settings.index_dir)
    indexing.build_and_publish(db_session, settings)  # kept: the first version (upto 0) and it
    assert sorted(n for n, _ in store.deltas_after(root, 0)) == [1, 2]
    indexing.build_and_publish(db_session, settings, force=True)  # both kept ones hold them
    assert store.deltas_after(root, 0) == []
    mentor.is_active = True
    assert _edit(db_session, settings, mentor) == 3  # numbers never go back


def test_an_unreadable_delta_is_skipped_and_the_version_still_serves(
    db_session: Session, published: Published, caplog: pytest.LogCaptureFixture
) -> None:
    settings, version, mentor = published
    with store.delta_lock(settings.index_dir):
        store.write_delta(settings.index_dir, b"{not json")
    mentor.expertise = "Zygomorphic flower pollination"
    _edit(db_session, settings, mentor)
    with caplog.at_level(logging.ERROR):
        engine = served_engine.load_version(settings, version)
    assert "delta 1 not applied" in caplog.text
    assert engine.deltas_upto == 2
    assert "Zygomorphic" in engine.recommender.corpus.profiles["mentor"][mentor.id].expertise


def test_no_delta_before_the_first_version(db_session: Session, tmp_path: Path) -> None:
    mentor = make_mentor(db_session)
    settings = engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    assert indexing.publish_delta(db_session, settings, "mentor", mentor.id) is None


def test_a_publication_asked_for_during_another_build_waits_on_the_queue_not_in_a_thread(
    app: Flask, db_session: Session
) -> None:
    """A publication job that finds the build lock held goes back on the queue for later (its
    thread is free for the saves' embedding jobs) and leaves the pending flag set, so that the
    saves meanwhile do not queue more; once the lock is free it publishes."""
    make_mentor(db_session)
    settings = engine_settings.EngineSettings.from_app(app)
    huey = queue.bound(app).huey
    with app.app_context():
        huey.put(indexing.PUBLISH_PENDING, 1.0)
        with store.build_lock(settings.index_dir):
            jobs.publish_indexes()
        assert huey.scheduled_count() == 1
        assert store.current_version(settings.index_dir) is None
        assert huey.get(indexing.PUBLISH_PENDING, peek=True) == 1.0
        jobs.publish_indexes()  # what the scheduled run does
        assert store.current_version(settings.index_dir) == 1
        assert huey.get(indexing.PUBLISH_PENDING, peek=True) is None
        # The periodic refresh does not wait for another build either: the next one looks.
        make_mentor(db_session)
        with store.build_lock(settings.index_dir):
            jobs.refresh_indexes()
        assert store.current_version(settings.index_dir) == 1
        assert huey.scheduled_count() == 1  # nothing more queued
        jobs.refresh_indexes()
    assert store.current_version(settings.index_dir) == 2


def test_an_edited_mentor_is_matched_by_named_expertise_without_a_rebuild_over_every_mentor(
    db_session: Session, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A served version keeps its expertise word statistics; a delta looks the edited mentor's
    words up in them (a rebuild over every mentor took 4.5 s per edit at 100,000)."""
    settings, version, mentor = published
    held = served_engine.load_version(settings, version)
    startup = next(iter(held.recommender.corpus.profiles["startup"].values()))
    assert "专利" not in held.recommender.corpus.expertise().match(startup, mentor.id)[1]
    mentor.expertise = "专利律师，知识产权"
    _edit(db_session, settings, mentor)

    def rebuilt(*args: object) -> None:
        raise AssertionError("rebuilt over every mentor")

    monkeypatch.setattr(ExpertiseTerms, "build", rebuilt)
    monkeypatch.setattr(CrossLanguageTerms, "build", rebuilt)
    edited = served_engine.apply_deltas(held, store.deltas_after(settings.index_dir, 0))
    score, named = edited.recommender.corpus.expertise().match(startup, mentor.id)
    assert "专利" in named and score > 0
    assert "xrd" not in named
    # Another kind's edit keeps them as they are.
    other = db_session.get(Startup, startup.id)
    assert other is not None
    other.description = "钠离子电池 正极材料，需要专利布局"
    db_session.commit()
    indexing.embed_profile(db_session, settings, "startup", other.id)
    indexing.publish_delta(db_session, settings, "startup", other.id)
    edited = served_engine.apply_deltas(edited, store.deltas_after(settings.index_dir, 1))
    assert edited.deltas_upto == 2
    assert "钠离子" in edited.recommender.corpus.profiles["startup"][other.id].description
    assert "专利" in edited.recommender.corpus.expertise().match(startup, mentor.id)[1]
