"""Durable file writes for the persisted indexes (``store``): checksums and fsync; and the small
versioned JSON files of rankers and calibrations, written atomically and read back checked.

A rename is only durable once the folder holding it is fsynced, and a file's bytes once the file
is; ``store`` calls these around every staging folder it publishes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    # Directory fsync makes renames durable; unsupported on some platforms, hence best effort.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json_atomically(path: Path | str, data: Any, *, sort_keys: bool = False) -> None:
    """Write ``data`` as JSON through a temporary file, fsync and rename, so that a reader (a
    web process loading a ranker) never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=sort_keys)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_versioned_json(
    path: Path | str, format_version: int, what: str, invalid: type[Exception]
) -> dict[str, Any]:
    """The JSON object in ``path`` if it is a ``what`` of ``format_version``; else ``invalid``
    (the caller's own error, so its callers keep catching what they caught)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise invalid(f"cannot read {what} {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format_version") != format_version:
        raise invalid(f"{path}: not a {what} of format {format_version}")
    return data
