"""One contract every Embedder meets (implicit's style: a parametrised suite per implementation)."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.recommend.embedding import Embedder, EmbedderError, SentenceTransformerEmbedder

TEXTS = ["Solid-state battery cathode materials", "专利律师，知识产权保护", "", "soil sensors"]


@pytest.fixture(params=["hashing", pytest.param("real", marks=pytest.mark.slow)])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    name = "hashing_embedder" if request.param == "hashing" else "real_embedder"
    return request.getfixturevalue(name)


def test_is_an_embedder(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.dim > 0 and embedder.model_id


def test_shape_dtype_and_unit_rows(embedder: Embedder) -> None:
    vectors = embedder.encode(TEXTS[:2] + TEXTS[3:])
    assert vectors.shape == (3, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_empty_matrix(embedder: Embedder) -> None:
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_deterministic_and_batch_independent(embedder: Embedder) -> None:
    one_by_one = np.vstack([embedder.encode([t], batch_size=1) for t in TEXTS[:2]])
    together = embedder.encode(TEXTS[:2], batch_size=64, show_progress=True)
    np.testing.assert_allclose(one_by_one, together, atol=1e-5)


def test_related_texts_are_closer_than_unrelated(embedder: Embedder) -> None:
    a, b, c = embedder.encode(
        ["lithium battery cathode", "cathode materials for lithium batteries", "rose gardening"]
    )
    assert float(a @ b) > float(a @ c)


def test_missing_local_model_folder_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(EmbedderError):
        SentenceTransformerEmbedder(str(tmp_path) + "/no-such-model")
