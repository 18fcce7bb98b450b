"""Persisted indexes: atomic writes, verified loads, specific errors, crash safety."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from matchmaker.recommend import store
from matchmaker.recommend.hnsw import HNSWIndex
from matchmaker.recommend.index import ExactIndex
from matchmaker.recommend.store import (
    IndexCorrupt,
    IndexMissing,
    IndexStale,
    load_index,
    read_manifest,
    save_index,
)

DIM = 8


def make_index(n: int, seed: int = 0, cls: type = ExactIndex) -> ExactIndex:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    index = cls(DIM)
    index.add(np.arange(n), x)
    return index


def save(root: Path, index: object, watermark: str = "w1") -> store.IndexManifest:
    return save_index(
        root,
        "mentor",
        index,
        model_id="m",
        template_version="t1",  # type: ignore[arg-type]
        data_watermark=watermark,
        content_hashes={0: "a" * 64, 1: "b" * 64},
    )


def load(root: Path, **overrides: object) -> tuple:
    kwargs = {"model_id": "m", "template_version": "t1", "dim": DIM, **overrides}
    return load_index(root, "mentor", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [ExactIndex, HNSWIndex])
def test_round_trip_with_manifest(tmp_path: Path, cls: type) -> None:
    manifest = save(tmp_path, make_index(50, cls=cls))
    index, loaded, hashes = load(tmp_path)
    assert type(index) is cls and len(index) == 50
    assert loaded == manifest
    assert hashes == {0: "a" * 64, 1: "b" * 64}
    on_disk = json.loads((tmp_path / "mentor" / "manifest.json").read_text())
    assert on_disk["kind"] == "mentor" and on_disk["count"] == 50
    assert on_disk["data_watermark"] == "w1" and on_disk["index_type"] == cls.index_type
    assert set(on_disk["checksums"]) >= {"index.faiss", "ids.npy", "vectors.npy"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no leftovers"


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing):
        load(tmp_path)


@pytest.mark.parametrize(
    "field,value", [("model_id", "other"), ("template_version", "t2"), ("dim", DIM * 2)]
)
def test_stale_index(tmp_path: Path, field: str, value: object) -> None:
    save(tmp_path, make_index(10))
    with pytest.raises(IndexStale):
        load(tmp_path, **{field: value})


@pytest.mark.parametrize("victim", ["index.faiss", "ids.npy", "vectors.npy", "hashes.npy"])
def test_corrupt_file_is_detected(tmp_path: Path, victim: str) -> None:
    save(tmp_path, make_index(10))
    path = tmp_path / "mentor" / victim
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt):
        load(tmp_path)


def test_deleted_file_and_bad_manifest_are_corrupt(tmp_path: Path) -> None:
    save(tmp_path, make_index(10))
    (tmp_path / "mentor" / "ids.npy").unlink()
    with pytest.raises(IndexCorrupt):
        load(tmp_path)
    (tmp_path / "mentor" / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt):
        read_manifest(tmp_path, "mentor")


def test_crash_while_writing_files_keeps_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(tmp_path, make_index(10), watermark="old")
    real_save = np.save
    calls = {"n": 0}

    def crashing_save(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # after the first file of the new index is written
            raise OSError("disk full")
        real_save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(np, "save", crashing_save)
    with pytest.raises(OSError, match="disk full"):
        save(tmp_path, make_index(20, seed=1), watermark="new")
    monkeypatch.undo()
    index, manifest, _ = load(tmp_path)
    assert manifest.data_watermark == "old" and len(index) == 10
    assert [p.name for p in tmp_path.iterdir()] == ["mentor"], "staging folder cleaned up"


def test_crash_between_renames_recovers_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(tmp_path, make_index(10), watermark="old")
    real_replace = os.replace
    calls = {"n": 0}

    def dying_replace(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] >= 2:  # previous folder already aside, new one not yet in place,
            raise KeyboardInterrupt  # and the process dies: even the in-process restore fails
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(store.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        store._swap(tmp_path, "mentor", tmp_path / "nowhere", "tok")
    monkeypatch.undo()
    assert not (tmp_path / "mentor").exists()
    index, manifest, _ = load(tmp_path)  # load puts the previous index back
    assert manifest.data_watermark == "old" and len(index) == 10


def test_second_save_replaces_first(tmp_path: Path) -> None:
    save(tmp_path, make_index(10), watermark="old")
    save(tmp_path, make_index(30, seed=2), watermark="new")
    index, manifest, _ = load(tmp_path)
    assert manifest.data_watermark == "new" and len(index) == 30
