"""A published index version carries its fitted lexical indexes: a web process adopts them
instead of tokenising every profile text again (minutes at 100,000 profiles per kind), serves
the same answers as a process that fits them, and refuses a corrupt one like any other file."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import Mentor
from matchmaker.recommend import corpus as corpus_module
from matchmaker.recommend import lexical, store
from matchmaker.recommend.embedding import HASHING_MODEL
from matchmaker.recommend.lexical import LexicalIndex
from matchmaker.recommend.phrases import PHRASE
from matchmaker.services.recommendations import engine_settings, engines, indexing, served_engine
from tests.factories import make_equipment, make_facility, make_investor, make_mentor, make_startup


@pytest.fixture
def published(
    db_session: Session, tmp_path: Path
) -> Iterator[tuple[engine_settings.EngineSettings, int]]:
    startup = make_startup(db_session, description="固态电池 正极材料，需要 XRD 表征和专利布局")
    make_mentor(db_session, expertise="专利申请，知识产权诉讼", headline="专利律师")
    make_mentor(db_session, expertise="XRD and SEM characterisation", headline="Materials lab")
    make_investor(db_session, thesis="新能源 电池 材料")
    make_equipment(db_session, make_facility(db_session))
    settings = engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    try:
        version = engines.build_indexes(db_session, settings, show_progress=False).version
        assert version is not None
        yield settings, version
    finally:
        engines.forget_engines()
    del startup


def _answers(engine: served_engine.ServingEngine) -> list[object]:
    rec = engine.recommender
    startup = next(iter(rec.corpus.profiles["startup"]))
    return [
        [(r.id, round(r.score, 6)) for r in rec.mentors_for_startup(startup, 5)],
        [(r.id, round(r.score, 6)) for r in rec.investors_for_startup(startup, 5)],
        [(r.kind, r.id, round(r.score, 6)) for r in rec.search("专利律师 XRD", k=5)],
        *(rec.corpus.lexical[kind].search("专利 电池 XRD", 5) for kind in indexing.LEXICAL_KINDS),
    ]


def test_a_version_load_adopts_the_published_lexical_indexes_and_answers_the_same(
    published: tuple[engine_settings.EngineSettings, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, version = published
    with monkeypatch.context() as patch:
        # As a version published before they were: every lexical index is fitted in the load.
        patch.setattr(served_engine, "_published_lexical", lambda *args: None)
        fitted_here = served_engine.load_version(settings, version)

    def no_fit(self: LexicalIndex, ids: object, texts: object) -> None:
        raise AssertionError("a published version's lexical index was fitted again")

    with monkeypatch.context() as patch:
        patch.setattr(LexicalIndex, "fit", no_fit)
        adopted = served_engine.load_version(settings, version)
    assert _answers(adopted) == _answers(fitted_here)


def test_a_corrupt_lexical_file_makes_the_version_unusable(
    published: tuple[engine_settings.EngineSettings, int],
) -> None:
    settings, version = published
    folder = store.version_dir(settings.index_dir, version)
    manifest = json.loads((folder / store.VERSION_MANIFEST).read_text(encoding="utf-8"))
    listed = [name for name in manifest["checksums"] if name.startswith("lexical/")]
    assert {name.split("/")[1] for name in listed} == set(indexing.LEXICAL_KINDS)
    matrix = folder / "lexical" / "mentor" / "matrix.npz"
    matrix.write_bytes(matrix.read_bytes()[:-16] + b"\0" * 16)
    with pytest.raises(store.IndexCorrupt):
        store.verify_version(settings.index_dir, version)
    with pytest.raises(store.IndexCorrupt):
        served_engine.load_version(settings, version)


def test_the_next_build_refits_and_reindexes_only_the_kinds_whose_texts_changed(
    published: tuple[engine_settings.EngineSettings, int],
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, version = published
    fitted: list[str] = []
    indexed: list[str] = []
    syncing: list[str] = []
    real_fit, real_build = LexicalIndex.fit, corpus_module.build_index
    real_sync = corpus_module.Corpus._sync_vectors

    def counting_fit(self: LexicalIndex, ids: Sequence[int], texts: Sequence[str]) -> None:
        fitted.append(next(k for k, v in corpora[-1].lexical.items() if v is self))
        real_fit(self, ids, texts)

    def counting_build(ids: Any, vectors: Any, **kwargs: Any) -> Any:
        if len(ids):  # the startup sync empties the portfolio until investors come: no cost
            indexed.append(syncing[-1])
        return real_build(ids, vectors, **kwargs)

    def noting_sync(self: corpus_module.Corpus, kind: str, *args: Any, **kwargs: Any) -> None:
        corpora.append(self)
        syncing.append(kind)
        real_sync(self, kind, *args, **kwargs)

    corpora: list[corpus_module.Corpus] = []
    monkeypatch.setattr(LexicalIndex, "fit", counting_fit)
    monkeypatch.setattr(corpus_module, "build_index", counting_build)
    monkeypatch.setattr(corpus_module.Corpus, "_sync_vectors", noting_sync)
    lawyer = db_session.scalars(sa.select(Mentor).where(Mentor.headline == "专利律师")).one()
    lawyer.expertise += "；商标注册"
    db_session.commit()
    again = engines.build_indexes(db_session, settings, show_progress=False).version
    assert again == version + 1
    # Only the mentors' lexical index is fitted again and their vector index rebuilt (and the
    # phrase index, which holds a new phrase): every other kind keeps the previous version's
    # rows and vectors.
    assert fitted == ["mentor"]
    assert "mentor" in indexed and set(indexed) <= {"mentor", PHRASE}
    served = served_engine.load_version(settings, again).recommender
    assert [i for i, _ in served.corpus.lexical["mentor"].search("商标", 3)] == [lawyer.id]


def test_a_lexical_index_fitted_by_other_tokenizer_code_is_fitted_again(
    published: tuple[engine_settings.EngineSettings, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, version = published
    fitted: list[int] = []
    real_fit = LexicalIndex.fit

    def counting_fit(self: LexicalIndex, ids: Sequence[int], texts: Sequence[str]) -> None:
        fitted.append(len(ids))
        real_fit(self, ids, texts)

    monkeypatch.setattr(LexicalIndex, "fit", counting_fit)
    served_engine.load_version(settings, version)
    assert fitted == []
    # A deploy that changes stopwords or the tokenizer: the saved rows are not these texts' rows.
    monkeypatch.setattr(lexical, "_fit_signature", lambda: b"tokenizer 2")
    served_engine.load_version(settings, version)
    assert len(fitted) == len(indexing.LEXICAL_KINDS)
