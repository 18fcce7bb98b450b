"""An overlay over a memory-mapped index answers as one writable index with the same edits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matchmaker.recommend import store
from matchmaker.recommend.hnsw import HNSWIndex
from matchmaker.recommend.index import ExactIndex, ReadOnlyIndex
from matchmaker.recommend.overlay import OverlayIndex

DIM = 16


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def mapped(tmp_path: Path, kind: type[ExactIndex] | type[HNSWIndex], ids, vecs):  # noqa: ANN001, ANN201
    index = kind(DIM)
    index.add(ids, vecs)
    tmp_path.mkdir(parents=True, exist_ok=True)
    index.save(tmp_path)
    return kind.load(tmp_path, DIM, mmap=True)


@pytest.mark.parametrize("kind", [ExactIndex, HNSWIndex])
@pytest.mark.parametrize("seed", range(5))
def test_random_edits_answer_as_a_writable_index(
    tmp_path: Path, seed: int, kind: type[ExactIndex] | type[HNSWIndex]
) -> None:
    rng = np.random.default_rng(seed)
    ids, vecs = np.arange(300, dtype=np.int64), unit(rng, 300)
    base = mapped(tmp_path, kind, ids, vecs)
    with pytest.raises(ReadOnlyIndex):
        base.add([1], vecs[:1])
    overlay, reference = OverlayIndex(base), ExactIndex(DIM)
    reference.add(ids, vecs)
    for _ in range(40):  # bounded by count
        what = rng.integers(3)
        picked = rng.choice(450, size=int(rng.integers(1, 6)), replace=False).tolist()
        if what == 0:  # add new ids or replace existing ones (the base's or the overlay's)
            new = unit(rng, len(picked))
            overlay.add(picked, new)
            reference.add(picked, new)
        else:
            overlay.remove(picked)
            reference.remove(picked)
        assert len(overlay) == len(reference)
        assert sorted(overlay.ids().tolist()) == sorted(reference.ids().tolist())
        assert all((i in overlay) == (i in reference) for i in range(450))
        queries = unit(rng, 3)
        for allowed in (None, set(rng.choice(450, size=60, replace=False).tolist())):
            got_scores, got = overlay.search(queries, 7, allowed)
            want_scores, want = reference.search(queries, 7, allowed)
            assert got.tolist() == want.tolist()
            np.testing.assert_allclose(got_scores, want_scores, atol=1e-5)
        present = overlay.ids()[:10]
        np.testing.assert_allclose(
            overlay.get_vectors(present), reference.get_vectors(present), atol=1e-6
        )
    gone = next(i for i in range(300) if i not in reference)
    with pytest.raises(KeyError):
        overlay.get_vectors([gone])


def test_hidden_ids_never_come_back_from_an_approximate_base(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    ids, vecs = np.arange(400, dtype=np.int64), unit(rng, 400)
    overlay = OverlayIndex(mapped(tmp_path, HNSWIndex, ids, vecs))
    overlay.remove(list(range(0, 400, 2)))
    overlay.add([1], -vecs[1:2])  # replaced: its old vector must not be found
    _, found = overlay.search(vecs[:20], 10)
    assert not {i for i in found.ravel().tolist() if i >= 0 and i % 2 == 0}
    assert found[1, 0] != 1
    assert found[3, 0] == 3


def test_saved_overlay_is_published_and_loaded_through_the_store(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    ids, vecs = np.arange(50, dtype=np.int64), unit(rng, 50)
    overlay = OverlayIndex(mapped(tmp_path / "base", ExactIndex, ids, vecs))
    overlay.remove([0, 1])
    overlay.add([70], vecs[5:6])
    store.save_index(
        tmp_path / "saved",
        "startup",
        overlay,
        model_id="m",
        template_version="1",
        data_watermark="w",
        recall_at_10=None,
        content_hashes={int(i): "h" for i in overlay.ids()},
    )
    loaded, _, _ = store.load_index(
        tmp_path / "saved", "startup", model_id="m", template_version="1", dim=DIM
    )
    assert sorted(loaded.ids().tolist()) == sorted(overlay.ids().tolist())
