"""Pitch decks: PDF only, size-limited, stored outside the web root under a random name.

A deck is checked by its content, not its name: it must start with ``%PDF-`` (so a renamed
executable, ``MZ`` or ``\\x7fELF``, is refused) and fit ``PITCH_DECK_MAX_BYTES``. The file is
written to a temporary name and moved into place only when the database row is committed, so a
refused or failed upload leaves nothing behind.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import Invalid

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
# Signatures of executables and scripts that must never be accepted, even if renamed to .pdf.
EXECUTABLE_MAGICS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class StagedDeck:
    """A validated upload written to a temporary file, waiting for the commit."""

    temp_path: Path
    final_path: Path
    stored_name: str
    original_name: str
    size: int

    def publish(self) -> None:
        os.replace(self.temp_path, self.final_path)

    def discard(self) -> None:
        self.temp_path.unlink(missing_ok=True)


def deck_dir(upload_dir: str | os.PathLike[str]) -> Path:
    path = Path(upload_dir) / "pitch_decks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stage_deck(
    stream: BinaryIO, filename: str, *, upload_dir: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> StagedDeck:
    """Validate ``stream`` as a PDF within ``max_bytes`` and write it to a temporary file.

    Raises ``Invalid`` (field ``deck``) with a clear message; nothing stays on disk then.
    """
    head = stream.read(len(PDF_MAGIC))
    if any(head.startswith(magic) for magic in EXECUTABLE_MAGICS):
        raise Invalid(
            _l("This file is a program, not a PDF. Please upload your deck as a PDF."),
            field="deck",
        )
    if head != PDF_MAGIC:
        raise Invalid(_l("The pitch deck must be a PDF file."), field="deck")
    directory = deck_dir(upload_dir)
    stored_name = f"{secrets.token_hex(16)}.pdf"
    temp_path = directory / f".{stored_name}.part"
    size = len(head)
    try:
        with open(temp_path, "wb") as out:
            out.write(head)
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise Invalid(
                        _l(
                            "The pitch deck is too large (at most %(mb)s MB).",
                            mb=round(max_bytes / (1024 * 1024), 1),
                        ),
                        field="deck",
                    )
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    original = os.path.basename(filename or "deck.pdf")[:200]
    return StagedDeck(temp_path, directory / stored_name, stored_name, original, size)


def deck_path(upload_dir: str, stored_name: str) -> Path:
    """The file of a stored deck; the name comes from the database, never from the request."""
    return deck_dir(upload_dir) / os.path.basename(stored_name)


def remove_deck(upload_dir: str, stored_name: str) -> None:
    deck_path(upload_dir, stored_name).unlink(missing_ok=True)
