"""Phrase vectors (issue 13): built by the worker, published with the version, loaded by web
processes; a serving engine answers a mentor or equipment search embedding only the query."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from matchmaker.models.embeddings import ProfileEmbedding
from matchmaker.recommend import store
from matchmaker.recommend import texts as T
from matchmaker.recommend.corpus import TEXTS, Corpus
from matchmaker.recommend.embedding import HASHING_MODEL, HashingEmbedder
from matchmaker.recommend.expertise_meaning import expertise_words
from matchmaker.recommend.phrases import PHRASE, phrase_key
from matchmaker.services.recommendations import engine_settings, engines, indexing, served_engine
from matchmaker.services.recommendations.profiles import load_profiles
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


def _phrase_keys(profiles: Sequence[object]) -> set[int]:
    # Every short phrase, and the expertise words compared across languages.
    keys = {phrase_key(t) for p in profiles for t in T.profile_phrases(p)}
    return keys | {phrase_key(w) for p in profiles for w in expertise_words(p)}


def test_a_serving_engine_embeds_only_the_query_and_the_version_holds_the_phrases(
    db_session: Session, tmp_path: Path, counting: CountingEmbedder
) -> None:
    make_startup(db_session)
    mentor = make_mentor(db_session)
    make_equipment(db_session, make_facility(db_session))
    settings = engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    try:
        version = engines.build_indexes(db_session, settings, show_progress=False).version
        assert version is not None
        store.verify_version(settings.index_dir, version)  # phrase files are checksummed too
        folder = store.version_dir(settings.index_dir, version)
        index, _, _ = store.load_index(
            folder,
            PHRASE,
            model_id=counting.model_id,
            template_version=TEXTS[PHRASE][1],
            dim=counting.dim,
        )
        profiles = [
            p
            for kind in ("startup", "mentor", "equipment", "investor")
            for p in load_profiles(db_session, kind).values()
        ]
        wanted = _phrase_keys(profiles)
        assert wanted and wanted == set(index.ids().tolist())

        engine = served_engine.load_version(settings, version)
        corpus = engine.recommender.corpus
        assert corpus.frozen
        rescored: list[list[float]] = []
        phrase_similarity = corpus.phrase_similarity

        def spy(q: NDArray[np.float32], kind: str, ids: Sequence[int]) -> list[float]:
            rescored.append(phrase_similarity(q, kind, ids))
            return rescored[-1]

        corpus.phrase_similarity = spy  # type: ignore[method-assign]
        counting.texts.clear()
        for query in ("XRD testing", "电池材料专家", "cathode scale-up"):
            recs = engine.recommender.search(query, kinds=["mentor", "equipment"], k=5)
            assert recs  # both kinds have a profile: something is found
        # The phrases were scored (from the published vectors: the exact phrase "XRD expert"
        # style match is > 0) and each search embedded its query, never a profile phrase.
        assert rescored and max(max(r) for r in rescored if r) > 0.3
        assert not corpus._phrases_unvectored
        queries = {"XRD testing", "电池材料专家", "cathode scale-up"}
        assert counting.texts and set(counting.texts) <= queries, counting.texts

        # A profile edit: the embed job stores the new phrases; the next build embeds nothing.
        mentor.expertise = "Solid-state electrolytes, SEM imaging."
        db_session.commit()
        counting.texts.clear()
        assert indexing.embed_profile(db_session, settings, "mentor", mentor.id) > 0
        new_phrases = {"Solid-state electrolytes", "SEM imaging"}
        assert new_phrases <= set(counting.texts)
        stored = set(
            db_session.scalars(
                sa.select(ProfileEmbedding.profile_id).where(ProfileEmbedding.kind == PHRASE)
            )
        )
        assert {phrase_key(t) for t in new_phrases} <= stored
        counting.texts.clear()
        newer = engines.build_indexes(db_session, settings, show_progress=False).version
        assert newer == version + 1 and counting.texts == []
        served = served_engine.load_version(settings, newer).recommender.corpus
        assert {phrase_key(t) for t in new_phrases} <= set(served.index(PHRASE).ids().tolist())
        assert phrase_key("XRD and electrochemical testing") not in served.index(PHRASE)
    finally:
        engines.forget_engines()


def test_a_frozen_corpus_scores_a_phrase_without_a_vector_0_and_never_embeds_it() -> None:
    embedder = CountingEmbedder()
    corpus = Corpus(embedder)
    mentor = T.MentorProfile(id=1, name="A", headline="XRD expert", expertise="Battery testing")
    corpus.sync("mentor", [mentor])
    corpus.frozen = True
    embedder.texts.clear()
    q = embedder.encode(["XRD expert"])[0]
    embedder.texts.clear()
    assert corpus.phrase_similarity(q, "mentor", [1]) == [0.0]
    assert corpus.closest_phrase(q, mentor, 0.1) is None
    assert embedder.texts == []
    with pytest.raises(LookupError):
        corpus.sync_phrases()
    corpus.frozen = False  # offline use (evaluation, tests) embeds on demand
    assert corpus.phrase_similarity(q, "mentor", [1])[0] > 0.9
    assert embedder.texts == ["XRD expert", "Battery testing"]


def test_a_version_without_phrase_vectors_still_serves_and_embeds_only_the_query(
    db_session: Session, tmp_path: Path, counting: CountingEmbedder
) -> None:
    """A version published before phrase vectors were (no ``phrase/``) keeps serving: its
    phrases count 0 (logged once) until the next build, and nothing but the query is embedded."""
    make_mentor(db_session)
    make_equipment(db_session, make_facility(db_session))
    settings = engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    try:
        version = engines.build_indexes(db_session, settings, show_progress=False).version
        assert version is not None
        shutil.rmtree(store.version_dir(settings.index_dir, version) / PHRASE)
        engine = served_engine.load_version(settings, version)
        counting.texts.clear()
        assert engine.recommender.search("XRD testing", kinds=["mentor", "equipment"], k=5)
        assert counting.texts and set(counting.texts) <= {"XRD testing"}, counting.texts
        assert len(counting.texts) <= 2
        assert engine.recommender.corpus._phrases_unvectored  # scored 0, remembered as logged
    finally:
        engines.forget_engines()
