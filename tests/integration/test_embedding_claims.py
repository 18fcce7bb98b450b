"""Each text is embedded once, whoever needs it (``profile_vectors.embed_once``): a save's job and
an index build that both find a new text missing claim it in the database, and one of them embeds
it while the other waits for its vector. The benchmark of the eleventh pass counted 6 embeddings
for 5 edits before the claims."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from matchmaker.database import make_engine
from matchmaker.models.base import utcnow
from matchmaker.models.embeddings import EmbeddingClaim, ProfileEmbedding
from matchmaker.recommend.embedding import HASHING_MODEL, HashingEmbedder
from matchmaker.services.recommendations import engine_settings, indexing, profile_vectors
from matchmaker.services.recommendations.profile_vectors import (
    content_hashes,
    embed_once,
    profile_texts,
    stored_vectors,
)
from matchmaker.services.recommendations.profiles import load_profiles
from tests.factories import make_mentor

KIND = "mentor"


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, slowed down to a real model's pace, counting what it encodes."""

    def __init__(self, seconds_per_text: float = 0.002) -> None:
        super().__init__(dim=32)
        self.seconds_per_text = seconds_per_text
        self.encoded: list[str] = []
        self._lock = threading.Lock()

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> NDArray[np.float32]:
        time.sleep(self.seconds_per_text * len(texts))
        with self._lock:
            self.encoded.extend(texts)
        return super().encode(texts, show_progress=show_progress)


def _texts(n: int) -> tuple[dict[int, str], dict[int, str]]:
    texts = {i: f"Mentor {i}: battery materials, XRD, 专利 {i}" for i in range(1, n + 1)}
    return texts, {i: f"hash-{i}" for i in texts}


@pytest.fixture
def sessions(database_url: str) -> Iterator[list[Session]]:
    """Sessions of their own (each a process's), on a pool of their own."""
    engine = make_engine(database_url)
    opened = [Session(engine) for _ in range(3)]
    try:
        yield opened
    finally:
        for session in opened:
            session.close()
        engine.dispose()


def _claims(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(EmbeddingClaim)) or 0


def test_two_processes_needing_the_same_texts_embed_each_once(
    db_session: Session, sessions: list[Session]
) -> None:
    embedder = CountingEmbedder()
    texts, hashes = _texts(300)
    results: list[dict[int, NDArray[np.float32]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def need(session: Session) -> None:
        try:
            start.wait()
            results.append(embed_once(session, embedder, KIND, texts, hashes))
            session.commit()
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=need, args=(s,)) for s in sessions[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    assert sorted(embedder.encoded) == sorted(texts.values())  # each text once, all of them
    assert len(results) == 2 and all(set(r) == set(texts) for r in results)
    for i in texts:  # both got the one stored vector
        np.testing.assert_array_equal(results[0][i], results[1][i])
    stored = stored_vectors(db_session, KIND, embedder.model_id, hashes, embedder.dim)
    assert set(stored) == set(texts)
    assert _claims(db_session) == 0


def test_a_text_another_process_is_embedding_is_waited_for_not_embedded(
    db_session: Session, sessions: list[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profile_vectors, "CLAIM_POLL_SECONDS", 0.05)
    embedder = CountingEmbedder()
    texts, hashes = _texts(3)
    other = sessions[2]
    other.add(EmbeddingClaim(kind=KIND, profile_id=2, model_version=embedder.model_id,
                             content_hash=hashes[2]))  # fmt: skip
    other.commit()
    vector = np.full(embedder.dim, 0.25, dtype="<f4")

    def finish_later() -> None:  # the claimant stores its vector and drops its claim at once
        time.sleep(0.5)
        other.add(ProfileEmbedding(kind=KIND, profile_id=2, model_version=embedder.model_id,
                                   content_hash=hashes[2], dim=embedder.dim,
                                   vector=vector.tobytes()))  # fmt: skip
        other.execute(sa.delete(EmbeddingClaim))
        other.commit()

    claimant = threading.Thread(target=finish_later)
    claimant.start()
    got = embed_once(sessions[0], embedder, KIND, texts, hashes)
    claimant.join()
    assert sorted(embedder.encoded) == [texts[1], texts[3]]
    np.testing.assert_array_equal(got[2], vector)
    assert _claims(db_session) == 0


def test_the_claim_of_a_claimant_that_died_is_taken_over(
    db_session: Session, sessions: list[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profile_vectors, "CLAIM_POLL_SECONDS", 0.05)
    embedder = CountingEmbedder()
    texts, hashes = _texts(2)
    dead = utcnow() - timedelta(seconds=profile_vectors.CLAIM_STALE_SECONDS + 1)
    sessions[2].add(EmbeddingClaim(kind=KIND, profile_id=1, model_version=embedder.model_id,
                                   content_hash=hashes[1], claimed_at=dead))  # fmt: skip
    sessions[2].commit()
    got = embed_once(sessions[0], embedder, KIND, texts, hashes)
    assert set(got) == {1, 2} and sorted(embedder.encoded) == sorted(texts.values())
    assert _claims(db_session) == 0


def test_a_failed_embedding_leaves_no_claim_behind(
    db_session: Session, sessions: list[Session]
) -> None:
    class Failing(CountingEmbedder):
        def encode(
            self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
        ) -> NDArray[np.float32]:
            raise RuntimeError("the model is unavailable")

    texts, hashes = _texts(5)
    with pytest.raises(RuntimeError, match="unavailable"):
        embed_once(sessions[0], Failing(), KIND, texts, hashes)
    assert _claims(db_session) == 0  # the next attempt (the job's retry) need not wait


def test_the_vector_of_a_profiles_earlier_text_outlives_a_build_that_read_it(
    db_session: Session, tmp_path: Path
) -> None:
    """A save deletes the vectors of the profile's earlier texts only once they are an hour old:
    a build that read the profile before the save still finds its text's vector (the eleventh
    pass's benchmark embedded such a text twice, the save's job having deleted it)."""
    settings = engine_settings.EngineSettings(tmp_path / "idx", tmp_path / "m", HASHING_MODEL)
    mentor = make_mentor(db_session, expertise="XRD characterisation")

    def save(expertise: str) -> str:
        mentor.expertise = expertise
        db_session.commit()
        indexing.embed_profile(db_session, settings, "mentor", mentor.id)
        texts = profile_texts("mentor", load_profiles(db_session, "mentor", [mentor.id]).values())
        return content_hashes("mentor", texts, HashingEmbedder().model_id)[mentor.id]

    first = save("XRD and SEM characterisation")
    second = save("Patent drafting; 专利申请")
    assert _mentor_hashes(db_session, mentor.id) == {first, second}
    # An hour later, the next save forgets both earlier texts.
    db_session.execute(
        sa.update(ProfileEmbedding)
        .where(ProfileEmbedding.content_hash.in_([first, second]))
        .values(
            created_at=utcnow() - timedelta(seconds=profile_vectors.OLD_VECTOR_KEEP_SECONDS + 60)
        )
    )
    db_session.commit()
    third = save("GMP audits for medical devices")
    assert _mentor_hashes(db_session, mentor.id) == {third}


def _mentor_hashes(session: Session, mentor_id: int) -> set[str]:
    return set(
        session.scalars(
            sa.select(ProfileEmbedding.content_hash).where(
                ProfileEmbedding.kind == "mentor", ProfileEmbedding.profile_id == mentor_id
            )
        )
    )
