"""Durable file writes for the persisted indexes (``store``): checksums and fsync.

A rename is only durable once the folder holding it is fsynced, and a file's bytes once the file
is; ``store`` calls these around every staging folder it publishes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path


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
