"""The approximate index (``HNSWIndex``) and the choice between it and the exact one
(``build_index``: HNSW past a size threshold, only with its recall@10 against exact measured).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from matchmaker.recommend.index import (
    IDS_FILE,
    INDEX_FILE,
    ExactIndex,
    VectorIndex,
    _as_ids,
    _as_vectors,
    _batch_to_add,
    _empty,
    _exact_topk,
    _faiss,
    _query_vectors,
    _read_faiss,
    _save_files,
    _writable,
)
from matchmaker.recommend.overlay import OverlayIndex

if TYPE_CHECKING:
    from numpy.typing import NDArray


class _SortedPositions:
    """Id -> position of a loaded, read-only index, as two sorted arrays. A dict of a million
    ids cost each web worker about 90 MB of its own heap and up to seconds to build at load
    (``scripts/bench_index_scale.py``); these arrays cost 16 MB and one sort."""

    def __init__(self, pos_ids: NDArray[np.int64]) -> None:
        live = np.flatnonzero(pos_ids >= 0)
        order = np.argsort(pos_ids[live], kind="stable")
        self._ids, self._pos = pos_ids[live][order], live[order]

    def positions(self, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """The position of each of ``ids``, -1 where it is not indexed."""
        if not len(self._ids):
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
        return np.where(self._ids[at] == ids, self._pos[at], -1).astype(np.int64)

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, int | np.integer):
            return False
        return bool(self.positions(np.array([item_id], dtype=np.int64))[0] >= 0)

    def __len__(self) -> int:
        return len(self._ids)


class HNSWIndex:
    """Approximate graph index (faiss ``IndexHNSWFlat``, inner product).

    HNSW cannot delete, so removal is a tombstone (position's id set to -1) excluded at search
    with an ``IDSelector``; when tombstones pass ``rebuild_ratio`` of the index it is rebuilt.
    Filters that leave few candidates are answered exactly: a graph walk with a very selective
    filter loses recall, and scoring a few thousand vectors directly is cheap.
    """

    index_type: ClassVar[str] = "hnsw"

    def __init__(
        self,
        dim: int,
        *,
        m: int = 32,
        ef_construction: int = 100,
        ef_search: int = 128,
        exact_filter_below: int = 4096,
        rebuild_ratio: float = 0.25,
    ) -> None:
        self.dim = dim
        self.m, self.ef_construction, self.ef_search = m, ef_construction, ef_search
        self.exact_filter_below = exact_filter_below
        self.rebuild_ratio = rebuild_ratio
        self.read_only = False
        self._reset()

    def _reset(self) -> None:
        faiss = _faiss()
        self._index = faiss.IndexHNSWFlat(self.dim, self.m, faiss.METRIC_INNER_PRODUCT)
        self._index.hnsw.efConstruction = self.ef_construction
        self._pos_ids = np.zeros(0, dtype=np.int64)  # position -> id, -1 = tombstone
        # id -> position: a dict while the index is written, sorted arrays once it is mapped
        self._pos_of: dict[int, int] | _SortedPositions = {}

    def __len__(self) -> int:
        return len(self._pos_of)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._pos_of

    def add(self, ids: Any, vectors: Any) -> None:
        id_arr, vecs = _batch_to_add(self, ids, vectors)
        self.remove([i for i in id_arr.tolist() if i in self._pos_of])
        start = int(self._index.ntotal)
        self._index.add(vecs)
        self._pos_ids = np.concatenate([self._pos_ids, id_arr])
        pos_of = self._written_positions()
        for offset, item_id in enumerate(id_arr.tolist()):
            pos_of[item_id] = start + offset

    def remove(self, ids: Any) -> None:
        id_arr = _as_ids(ids)
        if not len(id_arr):
            return
        _writable(self)
        pos_of = self._written_positions()
        for item_id in id_arr.tolist():
            pos = pos_of.pop(item_id, None)
            if pos is not None:
                self._pos_ids[pos] = -1
        dead = int(self._index.ntotal) - len(self._pos_of)
        if dead and dead > self.rebuild_ratio * max(1, int(self._index.ntotal)):
            self._rebuild()

    def _written_positions(self) -> dict[int, int]:
        if not isinstance(self._pos_of, dict):  # only a mapped index has the arrays
            raise TypeError("a mapped index is not written")
        return self._pos_of

    def _positions(self, ids: Any) -> NDArray[np.int64]:
        """The position of each of ``ids``, -1 where it is not indexed."""
        id_arr = _as_ids(ids if isinstance(ids, np.ndarray) else list(ids))
        if isinstance(self._pos_of, _SortedPositions):
            return self._pos_of.positions(id_arr)
        return np.array([self._pos_of.get(i, -1) for i in id_arr.tolist()], dtype=np.int64)

    def _rebuild(self) -> None:
        live = np.flatnonzero(self._pos_ids >= 0)
        ids = self._pos_ids[live].copy()
        vecs = self._reconstruct(live)
        self._reset()
        if len(ids):
            self.add(ids, vecs)

    def _reconstruct(self, positions: NDArray[np.int64]) -> NDArray[np.float32]:
        if len(positions) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(
            self._index.reconstruct_batch(np.ascontiguousarray(positions, dtype=np.int64)),
            dtype=np.float32,
        )

    def search(
        self, queries: Any, k: int, allowed_ids: Collection[int] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        faiss = _faiss()
        q = _query_vectors(queries, self.dim, k)
        if len(self) == 0:
            return _empty(len(q), k)
        selector: Any = None
        if allowed_ids is not None:
            found = self._positions(allowed_ids)
            positions = np.sort(found[found >= 0])
            if len(positions) <= max(self.exact_filter_below, k):
                return _exact_topk(q, self._reconstruct(positions), self._pos_ids[positions], k)
            selector = faiss.IDSelectorBatch(positions)
        elif len(self) < self._index.ntotal:
            dead = np.flatnonzero(self._pos_ids < 0).astype(np.int64)
            batch = faiss.IDSelectorBatch(dead)
            selector = faiss.IDSelectorNot(batch)
            selector.keep_alive = batch  # the C++ object only borrows it
        params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        if selector is not None:
            params.sel = selector
        scores, pos = self._index.search(q, k, params=params)
        found = np.where(pos >= 0, self._pos_ids[np.maximum(pos, 0)], -1)
        scores = scores.astype(np.float32)
        scores[found < 0] = -np.inf
        return scores, found.astype(np.int64)

    def ids(self) -> NDArray[np.int64]:
        return self._pos_ids[self._pos_ids >= 0].copy()

    def get_vectors(self, ids: Any) -> NDArray[np.float32]:
        positions = self._positions(ids)
        if (positions < 0).any():
            raise KeyError(int(_as_ids(ids)[np.argmax(positions < 0)]))
        return self._reconstruct(positions)

    def all_vectors(self) -> NDArray[np.float32]:
        return self._reconstruct(np.flatnonzero(self._pos_ids >= 0).astype(np.int64))

    def save(self, folder: Path) -> list[str]:
        folder = Path(folder)
        if len(self) < self._index.ntotal:
            self._rebuild()  # never persist tombstones
        return _save_files(folder, self._index, self._pos_ids, self.all_vectors())

    @classmethod
    def load(cls, folder: Path, dim: int, *, mmap: bool = False, **kwargs: Any) -> HNSWIndex:
        faiss = _faiss()
        # read_index returns the concrete type; keep that object (it owns the C++ index).
        raw = _read_faiss(Path(folder) / INDEX_FILE, mmap)
        if not isinstance(raw, faiss.IndexHNSWFlat):
            raise ValueError(f"expected IndexHNSWFlat, found {type(raw).__name__}")
        if raw.d != dim:
            raise ValueError(f"index dimension {raw.d} != expected {dim}")
        self = cls(dim, **kwargs)
        self._index = raw
        self._pos_ids = np.load(Path(folder) / IDS_FILE, allow_pickle=False).astype(np.int64)
        if len(self._pos_ids) != raw.ntotal:
            raise ValueError("ids file does not match the index")
        self._pos_of = (
            _SortedPositions(self._pos_ids)
            if mmap
            else {int(i): p for p, i in enumerate(self._pos_ids.tolist()) if i >= 0}
        )
        self.read_only = mmap
        return self


INDEX_TYPES: dict[str, type[ExactIndex] | type[HNSWIndex] | type[OverlayIndex]] = {
    ExactIndex.index_type: ExactIndex,
    HNSWIndex.index_type: HNSWIndex,
    OverlayIndex.index_type: OverlayIndex,
}


def recall_at_k(
    approx: VectorIndex, exact: VectorIndex, queries: NDArray[np.float32], k: int = 10
) -> float:
    """Mean fraction of the exact top-k that the approximate index also returns."""
    if len(queries) == 0 or len(exact) == 0:
        return 1.0
    _, truth = exact.search(queries, k)
    _, got = approx.search(queries, k)
    hits = [
        len(set(t[t >= 0].tolist()) & set(g.tolist())) / max(1, int((t >= 0).sum()))
        for t, g in zip(truth, got, strict=True)
    ]
    return float(np.mean(hits))


def build_index(
    ids: Any,
    vectors: Any,
    *,
    dim: int,
    approximate_above: int = 50_000,
    target_recall: float = 0.95,
    n_probe_queries: int = 200,
    seed: int = 0,
) -> tuple[VectorIndex, float | None]:
    """Exact index, or HNSW past ``approximate_above`` rows with its recall@10 vs exact measured.

    efSearch is doubled until recall@10 on a sample of the indexed vectors reaches
    ``target_recall`` (capped at 1024); the measured recall is returned for the manifest.
    """
    vecs = _as_vectors(vectors, dim)
    exact = ExactIndex(dim)
    exact.add(ids, vecs)
    if len(vecs) <= approximate_above:
        return exact, None
    approx = HNSWIndex(dim)
    approx.add(ids, vecs)
    rng = np.random.default_rng(seed)
    # Perturbed copies of indexed rows: realistic queries lie near the data but are not in it
    # (an indexed row as its own query would flatter the recall).
    picked = vecs[rng.choice(len(vecs), size=min(n_probe_queries, len(vecs)), replace=False)]
    noise = rng.normal(scale=0.5 / np.sqrt(dim), size=picked.shape).astype(np.float32)
    sample = picked + noise
    sample /= np.linalg.norm(sample, axis=1, keepdims=True)
    recall = recall_at_k(approx, exact, sample)
    while recall < target_recall and approx.ef_search < 1024:
        approx.ef_search *= 2
        recall = recall_at_k(approx, exact, sample)
    return approx, recall
