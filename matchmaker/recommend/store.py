"""Persisted indexes: ``<root>/<kind>/`` written atomically, with a manifest, verified on load.

Write: everything goes into a staging folder next to the target, each file is fsynced, its sha256
recorded in ``manifest.json`` (written last), the folder fsynced; then the previous folder is
renamed aside, the staging folder renamed into place, the parent fsynced, and only then the
previous one deleted. A crash before the swap leaves the previous index untouched; a crash between
the two renames leaves it aside, and ``load_index`` puts it back.

Load: missing, corrupt (checksum, shape, unreadable) and stale (other model, template or dimension)
are different exceptions, all subclasses of ``IndexUnavailable``: the caller rebuilds on any.
No pickle anywhere: JSON, ``np.load(allow_pickle=False)`` and ``faiss.read_index``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommend.index import INDEX_TYPES, HNSWIndex, VectorIndex

if TYPE_CHECKING:
    from collections.abc import Mapping

MANIFEST = "manifest.json"
HASH_IDS_FILE = "hash_ids.npy"
HASHES_FILE = "hashes.npy"
FORMAT_VERSION = 1


class IndexUnavailable(Exception):  # noqa: N818 - the subclasses carry the "why"
    """The persisted index cannot be used; rebuild it from the database."""


class IndexMissing(IndexUnavailable):
    pass


class IndexCorrupt(IndexUnavailable):
    pass


class IndexStale(IndexUnavailable):
    pass


@dataclass(frozen=True)
class IndexManifest:
    kind: str
    model_id: str
    template_version: str
    dim: int
    count: int
    data_watermark: str
    index_type: str
    recall_at_10: float | None
    checksums: dict[str, str]
    created_at: str
    params: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    # Directory fsync makes renames durable; unsupported on some platforms, hence best effort.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_index(
    root: Path | str,
    kind: str,
    index: VectorIndex,
    *,
    model_id: str,
    template_version: str,
    data_watermark: str,
    recall_at_10: float | None = None,
    content_hashes: Mapping[int, str] | None = None,
) -> IndexManifest:
    """Atomically replace ``<root>/<kind>/`` with ``index`` and its manifest.

    ``content_hashes`` (id -> ``texts.content_hash``) is stored so the next sync re-embeds only
    profiles whose text changed.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    staging = root / f".{kind}.staging-{token}"
    staging.mkdir()
    try:
        files = list(index.save(staging))
        hashes = dict(content_hashes or {})
        np.save(staging / HASH_IDS_FILE, np.array(list(hashes), dtype=np.int64), allow_pickle=False)
        np.save(
            staging / HASHES_FILE, np.array(list(hashes.values()), dtype="<U64"), allow_pickle=False
        )
        files += [HASH_IDS_FILE, HASHES_FILE]
        for name in files:
            _fsync_file(staging / name)
        params = {"ef_search": index.ef_search} if isinstance(index, HNSWIndex) else {}
        manifest = IndexManifest(
            kind=kind,
            model_id=model_id,
            template_version=template_version,
            dim=index.dim,
            count=len(index),
            data_watermark=data_watermark,
            index_type=index.index_type,
            recall_at_10=recall_at_10,
            checksums={n: _sha256(staging / n) for n in files},
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            params=params,
        )
        (staging / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
        _fsync_file(staging / MANIFEST)
        _fsync_dir(staging)
        _swap(root, kind, staging, token)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _swap(root: Path, kind: str, staging: Path, token: str) -> None:
    target = root / kind
    aside = root / f".{kind}.old-{token}"
    had_previous = target.exists()
    if had_previous:
        os.replace(target, aside)
    try:
        os.replace(staging, target)
    except BaseException:
        if had_previous:
            os.replace(aside, target)
        raise
    _fsync_dir(root)
    if had_previous:
        shutil.rmtree(aside, ignore_errors=True)


def _recover(root: Path, kind: str) -> None:
    """Put back a previous index left aside by a crash between the two renames of ``_swap``."""
    target = root / kind
    if target.exists():
        return
    aside = sorted(root.glob(f".{kind}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for candidate in aside:
        if (candidate / MANIFEST).is_file():
            os.replace(candidate, target)
            _fsync_dir(root)
            return


def read_manifest(root: Path | str, kind: str) -> IndexManifest:
    root = Path(root)
    if root.is_dir():
        _recover(root, kind)
    path = root / kind / MANIFEST
    if not path.is_file():
        raise IndexMissing(f"no index for {kind!r} under {root}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return IndexManifest(**data)
    except (ValueError, TypeError) as exc:
        raise IndexCorrupt(f"unreadable manifest {path}: {exc}") from exc


def load_index(
    root: Path | str,
    kind: str,
    *,
    model_id: str,
    template_version: str,
    dim: int,
) -> tuple[VectorIndex, IndexManifest, dict[int, str]]:
    """The persisted index of ``kind``, its manifest and its content hashes, verified.

    Raises ``IndexMissing``, ``IndexStale`` (model, template or dimension changed) or
    ``IndexCorrupt`` (checksum mismatch, unreadable or inconsistent files).
    """
    manifest = read_manifest(root, kind)
    folder = Path(root) / kind
    if manifest.format_version != FORMAT_VERSION:
        raise IndexStale(f"format {manifest.format_version} != {FORMAT_VERSION}")
    if (manifest.model_id, manifest.template_version, manifest.dim) != (
        model_id,
        template_version,
        dim,
    ):
        raise IndexStale(
            f"{kind} index built with {manifest.model_id}/{manifest.template_version}/"
            f"{manifest.dim}, expected {model_id}/{template_version}/{dim}"
        )
    for name, expected in manifest.checksums.items():
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"{path} is missing")
        if _sha256(path) != expected:
            raise IndexCorrupt(f"checksum mismatch for {path}")
    cls = INDEX_TYPES.get(manifest.index_type)
    if cls is None:
        raise IndexCorrupt(f"unknown index type {manifest.index_type!r}")
    try:
        index: VectorIndex
        if cls is HNSWIndex:
            index = HNSWIndex.load(
                folder, dim, ef_search=int(manifest.params.get("ef_search", 128))
            )
        else:
            index = cls.load(folder, dim)
        hash_ids = np.load(folder / HASH_IDS_FILE, allow_pickle=False)
        hashes = np.load(folder / HASHES_FILE, allow_pickle=False)
    except (RuntimeError, ValueError, OSError) as exc:  # faiss raises RuntimeError
        raise IndexCorrupt(f"cannot read {folder}: {exc}") from exc
    if len(index) != manifest.count or len(hash_ids) != len(hashes):
        raise IndexCorrupt(f"{folder}: counts do not match the manifest")
    return index, manifest, dict(zip(hash_ids.tolist(), hashes.tolist(), strict=True))
