"""Published index versions: numbered folders, an atomic pointer, leftovers cleared, old versions
removed, corruption detected; memory-mapped indexes are read-only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matchmaker.recommend import store
from matchmaker.recommend.index import ExactIndex, ReadOnlyIndex


def _index(n: int = 20, dim: int = 8) -> ExactIndex:
    rng = np.random.default_rng(n)
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = ExactIndex(dim)
    index.add(np.arange(n), vecs)
    return index


def _fill(index: ExactIndex):  # type: ignore[no-untyped-def]
    def fill(staging: Path) -> dict[str, object]:
        store.save_index(
            staging, "mentor", index, model_id="m", template_version="t", data_watermark="w"
        )
        return {"model_id": "m"}

    return fill


def test_versions_are_numbered_pointed_to_and_pruned(tmp_path: Path) -> None:
    assert store.current_version(tmp_path) is None
    for expected in (1, 2, 3):
        with store.build_lock(tmp_path):
            assert store.publish_version(tmp_path, _fill(_index()), keep=2) == expected
        assert store.current_version(tmp_path) == expected
    assert store.published_versions(tmp_path) == [3, 2]  # the one before stays for a swap
    manifest = store.verify_version(tmp_path, 3)
    assert manifest["version"] == 3 and manifest["model_id"] == "m"


def test_a_failed_or_killed_build_leaves_the_current_version(tmp_path: Path) -> None:
    store.publish_version(tmp_path, _fill(_index()))

    def broken(staging: Path) -> dict[str, object]:
        (staging / "half-written").write_bytes(b"x")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        store.publish_version(tmp_path, broken)
    assert store.current_version(tmp_path) == 1
    assert not list(tmp_path.glob(".v*.staging-*"))
    (tmp_path / ".v2.staging-deadbeef").mkdir()  # what SIGKILL leaves behind
    assert store.publish_version(tmp_path, _fill(_index())) == 2
    assert not list(tmp_path.glob(".v*.staging-*"))


def test_corruption_is_detected(tmp_path: Path) -> None:
    store.publish_version(tmp_path, _fill(_index()))
    path = store.version_dir(tmp_path, 1) / "mentor" / "index.faiss"
    data = path.read_bytes()
    path.write_bytes(data[:-64] + b"\0" * 64)
    with pytest.raises(store.IndexCorrupt):
        store.verify_version(tmp_path, 1)
    (tmp_path / store.CURRENT).write_text("garbage")
    assert store.current_version(tmp_path) is None


def test_a_memory_mapped_index_serves_and_refuses_changes(tmp_path: Path) -> None:
    index = _index()
    store.publish_version(tmp_path, _fill(index))
    loaded, _, _ = store.load_index(
        store.version_dir(tmp_path, 1),
        "mentor",
        model_id="m",
        template_version="t",
        dim=8,
        mmap=True,
    )
    q = index.get_vectors([3])
    assert loaded.search(q, 1)[1][0][0] == 3
    assert np.allclose(loaded.get_vectors([5]), index.get_vectors([5]))
    with pytest.raises(ReadOnlyIndex):
        loaded.add([99], q)
    with pytest.raises(ReadOnlyIndex):
        loaded.remove([3])
