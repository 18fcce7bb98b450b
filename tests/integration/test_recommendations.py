"""The bridge between the engine and the database: use cases, freshness, index lifecycle.

Most tests use the model-free hashing embedder (``EMBEDDING_MODEL="hashing"``); the ones marked
``slow`` load the real sentence-transformers model once per test session.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.models import FundingAsk, MatchOutcome
from matchmaker.recommend.embedding import DEFAULT_MODEL, HASHING_MODEL
from matchmaker.services.accounts import profile_events
from matchmaker.services.errors import NotFound
from matchmaker.services.recommendations import bridge as reco
from matchmaker.services.recommendations import capacity, engine_settings, engines
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)

# Tests with settings of their own and no app: who asks is a command (it may build on the spot)
# without an app (nothing is queued).
OFFLINE = engine_settings.Caller.offline()


@pytest.fixture
def settings(tmp_path: Path, app: object) -> Iterator[engine_settings.EngineSettings]:
    yield engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "models", HASHING_MODEL)
    engines.forget_engines()


@pytest.fixture
def world(db_session: Session) -> dict[str, object]:
    """A battery startup, mentors and investors that fit or do not, and two instruments."""
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder, name="Cathode Labs")
    battery = make_mentor(db_session)
    lawyer = make_mentor(
        db_session,
        kind="lawyer",
        headline="专利律师",
        expertise="专利申请、知识产权保护与商标注册",
        sectors=["internet"],
        mentoring_topics=["legal_ip"],
        location="Beijing",
    )
    busy = make_mentor(db_session, accepting_requests=False, headline="Battery pack engineer")
    seed_fund = make_investor(db_session, name="Seed Battery Fund")
    late_fund = make_investor(db_session, name="Growth Fund", stages=["b_plus"])
    lab = make_facility(db_session)
    xrd = make_equipment(db_session, lab)
    printer = make_equipment(
        db_session,
        lab,
        name="Metal 3D printer",
        category="prototyping",
        model_specs="EOS M290",
        description="Selective laser melting of titanium and steel parts.",
    )
    db_session.add(
        FundingAsk(startup_id=startup.id, round="seed", amount=Decimal("3000000"), currency="CNY")
    )
    db_session.commit()
    return {
        "startup": startup,
        "battery": battery,
        "lawyer": lawyer,
        "busy": busy,
        "seed_fund": seed_fund,
        "late_fund": late_fund,
        "xrd": xrd,
        "printer": printer,
    }


def _ids(matches: list[reco.Match]) -> list[int]:
    return [m.id for m in matches]


def test_mentors_for_startup_fit_both_sides_and_reasons_are_true(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    startup = world["startup"]
    matches = reco.recommend_mentors(db_session, startup.id, settings=settings, caller=OFFLINE)
    ids = _ids(matches)
    assert ids[0] == world["battery"].id
    assert world["busy"].id not in ids  # not accepting requests: the other side would refuse
    for m in matches:
        assert m.entity.id == m.id and m.kind == "mentor"
        for r in m.reasons:
            if r.code == "shared_sectors":
                assert r.params["sectors"]
                assert set(r.params["sectors"]) <= set(startup.sectors) & set(m.entity.sectors)
    assert "shared_sectors" in {r.code for r in matches[0].reasons}


def test_mentor_kind_filter(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    matches = reco.recommend_mentors(
        db_session, world["startup"].id, kind="lawyer", settings=settings, caller=OFFLINE
    )
    assert _ids(matches) == [world["lawyer"].id]


def test_investors_use_the_open_funding_ask(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    matches = reco.recommend_investors(
        db_session, world["startup"].id, settings=settings, caller=OFFLINE
    )
    ids = _ids(matches)
    assert world["seed_fund"].id in ids
    assert world["late_fund"].id not in ids  # invests only in later rounds than the seed ask
    top = next(m for m in matches if m.id == world["seed_fund"].id)
    codes = {r.code: r.params for r in top.reasons}
    assert codes["stage_fit"]["round"] == "seed"
    assert codes["ticket_fit"]["amount"] == 3000000.0


def test_rank_all_keeps_candidates_the_filters_drop(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    matches = reco.recommend_investors(
        db_session, world["startup"].id, settings=settings, caller=OFFLINE, rank_all=True
    )
    assert set(_ids(matches)) == {world["seed_fund"].id, world["late_fund"].id}
    assert _ids(matches)[-1] == world["late_fund"].id


def test_equipment_for_a_need_and_category(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    matches = reco.recommend_equipment(
        db_session, "XRD testing for a battery cathode", settings=settings, caller=OFFLINE
    )
    assert matches[0].id == world["xrd"].id
    terms = next(r for r in matches[0].reasons if r.code == "matched_terms").params["terms"]
    e = matches[0].entity
    text = " ".join([e.name, e.description, *vocab.EQUIPMENT_CATEGORIES[e.category]]).lower()
    assert terms and all(t.lower() in text for t in terms)
    only = reco.recommend_equipment(
        db_session, "XRD", category="prototyping", settings=settings, caller=OFFLINE
    )
    assert _ids(only) == [world["printer"].id] or _ids(only) == []


def test_search_across_kinds_in_chinese(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    matches = reco.search(db_session, "专利律师", settings=settings, caller=OFFLINE)
    assert (matches[0].kind, matches[0].id) == ("mentor", world["lawyer"].id)
    assert reco.search(db_session, "   ", settings=settings, caller=OFFLINE) == []


def test_search_returns_only_hits_it_can_explain(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    """The dense leg ranks every profile for any text; a hit sharing no word and no phrase
    close in meaning is noise, dropped before its row is read."""
    matches = reco.search(
        db_session, "XRD testing for a battery cathode", settings=settings, caller=OFFLINE
    )
    assert matches and all(m.reasons for m in matches)
    assert reco.search(db_session, "zzzqqq", settings=settings, caller=OFFLINE) == []


def test_deal_flow_and_similar_startups(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    other = make_startup(db_session, name="Anode Works", description="Silicon anodes for EV cells.")
    engines.build_indexes(db_session, settings, show_progress=False)
    for_mentor = reco.recommend_startups_for_mentor(
        db_session, world["battery"].id, settings=settings, caller=OFFLINE
    )
    assert world["startup"].id in _ids(for_mentor)
    for_fund = reco.recommend_startups_for_investor(
        db_session, world["seed_fund"].id, settings=settings, caller=OFFLINE
    )
    assert world["startup"].id in _ids(for_fund)
    assert reco.recommend_startups_for_investor(
        db_session, world["late_fund"].id, settings=settings, caller=OFFLINE
    ) == [] or world["startup"].id not in _ids(
        reco.recommend_startups_for_investor(
            db_session, world["late_fund"].id, settings=settings, caller=OFFLINE
        )
    )
    similar = reco.similar_startups(
        db_session, world["startup"].id, settings=settings, caller=OFFLINE
    )
    assert _ids(similar) == [other.id]
    with pytest.raises(NotFound):
        reco.similar_startups(db_session, 987654, settings=settings, caller=OFFLINE)


def test_profile_edit_reaches_the_engine_through_a_new_version(
    make_app: object, db_session: Session, world: dict, tmp_path: Path
) -> None:
    """A save queues the embedding job (immediate here): the changed text alone is embedded,
    a new version is published, and the engine serving it finds the edit."""
    from matchmaker.extensions import db
    from matchmaker.models.embeddings import ProfileEmbedding

    app = make_app(EMBEDDING_MODEL=HASHING_MODEL, INDEX_DIR=str(tmp_path / "idx"))  # type: ignore[operator]
    with app.app_context():
        settings = engine_settings.EngineSettings.from_app(app)
        command = engine_settings.Caller.offline(app)
        first = engines.build_indexes(db.session, settings, show_progress=False)
        before = reco.search(
            db.session, "cryogenic microscopy", ["mentor"], settings=settings, caller=command
        )
        assert not before or before[0].id != world["lawyer"].id
        lawyer = world["lawyer"]
        lawyer.expertise = "Cryogenic electron microscopy of battery interfaces"
        db_session.commit()
        profile_events.profile_changed("mentor", lawyer.id)
        top = reco.search(
            db.session, "cryogenic microscopy", ["mentor"], settings=settings, caller=command
        )[0]
        assert (top.kind, top.id) == ("mentor", lawyer.id)
        assert (
            engines.serving_engine_for(db.session, settings, caller=command).version
            == (first.version or 0) + 1
        )
    rows = db_session.scalars(
        sa.select(ProfileEmbedding).where(
            ProfileEmbedding.kind == "mentor", ProfileEmbedding.profile_id == lawyer.id
        )
    ).all()
    # The new text's vector; the old one stays an hour, for a build that read the profile before
    # the save (test_embedding_claims.py).
    assert len(rows) == 2


def test_deactivated_profile_disappears(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    startup_id = world["startup"].id
    assert world["seed_fund"].id in _ids(
        reco.recommend_investors(db_session, startup_id, settings=settings, caller=OFFLINE)
    )
    world["seed_fund"].is_active = False
    db_session.commit()
    profile_events.profile_changed("investor", world["seed_fund"].id)
    assert world["seed_fund"].id not in _ids(
        reco.recommend_investors(db_session, startup_id, settings=settings, caller=OFFLINE)
    )
    # Changed by another process (no event here): the watermark notices.
    world["battery"].is_active = False
    db_session.commit()
    assert world["battery"].id not in _ids(
        reco.recommend_mentors(db_session, startup_id, settings=settings, caller=OFFLINE)
    )


def test_corrupt_version_falls_back_to_the_last_good_one(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    engines.build_indexes(db_session, settings, show_progress=False)
    second = engines.build_indexes(db_session, settings, show_progress=False)
    assert all(c.ok for c in engines.verify_indexes(db_session, settings))
    folder = settings.index_dir / f"v{second.version}" / "mentor"
    (folder / "vectors.npy").write_bytes(b"garbage")
    checks = {c.kind: c for c in engines.verify_indexes(db_session, settings)}
    assert not checks["mentor"].ok and "Corrupt" in checks["mentor"].problem
    engines.forget_engines()  # a new process
    served = engines.serving_engine_for(db_session, settings, caller=OFFLINE)
    assert served.version == (second.version or 0) - 1  # the last good version
    matches = reco.recommend_mentors(
        db_session, world["startup"].id, settings=settings, caller=OFFLINE
    )
    assert _ids(matches)[0] == world["battery"].id
    engines.build_indexes(db_session, settings, show_progress=False)  # what the queued job does
    assert all(c.ok for c in engines.verify_indexes(db_session, settings))


def test_stale_index_content_is_reported_and_reconciled(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    engines.build_indexes(db_session, settings, show_progress=False)
    engines.forget_engines()
    world["printer"].description = "Now a wire EDM machine"
    db_session.commit()
    checks = {c.kind: c for c in engines.verify_indexes(db_session, settings)}
    assert not checks["equipment"].ok and "1 changed" in checks["equipment"].problem
    report = engines.build_indexes(db_session, settings, show_progress=False)
    assert {k.kind: k.embedded for k in report.kinds}["equipment"] == 1  # only the changed one
    assert {k.kind: k.embedded for k in report.kinds}["startup"] == 0


def test_capacity_provider_takes_a_full_mentor_out(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    battery = world["battery"]
    real = capacity._capacity_providers

    def full(session: Session, ids: object) -> dict[int, float]:
        return {battery.id: battery.capacity_per_month}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(capacity, "_capacity_providers", lambda: {**real(), "mentor": full})
        ids = _ids(
            reco.recommend_mentors(
                db_session, world["startup"].id, settings=settings, caller=OFFLINE
            )
        )
        assert battery.id not in ids
    ids = _ids(
        reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=OFFLINE)
    )
    assert battery.id in ids


def test_a_big_kind_is_refreshed_beside_a_web_request_not_in_it(
    db_session: Session,
    world: dict,
    settings: engine_settings.EngineSettings,
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    battery = world["battery"]
    real = capacity._capacity_providers
    reading = threading.Event()
    release = threading.Event()
    readers: list[str] = []

    def slow_full(session: Session, ids: object) -> dict[int, float]:
        readers.append(threading.current_thread().name)
        reading.set()
        release.wait(10)
        return {battery.id: battery.capacity_per_month}

    caller = engine_settings.Caller.web_request(app)
    reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=caller)
    capacity.forget_capacity()  # a booking elsewhere: the figures are due
    monkeypatch.setattr(capacity, "INLINE_REFRESH_MAX_PROFILES", 1)  # "a big kind"
    monkeypatch.setattr(capacity, "_next_background", {})
    monkeypatch.setattr(capacity, "BACKGROUND_REFRESH_SPACING", 10_000.0)
    monkeypatch.setattr(capacity, "_capacity_providers", lambda: {**real(), "mentor": slow_full})
    # The request ranks at once with the figures it has, while a thread reads the new ones.
    ids = _ids(
        reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=caller)
    )
    assert battery.id in ids and reading.wait(10)
    release.set()
    for _ in range(100):
        if not capacity._refreshing:
            break
        time.sleep(0.05)
    assert readers == ["capacity-mentor"]
    ids = _ids(
        reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=caller)
    )
    assert battery.id not in ids  # the background refresh's figures: the mentor is full
    # The next one waits BACKGROUND_REFRESH_SPACING times as long as this one took.
    capacity.forget_capacity()
    reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=caller)
    assert readers == ["capacity-mentor"] and not capacity._refreshing


def test_a_big_kind_takes_the_figures_the_job_worker_published(
    db_session: Session,
    world: dict,
    settings: engine_settings.EngineSettings,
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    battery, xrd = world["battery"], world["xrd"]
    real = capacity._capacity_providers
    caller = engine_settings.Caller.web_request(app)
    reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=OFFLINE)
    reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=caller)
    monkeypatch.setattr(capacity, "INLINE_REFRESH_MAX_PROFILES", 1)  # "a big kind"
    assert capacity.publish_capacity(db_session, settings.index_dir) == {
        "mentor": 3,
        "equipment": 2,
    }
    assert battery.id in _ids(
        reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=caller)
    )

    def full(session: Session, ids: object) -> dict[int, float]:
        return {battery.id: battery.capacity_per_month}

    def some_time(session: Session, ids: object) -> dict[int, float | None]:
        return {xrd.id: None, world["printer"].id: 12.5}

    monkeypatch.setattr(
        capacity, "_capacity_providers", lambda: {**real(), "mentor": full, "equipment": some_time}
    )
    assert capacity.publish_capacity(db_session, settings.index_dir) == {
        "mentor": 3,
        "equipment": 2,
    }
    # The web process reads nothing itself: it takes the published figures, and looks only at
    # the profiles whose figure moved since the file it took before.
    background: list[str] = []
    monkeypatch.setattr(capacity, "_refresh_in_background", lambda *a: background.append(a[2]))
    monkeypatch.setattr(capacity, "_capacity_providers", real)
    applied: list[tuple[str, object]] = []
    apply = capacity._apply
    monkeypatch.setattr(
        capacity,
        "_apply",
        lambda engine, kind, amounts, only=None: (
            applied.append((kind, only)),
            apply(engine, kind, amounts, only=only),
        ),
    )
    capacity.forget_capacity()
    ids = _ids(
        reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=caller)
    )
    assert battery.id not in ids and background == []
    assert applied == [("mentor", None)]  # the first file taken: every profile looked at
    engine = engines.serving_engine_for(db_session, settings, caller=caller)
    reco.recommend_equipment(db_session, "XRD", settings=settings, caller=caller)
    instruments = engine.recommender.corpus.profiles["equipment"]
    assert instruments[xrd.id].free_hours_next_14d is None
    assert instruments[world["printer"].id].free_hours_next_14d == 12.5
    # A newer file: only the instrument whose figure moved is looked at.
    printer = world["printer"].id
    monkeypatch.setattr(
        capacity,
        "_capacity_providers",
        lambda: {**real(), "equipment": lambda s, i: {xrd.id: None, printer: 20.0}},
    )
    capacity.publish_capacity(db_session, settings.index_dir)
    path = capacity.published_capacity_path(settings.index_dir, "equipment")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))  # a newer mtime, surely
    monkeypatch.setattr(capacity, "_capacity_providers", real)
    capacity.forget_capacity()
    reco.recommend_equipment(db_session, "XRD", settings=settings, caller=caller)
    assert applied[-1] == ("equipment", {printer})
    assert instruments[printer].free_hours_next_14d == 20.0
    assert instruments[xrd.id].free_hours_next_14d is None

    # Figures the job worker has not renewed for too long are not taken.
    for kind in ("mentor", "equipment"):
        path = capacity.published_capacity_path(settings.index_dir, kind)
        old = time.time() - capacity.PUBLISHED_MAX_AGE_SECONDS - 60
        os.utime(path, (old, old))
    capacity.forget_capacity()
    reco.recommend_mentors(db_session, world["startup"].id, settings=settings, caller=caller)
    assert background == ["mentor"]


def test_small_kinds_are_not_published(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    assert capacity.publish_capacity(db_session, settings.index_dir) == {}
    assert not capacity.published_capacity_path(settings.index_dir, "mentor").exists()


def test_train_ranker_says_when_outcomes_are_too_few(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    db_session.add(
        MatchOutcome(
            startup_id=world["startup"].id,
            candidate_kind="mentor",
            candidate_id=world["battery"].id,
            outcome="completed",
            rating=5,
        )
    )
    db_session.commit()
    results = {r.kind: r for r in engines.train_rankers(db_session, settings, caller=OFFLINE)}
    assert results["mentor"].path is None and results["mentor"].rows == 1
    assert "too few" in results["mentor"].message
    assert not (settings.model_dir / "ranker-mentor.json").exists()


def test_train_ranker_writes_a_usable_model(
    db_session: Session, world: dict, settings: engine_settings.EngineSettings
) -> None:
    startups = [make_startup(db_session, name=f"S{i}") for i in range(40)]
    mentors = [world["battery"], world["lawyer"]] + [
        make_mentor(db_session, headline=f"Mentor {i}") for i in range(4)
    ]
    rng = np.random.default_rng(0)
    for s in startups:
        for m in mentors:
            good = m.id == world["battery"].id or rng.random() < 0.2
            db_session.add(
                MatchOutcome(
                    startup_id=s.id,
                    candidate_kind="mentor",
                    candidate_id=m.id,
                    outcome="completed" if good else "declined",
                )
            )
    db_session.commit()
    results = {
        r.kind: r
        for r in engines.train_rankers(db_session, settings, kinds=["mentor"], caller=OFFLINE)
    }
    assert results["mentor"].path == settings.model_dir / "ranker-mentor.json"
    assert results["mentor"].rows == 240
    engines.forget_engines()
    rec = engines.engine_for(db_session, settings, caller=OFFLINE)
    assert rec.rankers["mentor"].n_train == 240


def test_request_without_index_serves_lexical_and_queues_one_build(
    make_app: object,
    db_session: Session,
    world: dict,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A web request never embeds profiles nor builds: with no published version it serves the
    lexical and popularity legs and queues one build (however many requests ask)."""
    from matchmaker.extensions import db, queue

    class Exploding:
        model_id = "exploding"
        dim = 384

        def encode(self, *args: object, **kwargs: object) -> object:
            raise AssertionError("the model must not embed inside this request")

    monkeypatch.setitem(engine_settings._EMBEDDERS, "fake-model", Exploding())  # type: ignore[arg-type]
    app = make_app(  # type: ignore[operator]
        QUEUE_IMMEDIATE=False, QUEUE_DATABASE=str(tmp_path / "jobs.sqlite3")
    )
    settings = engine_settings.EngineSettings(tmp_path / "i", tmp_path / "m", "fake-model")
    request = engine_settings.Caller.web_request(app)
    try:
        for _ in range(2):
            with app.test_request_context("/"):
                matches = reco.recommend_mentors(
                    db.session, world["startup"].id, settings=settings, caller=request
                )
                assert _ids(matches)[0] == world["battery"].id
                assert engines.serving_engine_for(db.session, settings, caller=request).lexical_only
        assert not (tmp_path / "i").exists() or not any((tmp_path / "i").iterdir())
        assert queue.bound(app).huey.pending_count() == 1
    finally:
        engines.forget_engines()
        queue.bound(app).huey.flush()


@pytest.fixture(scope="session")
def real_embedder() -> object:
    embedder = engine_settings.get_embedder(DEFAULT_MODEL)
    embedder.encode(["warm up"])
    return embedder


@pytest.mark.slow
def test_real_model_search_and_recommendations(
    db_session: Session, world: dict, tmp_path: Path, real_embedder: object
) -> None:
    settings = engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "models", DEFAULT_MODEL)
    try:
        report = engines.build_indexes(db_session, settings, show_progress=False)
        assert report.model_id.startswith(DEFAULT_MODEL + ":")  # the model and its version
        assert (
            reco.recommend_equipment(
                db_session, "XRD testing for a battery cathode", settings=settings, caller=OFFLINE
            )[0].id
            == world["xrd"].id
        )
        top = reco.search(
            db_session,
            "intellectual property attorney",
            ["mentor"],
            settings=settings,
            caller=OFFLINE,
        )
        assert top and top[0].id == world["lawyer"].id or world["lawyer"].id in _ids(top)
        assert (
            _ids(
                reco.recommend_mentors(
                    db_session, world["startup"].id, settings=settings, caller=OFFLINE
                )
            )[0]
            == world["battery"].id
        )
        assert all(c.ok for c in engines.verify_indexes(db_session, settings))
    finally:
        engines.forget_engines()
