"""A writable layer over a read-only vector index: edits served before the next version is built.

A web process serves a published version whose FAISS files are memory-mapped read-only (``add``
and ``remove`` on them raise ``ReadOnlyIndex``). An edit published as a delta (``store.
write_delta``) reaches the serving processes minutes before a version with it is built at
100,000s of profiles. ``OverlayIndex`` leaves the mapped index as it is: it hides the ids a delta
replaced or removed, and keeps their new vectors in a small exact index of its own. A search asks
both and merges the two rankings. It meets the same contract as the other indexes
(``tests/unit/recommend/test_index_contract.py``).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from matchmaker.recommend.index import (
    ExactIndex,
    VectorIndex,
    _as_ids,
    _batch_to_add,
    _query_vectors,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray


def _best(
    scores: NDArray[np.float32], ids: NDArray[np.int64], k: int
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The ``k`` best of each row, best first; empty slots (-inf, -1) sort last."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    best_scores = np.take_along_axis(scores, order, axis=1)
    best_ids = np.take_along_axis(ids, order, axis=1)
    if best_scores.shape[1] < k:  # fewer slots than k in both parts together
        pad = k - best_scores.shape[1]
        best_scores = np.pad(best_scores, ((0, 0), (0, pad)), constant_values=-np.inf)
        best_ids = np.pad(best_ids, ((0, 0), (0, pad)), constant_values=-1)
    return best_scores.astype(np.float32), best_ids.astype(np.int64)


class OverlayIndex:
    """``base`` (never written) with some of its ids hidden and other vectors on top."""

    index_type: ClassVar[str] = "overlay"

    def __init__(self, base: VectorIndex) -> None:
        self.base = base
        self.dim = base.dim
        self.read_only = False
        self._hidden: set[int] = set()  # ids of ``base`` replaced or removed since
        self._extra = ExactIndex(base.dim)

    def __len__(self) -> int:
        return len(self.base) - len(self._hidden) + len(self._extra)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._extra or (item_id in self.base and item_id not in self._hidden)

    def add(self, ids: Any, vectors: Any) -> None:
        id_arr, vecs = _batch_to_add(self, ids, vectors)
        self._hide(id_arr)
        self._extra.add(id_arr, vecs)

    def remove(self, ids: Any) -> None:
        id_arr = _as_ids(ids)
        self._hide(id_arr)
        self._extra.remove(id_arr)

    def _hide(self, ids: NDArray[np.int64]) -> None:
        self._hidden.update(i for i in ids.tolist() if i in self.base)

    def search(
        self, queries: Any, k: int, allowed_ids: Collection[int] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        q = _query_vectors(queries, self.dim, k)
        if allowed_ids is not None:
            allowed = [i for i in allowed_ids if i not in self._hidden]
            base_scores, base_ids = self.base.search(q, k, allowed)
        else:
            # The hidden ids are few (the edits since the version): ask the base for that many
            # more and drop them, rather than pass a filter of every other id (100,000s).
            base_scores, base_ids = self.base.search(q, k + len(self._hidden))
            if self._hidden:
                hidden = np.isin(base_ids, np.fromiter(self._hidden, dtype=np.int64))
                base_scores = np.where(hidden, -np.inf, base_scores).astype(np.float32)
                base_ids = np.where(hidden, -1, base_ids)
        extra_scores, extra_ids = self._extra.search(q, k, allowed_ids)
        return _best(
            np.concatenate([base_scores, extra_scores], axis=1),
            np.concatenate([base_ids, extra_ids], axis=1),
            k,
        )

    def ids(self) -> NDArray[np.int64]:
        base = self.base.ids()
        if self._hidden:
            base = base[~np.isin(base, np.fromiter(self._hidden, dtype=np.int64))]
        return np.concatenate([base, self._extra.ids()]).astype(np.int64)

    def get_vectors(self, ids: Any) -> NDArray[np.float32]:
        id_list = _as_ids(ids).tolist()
        out = np.empty((len(id_list), self.dim), dtype=np.float32)
        mine = [row for row, i in enumerate(id_list) if i in self._extra]
        theirs = [row for row, i in enumerate(id_list) if i not in self._extra]
        for row in theirs:
            if id_list[row] in self._hidden:
                raise KeyError(id_list[row])
        if mine:
            out[mine] = self._extra.get_vectors([id_list[r] for r in mine])
        if theirs:
            out[theirs] = self.base.get_vectors([id_list[r] for r in theirs])
        return out

    def all_vectors(self) -> NDArray[np.float32]:
        return self.get_vectors(self.ids())

    def save(self, folder: Path) -> list[str]:
        """The merged vectors as an exact index (``load`` reads it back under an overlay).
        Builds never hold an overlay: they build a whole index and save that."""
        merged = ExactIndex(self.dim)
        ids = self.ids()
        if len(ids):
            merged.add(ids, self.get_vectors(ids))
        return merged.save(folder)

    @classmethod
    def load(cls, folder: Path, dim: int, *, mmap: bool = False) -> OverlayIndex:
        return cls(ExactIndex.load(folder, dim, mmap=mmap))
