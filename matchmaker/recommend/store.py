"""Persisted indexes: ``<root>/<kind>/`` written atomically, with a manifest, verified on load.

Write: everything goes into a staging folder next to the target, each file is fsynced, its sha256
recorded in ``manifest.json`` (written last), the folder fsynced; then the previous folder is
renamed aside, the staging folder renamed into place, the parent fsynced, and only then the
previous one deleted. A crash before the swap leaves the previous index untouched; a crash between
the two renames leaves it aside, and ``load_index`` puts it back.

Load: missing, corrupt (checksum, shape, unreadable) and stale (other model, template or dimension)
are different exceptions, all subclasses of ``IndexUnavailable``: the caller rebuilds on any.
No pickle anywhere: JSON, ``np.load(allow_pickle=False)`` and ``faiss.read_index``.

Published versions (what web processes serve): a job builds every kind into ``<root>/v<N>/`` (one
``<kind>/`` folder each, as above, including ``portfolio/`` and ``phrase/``, the vectors of every
profile's short phrases keyed by ``phrases.phrase_key``, plus ``version.json`` written last),
under a cross-process build lock (``flock``); then the folder is renamed into place and the small
``<root>/CURRENT`` file (the version number) is atomically replaced. A reader checks
``current_version`` (one small file read) and loads a version folder that never changes once
published. A build killed midway leaves only a staging folder (removed by the next build) and
``CURRENT`` untouched. Old versions are removed, keeping the newest ``keep`` (a process still
serving one has it memory-mapped: the files stay readable until it lets go).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommend.durable import fsync_dir, fsync_file, sha256
from matchmaker.recommend.hnsw import INDEX_TYPES, HNSWIndex
from matchmaker.recommend.index import VectorIndex

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
            fsync_file(staging / name)
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
            checksums={n: sha256(staging / n) for n in files},
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            params=params,
        )
        (staging / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
        fsync_file(staging / MANIFEST)
        fsync_dir(staging)
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
    fsync_dir(root)
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
            fsync_dir(root)
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
    mmap: bool = False,
) -> tuple[VectorIndex, IndexManifest, dict[int, str]]:
    """The persisted index of ``kind``, its manifest and its content hashes, verified.

    ``mmap``: map the FAISS file read-only instead of reading it (published versions).

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
        if sha256(path) != expected:
            raise IndexCorrupt(f"checksum mismatch for {path}")
    cls = INDEX_TYPES.get(manifest.index_type)
    if cls is None:
        raise IndexCorrupt(f"unknown index type {manifest.index_type!r}")
    try:
        index: VectorIndex
        if cls is HNSWIndex:
            index = HNSWIndex.load(
                folder, dim, mmap=mmap, ef_search=int(manifest.params.get("ef_search", 128))
            )
        else:
            index = cls.load(folder, dim, mmap=mmap)
        hash_ids = np.load(folder / HASH_IDS_FILE, allow_pickle=False)
        hashes = np.load(folder / HASHES_FILE, allow_pickle=False)
    except (RuntimeError, ValueError, OSError) as exc:  # faiss raises RuntimeError
        raise IndexCorrupt(f"cannot read {folder}: {exc}") from exc
    if len(index) != manifest.count or len(hash_ids) != len(hashes):
        raise IndexCorrupt(f"{folder}: counts do not match the manifest")
    return index, manifest, dict(zip(hash_ids.tolist(), hashes.tolist(), strict=True))


# -- published versions -------------------------------------------------------------------------

CURRENT = "CURRENT"
VERSION_MANIFEST = "version.json"
BUILD_LOCK = ".build.lock"
# What a version's ``version.json`` says of the deltas (below): the newest one whose edit the
# version's profiles already hold.
DELTAS_UPTO = "deltas_upto"
_VERSION_DIR = re.compile(r"^v(\d+)$")


def version_dir(root: Path | str, version: int) -> Path:
    return Path(root) / f"v{version}"


def current_version(root: Path | str) -> int | None:
    """The published version number, or None when nothing was published (or the pointer is
    unreadable). One small file read: cheap enough to ask every second."""
    try:
        text = (Path(root) / CURRENT).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def published_versions(root: Path | str) -> list[int]:
    """Version folders present under ``root``, newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [int(m.group(1)) for p in root.iterdir() if (m := _VERSION_DIR.match(p.name))]
    return sorted(found, reverse=True)


def read_version_manifest(root: Path | str, version: int) -> dict[str, Any]:
    path = version_dir(root, version) / VERSION_MANIFEST
    if not path.is_file():
        raise IndexMissing(f"version {version} is not complete under {root}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise IndexCorrupt(f"unreadable {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != version:
        raise IndexCorrupt(f"{path} does not describe version {version}")
    return data


class BuildInProgress(Exception):  # noqa: N818 - reads as "a build is in progress"
    """Another process holds the build lock (``build_lock(..., wait=False)``)."""


@contextlib.contextmanager
def _file_lock(root: Path | str, name: str, *, wait: bool = True) -> Iterator[None]:
    """Exclusive across processes on this machine (``flock``; released if the holder dies).
    ``wait=False``: ``BuildInProgress`` at once when another holds it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with (root / name).open("a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise BuildInProgress(f"{root / name} is held by another process") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def build_lock(root: Path | str, *, wait: bool = True) -> contextlib.AbstractContextManager[None]:
    """One version builder at a time (``_file_lock``)."""
    return _file_lock(root, BUILD_LOCK, wait=wait)


def publish_version(
    root: Path | str, fill: Callable[[Path], Mapping[str, Any]], *, keep: int = 2
) -> int:
    """Build a new version with ``fill(staging_folder)`` (it writes the kind folders and returns
    what ``version.json`` should say besides the version), publish it and return its number.

    Hold ``build_lock`` around the call: numbering and the pointer assume one builder at a time.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(root)
    version = max([current_version(root) or 0, *published_versions(root)], default=0) + 1
    staging = root / f".v{version}.staging-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        extra = dict(fill(staging))
        manifest = {
            **extra,
            "version": version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "format_version": FORMAT_VERSION,
        }
        (staging / VERSION_MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        fsync_file(staging / VERSION_MANIFEST)
        fsync_dir(staging)
        os.replace(staging, version_dir(root, version))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(root)
    _write_pointer(root, version)
    remove_old_versions(root, keep=keep)
    return version


def _write_pointer(root: Path, version: int) -> None:
    tmp = root / f".{CURRENT}.{uuid.uuid4().hex[:12]}"
    with tmp.open("w", encoding="ascii") as fh:
        fh.write(f"{version}\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / CURRENT)  # readers see the old number or the new one, never half
    fsync_dir(root)


def _remove_leftovers(root: Path) -> None:
    """Staging folders and pointer temp files of builds that died (we hold the build lock, so
    none of them is in progress)."""
    for path in root.glob(".v*.staging-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(f".{CURRENT}.*"):
        path.unlink(missing_ok=True)


def remove_old_versions(root: Path | str, *, keep: int = 2) -> list[int]:
    """Delete version folders older than the newest ``keep`` (the current one always stays)."""
    root = Path(root)
    current = current_version(root)
    versions = published_versions(root)
    kept = set(versions[: max(1, keep)])
    if current is not None:
        kept.add(current)
    removed = [v for v in versions if v not in kept]
    for v in removed:
        shutil.rmtree(version_dir(root, v), ignore_errors=True)
    return removed


def verify_version(root: Path | str, version: int) -> dict[str, Any]:
    """The manifest of version ``version`` if every file it lists matches its checksum (the
    version's own files, by their path in the version folder, and each kind's: a folder the
    version's checksums do not cover is a kind index with its own manifest);
    ``IndexCorrupt`` / ``IndexMissing`` otherwise."""
    manifest = read_version_manifest(root, version)
    folder = version_dir(root, version)
    checksums: dict[str, str] = dict(manifest.get("checksums", {}))
    expected = {folder / name: digest for name, digest in checksums.items()}
    covered = {Path(name).parts[0] for name in checksums if len(Path(name).parts) > 1}
    for kind_folder in sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in covered):
        kind_manifest = read_manifest(folder, kind_folder.name)
        for name, digest in kind_manifest.checksums.items():
            expected[kind_folder / name] = digest
    for path, digest in expected.items():
        if not path.is_file():
            raise IndexCorrupt(f"{path} is missing")
        if sha256(path) != digest:
            raise IndexCorrupt(f"checksum mismatch for {path}")
    return manifest


# -- deltas: single edits published between versions ---------------------------------------------
#
# A version is rebuilt from the whole database: at 100,000s of profiles per kind that takes
# minutes. An edit is published at once as a delta (one profile's new state and its vectors) in
# ``<root>/deltas/<N>.json``, numbered in the order written (``<root>/deltas/SEQUENCE`` holds the
# newest number; both replaced atomically, under ``delta_lock``). A reader applies the deltas
# newer than its version's ``DELTAS_UPTO`` in order, on top of it; the next version holds their
# edits, and old deltas are removed once no kept version needs them.

DELTAS_DIR = "deltas"
DELTA_SEQUENCE = "SEQUENCE"
DELTA_LOCK = ".delta.lock"
_DELTA_FILE = re.compile(r"^(\d+)\.json$")


def delta_lock(root: Path | str) -> contextlib.AbstractContextManager[None]:
    """Held while a delta's profile is read and the delta written, so that deltas are numbered in
    the order of the states they hold; and by a build while it reads the newest number."""
    return _file_lock(root, DELTA_LOCK)


def last_delta(root: Path | str) -> int:
    """The number of the newest delta written under ``root`` (0: none). One small file read."""
    try:
        text = (Path(root) / DELTAS_DIR / DELTA_SEQUENCE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return 0
    return int(text) if text.isdigit() else 0


def write_delta(root: Path | str, payload: bytes) -> int:
    """Publish ``payload`` as the next delta and return its number. Hold ``delta_lock`` from
    before reading what it holds until this returns."""
    root = Path(root)
    folder = root / DELTAS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    current = current_version(root)
    floor = 0
    if current is not None:  # numbers never go back, even if the folder was emptied
        with contextlib.suppress(IndexUnavailable):
            floor = int(read_version_manifest(root, current).get(DELTAS_UPTO, 0))
    number = max(last_delta(root), floor) + 1
    _write_atomically(folder / f"{number}.json", payload)
    _write_atomically(folder / DELTA_SEQUENCE, f"{number}\n".encode("ascii"))
    fsync_dir(folder)
    return number


def _write_atomically(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}")
    with tmp.open("wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def deltas_after(root: Path | str, number: int) -> list[tuple[int, bytes]]:
    """The deltas numbered above ``number``, oldest first, as (number, payload)."""
    folder = Path(root) / DELTAS_DIR
    if not folder.is_dir():
        return []
    found = sorted(
        n
        for p in folder.iterdir()
        if (m := _DELTA_FILE.match(p.name)) and (n := int(m.group(1))) > number
    )
    out = []
    for n in found:
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile: a newer version holds it
            out.append((n, (folder / f"{n}.json").read_bytes()))
    return out


def remove_old_deltas(root: Path | str) -> int:
    """Delete the deltas every kept version already holds; returns how many."""
    root = Path(root)
    folder = root / DELTAS_DIR
    if not folder.is_dir():
        return 0
    held = []
    for version in published_versions(root):
        try:
            held.append(int(read_version_manifest(root, version).get(DELTAS_UPTO, 0)))
        except IndexUnavailable:
            return 0  # a version being removed or damaged: keep everything this time
    upto = min(held, default=0)
    removed = 0
    for path in folder.iterdir():
        m = _DELTA_FILE.match(path.name)
        if m and int(m.group(1)) <= upto:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
