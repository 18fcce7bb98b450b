"""Vector indexes over unit-length vectors keyed by int64 ids: the protocol and the exact one.

Inner product on normalised vectors is cosine. ``ExactIndex`` is the reference; ``hnsw.HNSWIndex``
is used past a size threshold and only with its recall@10 against exact measured (``build_index``).
Persistence of one index as files is here (``save``/``load``); making it atomic and verified is
``store.py``'s job. ``load(..., mmap=True)`` maps the vectors of the FAISS file instead of reading
them (``IO_FLAG_MMAP_IFC``): every web process of a machine then shares one copy in the page
cache. A mapped index is read-only: ``add``/``remove`` raise ``ReadOnlyIndex`` (FAISS itself would
abort the process).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

INDEX_FILE = "index.faiss"
IDS_FILE = "ids.npy"
VECTORS_FILE = "vectors.npy"


def _faiss() -> Any:
    import faiss

    return faiss


class ReadOnlyIndex(RuntimeError):
    """A memory-mapped (published) index cannot change; build a new version instead."""


def _read_faiss(path: Path, mmap: bool) -> Any:
    faiss = _faiss()
    if mmap:
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    return faiss.read_index(str(path))


def _writable(index: Any) -> None:
    if getattr(index, "read_only", False):
        raise ReadOnlyIndex(f"{type(index).__name__} is memory-mapped and read-only")


def _as_ids(ids: Any) -> NDArray[np.int64]:
    arr = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))
    if (arr < 0).any():
        raise ValueError("ids must be non-negative (-1 means 'no result')")
    return arr


def _as_vectors(vectors: Any, dim: int) -> NDArray[np.float32]:
    arr = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"expected vectors of dimension {dim}, got shape {arr.shape}")
    return arr


def _batch_to_add(
    index: Any, ids: Any, vectors: Any
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The ids and vectors of one ``add``, checked against ``index``: writable, one vector of its
    dimension per id, no id twice (an upsert of the same id twice would be ambiguous)."""
    _writable(index)
    id_arr, vecs = _as_ids(ids), _as_vectors(vectors, index.dim)
    if len(id_arr) != len(vecs):
        raise ValueError("ids and vectors differ in length")
    if len(set(id_arr.tolist())) != len(id_arr):
        raise ValueError("duplicate ids in one add")
    return id_arr, vecs


def _query_vectors(queries: Any, dim: int, k: int) -> NDArray[np.float32]:
    """``queries`` as a (n, dim) array for a top-``k`` search; k must be positive."""
    q = _as_vectors(queries, dim)
    if k <= 0:
        raise ValueError("k must be positive")
    return q


def _save_files(
    folder: Path, faiss_index: Any, ids: NDArray[np.int64], vectors: NDArray[np.float32]
) -> list[str]:
    """Write one index as its three files (FAISS index, ids, vectors); returns their names."""
    _faiss().write_index(faiss_index, str(folder / INDEX_FILE))
    np.save(folder / IDS_FILE, ids, allow_pickle=False)
    np.save(folder / VECTORS_FILE, vectors, allow_pickle=False)
    return [INDEX_FILE, IDS_FILE, VECTORS_FILE]


def _empty(nq: int, k: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    return np.full((nq, k), -np.inf, dtype=np.float32), np.full((nq, k), -1, dtype=np.int64)


def _exact_topk(
    queries: NDArray[np.float32], vectors: NDArray[np.float32], ids: NDArray[np.int64], k: int
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    scores, out_ids = _empty(len(queries), k)
    if len(ids) == 0:
        return scores, out_ids
    sims = queries @ vectors.T
    take = min(k, len(ids))
    part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
    for row in range(len(queries)):
        order = part[row][np.argsort(-sims[row, part[row]], kind="stable")]
        scores[row, :take] = sims[row, order]
        out_ids[row, :take] = ids[order]
    return scores, out_ids


@runtime_checkable
class VectorIndex(Protocol):
    """The contract every index meets (tests/unit/recommend/test_index_contract.py)."""

    index_type: ClassVar[str]
    dim: int

    def __len__(self) -> int: ...

    def __contains__(self, item_id: object) -> bool: ...

    def add(self, ids: Any, vectors: Any) -> None:
        """Add vectors; an id already present is replaced (upsert)."""
        ...

    def remove(self, ids: Any) -> None:
        """Remove ids; unknown ids are ignored."""
        ...

    def search(
        self, queries: Any, k: int, allowed_ids: Collection[int] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """(scores, ids), each (n_queries, k), best first; missing slots are (-inf, -1)."""
        ...

    def ids(self) -> NDArray[np.int64]: ...

    def get_vectors(self, ids: Any) -> NDArray[np.float32]:
        """Stored vectors of ``ids`` (KeyError for an unknown id)."""
        ...

    def save(self, folder: Path) -> list[str]:
        """Write the index files into ``folder``; returns the file names written."""
        ...

    @classmethod
    def load(cls, folder: Path, dim: int) -> VectorIndex: ...


class ExactIndex:
    """Brute-force inner product: faiss ``IndexIDMap2(IndexFlatIP)``."""

    index_type: ClassVar[str] = "exact"

    def __init__(self, dim: int) -> None:
        faiss = _faiss()
        self.dim = dim
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._present: set[int] = set()
        self.read_only = False

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._present

    def add(self, ids: Any, vectors: Any) -> None:
        id_arr, vecs = _batch_to_add(self, ids, vectors)
        self.remove([i for i in id_arr.tolist() if i in self._present])
        self._index.add_with_ids(vecs, id_arr)
        self._present.update(id_arr.tolist())

    def remove(self, ids: Any) -> None:
        id_arr = _as_ids(ids)
        if len(id_arr):
            _writable(self)
        id_arr = id_arr[[i in self._present for i in id_arr.tolist()]] if len(id_arr) else id_arr
        if len(id_arr) == 0:
            return
        self._index.remove_ids(_faiss().IDSelectorBatch(id_arr))
        self._present.difference_update(id_arr.tolist())

    def search(
        self, queries: Any, k: int, allowed_ids: Collection[int] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        faiss = _faiss()
        q = _query_vectors(queries, self.dim, k)
        if len(self) == 0 or (allowed_ids is not None and len(allowed_ids) == 0):
            return _empty(len(q), k)
        params = None
        if allowed_ids is not None:
            # IndexIDMap2 translates the selector from external ids to its own positions.
            selector = faiss.IDSelectorBatch(_as_ids(list(allowed_ids)))
            params = faiss.SearchParameters(sel=selector)
        scores, found = self._index.search(q, k, params=params)
        scores = scores.astype(np.float32)
        scores[found < 0] = -np.inf
        return scores, found.astype(np.int64)

    def ids(self) -> NDArray[np.int64]:
        ids: NDArray[np.int64] = _faiss().vector_to_array(self._index.id_map).astype(np.int64)
        return ids

    def get_vectors(self, ids: Any) -> NDArray[np.float32]:
        id_arr = _as_ids(ids)
        for item_id in id_arr.tolist():
            if item_id not in self._present:
                raise KeyError(item_id)
        if len(id_arr) == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        # One call into faiss for the batch: a Python loop of ``reconstruct`` costs ~2 us a
        # vector, which a search page paid for every candidate and phrase it scored.
        return np.asarray(self._index.reconstruct_batch(id_arr), dtype=np.float32)

    def all_vectors(self) -> NDArray[np.float32]:
        n = len(self)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._index.index.reconstruct_n(0, n), dtype=np.float32)

    def save(self, folder: Path) -> list[str]:
        return _save_files(Path(folder), self._index, self.ids(), self.all_vectors())

    @classmethod
    def load(cls, folder: Path, dim: int, *, mmap: bool = False) -> ExactIndex:
        faiss = _faiss()
        raw = _read_faiss(Path(folder) / INDEX_FILE, mmap)
        if raw.d != dim:
            raise ValueError(f"index dimension {raw.d} != expected {dim}")
        self = cls(dim)
        if not isinstance(raw, faiss.IndexIDMap2):
            raise ValueError(f"expected IndexIDMap2, found {type(raw).__name__}")
        self._index = raw
        ids = np.load(Path(folder) / IDS_FILE, allow_pickle=False)
        self._present = set(ids.astype(np.int64).tolist())
        if len(self._present) != self._index.ntotal:
            raise ValueError("ids file does not match the index")
        self.read_only = mmap
        return self
