"""One contract every VectorIndex meets: search, filters, incremental add/remove, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matchmaker.recommend.hnsw import HNSWIndex, build_index
from matchmaker.recommend.index import ExactIndex, VectorIndex
from matchmaker.recommend.overlay import OverlayIndex

DIM = 16


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# HNSW twice: once answering filters exactly (the default for small filters) and once forced
# through the faiss IDSelector path.
def _mapped_overlay(folder: Path) -> OverlayIndex:
    """An overlay over an empty memory-mapped index, as a served version's starts (the base's
    own ids are exercised by ``test_overlay_index``)."""
    ExactIndex(DIM).save(folder)
    return OverlayIndex(ExactIndex.load(folder, DIM, mmap=True))


FACTORIES = {
    "exact": lambda folder: ExactIndex(DIM),
    "hnsw": lambda folder: HNSWIndex(DIM),
    "hnsw-selector": lambda folder: HNSWIndex(DIM, exact_filter_below=0),
    "overlay": _mapped_overlay,
}


@pytest.fixture(params=list(FACTORIES))
def make(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - a factory
    return lambda: FACTORIES[request.param](tmp_path_factory.mktemp("base"))


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return np.arange(100, 400, dtype=np.int64), unit(rng, 300)


def filled(make, data) -> VectorIndex:  # noqa: ANN001
    index = make()
    index.add(*data)
    return index


def test_is_a_vector_index(make) -> None:  # noqa: ANN001
    assert isinstance(make(), VectorIndex)


def test_search_finds_itself_first_with_shapes(make, data) -> None:  # noqa: ANN001
    ids, vecs = data
    index = filled(make, data)
    assert len(index) == 300
    scores, found = index.search(vecs[:5], 4)
    assert scores.shape == found.shape == (5, 4)
    assert found[:, 0].tolist() == ids[:5].tolist()
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
    assert (np.diff(scores, axis=1) <= 1e-6).all(), "best first"


def test_k_larger_than_index_pads_with_minus_one(make) -> None:  # noqa: ANN001
    index = make()
    index.add([1, 2], unit(np.random.default_rng(1), 2))
    scores, found = index.search(unit(np.random.default_rng(2), 1), 5)
    assert sorted(found[0, :2].tolist()) == [1, 2]
    assert found[0, 2:].tolist() == [-1, -1, -1]
    assert np.isneginf(scores[0, 2:]).all()


def test_allowed_ids_filter(make, data) -> None:  # noqa: ANN001
    ids, vecs = data
    index = filled(make, data)
    allowed = set(ids[150:].tolist())
    _, found = index.search(vecs[:3], 10, allowed_ids=allowed)
    assert set(found.ravel().tolist()) <= allowed
    assert (found >= 0).all()
    _, nothing = index.search(vecs[:1], 3, allowed_ids=set())
    assert (nothing == -1).all()


def test_remove_and_upsert(make, data) -> None:  # noqa: ANN001
    ids, vecs = data
    index = filled(make, data)
    index.remove([int(ids[0]), 999_999])  # unknown ids are ignored
    assert len(index) == 299 and int(ids[0]) not in index
    _, found = index.search(vecs[:1], 10)
    assert int(ids[0]) not in found.ravel().tolist()
    # Upsert: same id, new vector -> the old vector is gone.
    index.add([int(ids[1])], vecs[2:3])
    assert len(index) == 299
    np.testing.assert_allclose(index.get_vectors([int(ids[1])])[0], vecs[2], atol=1e-6)


def test_mass_removal_keeps_results_correct(make, data) -> None:  # noqa: ANN001
    ids, vecs = data
    index = filled(make, data)
    index.remove(ids[:200])  # past HNSW's rebuild ratio
    assert len(index) == 100
    _, found = index.search(vecs[250:251], 1)
    assert found[0, 0] == ids[250]
    assert set(index.ids().tolist()) == set(ids[200:].tolist())


def test_rejects_wrong_dimension_and_negative_ids(make) -> None:  # noqa: ANN001
    index = make()
    with pytest.raises(ValueError, match="dimension"):
        index.add([1], np.ones((1, DIM + 1), dtype=np.float32))
    with pytest.raises(ValueError):
        index.add([-5], unit(np.random.default_rng(0), 1))


def test_save_load_round_trip(make, data, tmp_path: Path) -> None:  # noqa: ANN001
    ids, vecs = data
    index = filled(make, data)
    index.remove([int(ids[3])])
    names = index.save(tmp_path)
    assert all((tmp_path / n).is_file() for n in names)
    loaded = type(index).load(tmp_path, DIM)
    assert len(loaded) == len(index)
    assert set(loaded.ids().tolist()) == set(index.ids().tolist())
    _, a = index.search(vecs[:5], 5)
    _, b = loaded.search(vecs[:5], 5)
    assert a.tolist() == b.tolist()


def test_build_index_switches_to_hnsw_and_measures_recall() -> None:
    rng = np.random.default_rng(3)
    # Clustered data, like real embeddings (uniform random vectors are HNSW's worst case).
    centres = unit(rng, 20)
    vecs = centres[rng.integers(0, 20, 3000)] + 0.3 * unit(rng, 3000)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    small, recall = build_index(np.arange(3000), vecs, dim=DIM, approximate_above=5000)
    assert isinstance(small, ExactIndex) and recall is None
    big, recall = build_index(np.arange(3000), vecs, dim=DIM, approximate_above=1000)
    assert isinstance(big, HNSWIndex)
    assert recall is not None and recall >= 0.95
