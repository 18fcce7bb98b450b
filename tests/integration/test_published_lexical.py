"""A published index version carries its fitted lexical indexes: a web process adopts them
instead of tokenising every profile text again (minutes at 100,000 profiles per kind), serves
the same answers as a process that fits them, and refuses a corrupt one like any other file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from matchmaker.recommend import store
from matchmaker.recommend.embedding import HASHING_MODEL
from matchmaker.recommend.lexical import LexicalIndex
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
    fitted_here = served_engine.load_version(settings, version)

    def no_fit(self: LexicalIndex, ids: object, texts: object) -> None:
        raise AssertionError("a published version's lexical index was fitted again")

    with monkeypatch.context() as patch:
        patch.setattr(LexicalIndex, "fit", no_fit)
        adopted = served_engine.load_version(settings, version)
    assert _answers(adopted) == _answers(fitted_here)
    # ... and a version published before they were still loads, by fitting them.
    monkeypatch.setattr(served_engine, "_published_lexical", lambda *args: None)
    assert _answers(served_engine.load_version(settings, version)) == _answers(adopted)


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
