"""A served engine does no per-request work it can avoid (issue 12): the mentors' load prices
come with the published version (never estimated inside a request), a query text asked again
is not encoded again, and an identical call in the same engine state is answered once."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from matchmaker.recommend import store
from matchmaker.recommend.embedding import HASHING_MODEL, HashingEmbedder
from matchmaker.services.recommendations import engine_settings, engines, indexing, served_engine
from tests.factories import make_equipment, make_facility, make_mentor, make_startup


class CountingEmbedder:
    """The hashing embedder, recording every text it is asked to embed."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.model_id = self.inner.model_id
        self.dim = self.inner.dim
        self.reads_cjk = getattr(self.inner, "reads_cjk", False)
        self.texts: list[str] = []

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> NDArray[np.float32]:
        self.texts.extend(texts)
        return self.inner.encode(texts, batch_size=batch_size, show_progress=show_progress)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingEmbedder:
    embedder = CountingEmbedder()
    monkeypatch.setitem(engine_settings._EMBEDDERS, HASHING_MODEL, embedder)
    return embedder


@pytest.fixture
def published(db_session: Session, tmp_path: Path, counting: CountingEmbedder) -> Any:
    """A version over 12 startups and 3 mentors of capacity 1 each (so demand exceeds it and
    the generalists get a load price below 1) and one instrument."""
    startups = [
        make_startup(db_session, name=f"Cathode maker {i}", description=f"Battery cathodes {i}")
        for i in range(12)
    ]
    for i in range(3):
        make_mentor(db_session, capacity_per_month=1, headline=f"Battery scientist {i}")
    make_equipment(db_session, make_facility(db_session))
    settings = engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    version = engines.build_indexes(db_session, settings, show_progress=False).version
    assert version is not None
    yield settings, version, startups
    engines.forget_engines()


def _scored_calls(rec: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    scored = rec._scored

    def spy(kind: str, *args: Any) -> Any:
        calls.append(kind)
        return scored(kind, *args)

    monkeypatch.setattr(rec, "_scored", spy)
    return calls


def test_load_prices_are_published_with_the_version_and_never_estimated_by_a_request(
    published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, version, startups = published
    store.verify_version(settings.index_dir, version)  # the prices file is checksummed
    folder = store.version_dir(settings.index_dir, version)
    raw = json.loads((folder / indexing.PRICES_FILE).read_text())
    assert set(raw) == {"mentor"} and raw["mentor"]  # crowded mentors are priced below 1
    assert all(0 < p < 1 for p in raw["mentor"].values())

    engine = served_engine.load_version(settings, version)
    assert engine.answers_stable
    rec = engine.recommender
    calls = _scored_calls(rec, monkeypatch)
    rec.mentors_for_startup(startups[0].id, k=3)
    # One scoring of this startup's candidates; not the 12 of the demand sample as well.
    assert calls == ["mentor"]
    published_prices = rec.load_prices("mentor")
    assert published_prices == {int(i): p for i, p in raw["mentor"].items()}

    # The same estimate a web process used to make on its first request.
    fresh = served_engine.load_version(settings, version).recommender
    fresh._prices.clear()
    assert fresh.load_prices("mentor") == pytest.approx(published_prices)


def test_a_version_with_a_corrupt_prices_file_is_not_served(published: Any) -> None:
    settings, version, _ = published
    path = store.version_dir(settings.index_dir, version) / indexing.PRICES_FILE
    path.write_text(json.dumps({"mentor": {}}))
    with pytest.raises(store.IndexCorrupt):
        served_engine.load_version(settings, version)


def test_a_query_asked_again_is_not_encoded_again(
    published: Any, counting: CountingEmbedder
) -> None:
    settings, version, _ = published
    rec = served_engine.load_version(settings, version).recommender
    counting.texts.clear()
    first = rec.equipment_for_need("XRD testing for cathodes", 5)
    again = rec.equipment_for_need("XRD testing for cathodes", 5)
    rec.search("XRD testing for cathodes", kinds=["mentor"], k=3)
    assert counting.texts == ["XRD testing for cathodes"]
    assert [r.id for r in first] == [r.id for r in again] and first
    rec.equipment_for_need("SEM imaging", 5)
    assert counting.texts == ["XRD testing for cathodes", "SEM imaging"]


def test_an_identical_call_is_answered_once_until_the_engine_state_changes(
    published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, version, startups = published
    engine = served_engine.load_version(settings, version)
    rec = engine.recommender
    calls = _scored_calls(rec, monkeypatch)
    sid = startups[0].id

    def mentors() -> list[Any]:
        return engine.remember(("mentor", sid, 3), lambda: rec.mentors_for_startup(sid, k=3))

    first = mentors()
    assert mentors() == first and calls == ["mentor"]
    # A capacity change (what ``capacity.refresh_capacity`` applies) is a new engine state.
    mentor_id = first[0].id
    assert rec.set_figures("mentor", {mentor_id: 1}) == 1
    after = mentors()
    assert calls == ["mentor", "mentor"]
    assert mentor_id not in [r.id for r in after]  # fully booked now: no longer offered
    # Another startup is another call.
    engine.remember(
        ("mentor", startups[1].id, 3), lambda: rec.mentors_for_startup(startups[1].id, k=3)
    )
    assert len(calls) == 3


def test_a_version_without_prices_estimates_them_and_remembers_nothing(
    published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, version, startups = published
    manifest_path = store.version_dir(settings.index_dir, version) / store.VERSION_MANIFEST
    manifest = json.loads(manifest_path.read_text())
    del manifest["checksums"][indexing.PRICES_FILE]  # as versions published before prices
    manifest_path.write_text(json.dumps(manifest))
    engine = served_engine.load_version(settings, version)
    assert not engine.answers_stable
    calls = _scored_calls(engine.recommender, monkeypatch)
    sid = startups[0].id
    for _ in range(2):
        engine.remember(("mentor", sid, 3), lambda: engine.recommender.mentors_for_startup(sid))
    assert calls.count("mentor") > 2  # the sample was scored, and each call ranked


def test_new_capacity_figures_change_the_ranking_and_nothing_derived(
    published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A booking moves a figure, not a text: the profiles' statistics, orders, filters and
    relations cached over the kind stay (at 100,000 profiles a request recomputed them for
    seconds after every capacity refresh), and nothing is re-derived."""
    settings, version, startups = published
    rec = served_engine.load_version(settings, version).recommender
    corpus = rec.corpus
    sid = startups[0].id
    before = rec.mentors_for_startup(sid, k=3)
    corpus.popular("mentor", 3)
    corpus.ids_where("equipment", "active", lambda p: p.active)
    cached = (dict(corpus._stats), dict(corpus._orders), dict(corpus._sets))
    assert all(cached)
    relations, version_before = corpus.relations["mentor"], corpus.version
    monkeypatch.setattr(corpus, "_sync_portfolio_vectors", lambda **_: pytest.fail("re-derived"))
    monkeypatch.setattr(corpus, "_set_relations", lambda *_: pytest.fail("re-derived"))

    full = before[0].id
    assert rec.set_figures("mentor", {full: 1, before[1].id: 0}) == 1  # the second had 0
    assert corpus.version == version_before + 1
    assert corpus.profiles["mentor"][full].sessions_this_month == 1
    assert full not in [r.id for r in rec.mentors_for_startup(sid, k=3)]  # fully booked now
    assert (corpus._stats, corpus._orders, corpus._sets) == cached
    assert corpus.relations["mentor"] is relations
    assert rec.set_figures("mentor", {full: 1}) == 0  # nothing moved: the same state
    assert corpus.version == version_before + 1

    instrument = next(iter(corpus.profiles["equipment"]))
    assert rec.set_figures("equipment", {instrument: 12.5}) == 1
    assert corpus.profiles["equipment"][instrument].free_hours_next_14d == 12.5


def test_an_aged_answer_is_recomputed_by_one_thread_while_the_others_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Threads asking for an aged answer while one recomputes it do not all recompute it."""
    now = [100.0]
    monkeypatch.setattr(served_engine, "clock", lambda: now[0])
    answers = served_engine.RecentAnswers(8)
    assert answers.get(("k",), lambda: ["old"], max_age=5.0) == ["old"]
    now[0] += 6.0  # aged
    started, release = threading.Event(), threading.Event()
    computed: list[str] = []

    def slow() -> list[str]:
        computed.append("slow")
        started.set()
        release.wait(10)
        return ["new"]

    recomputing = threading.Thread(target=lambda: answers.get(("k",), slow, max_age=5.0))
    recomputing.start()
    assert started.wait(10)
    # Meanwhile: the aged answer, nothing computed again.
    assert answers.get(("k",), lambda: computed.append("again") or ["x"], max_age=5.0) == ["old"]
    release.set()
    recomputing.join(10)
    assert computed == ["slow"]
    assert answers.get(("k",), lambda: ["x"], max_age=5.0) == ["new"]
    # A failed recomputation leaves the key free for the next request.
    now[0] += 6.0
    with pytest.raises(RuntimeError):
        answers.get(("k",), lambda: (_ for _ in ()).throw(RuntimeError("boom")), max_age=5.0)
    assert answers.get(("k",), lambda: ["newer"], max_age=5.0) == ["newer"]
