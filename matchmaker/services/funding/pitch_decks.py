"""Pitch decks: PDF only, size-limited, stored outside the web root under a random name.

A deck is checked by its content, not its name (``check_pdf_structure``): a renamed executable
(``MZ``, ``\\x7fELF``) is refused, and so is anything that only starts like a PDF: the header
must be a real version line (``%PDF-1.7``), the file must end with a ``startxref`` offset and
``%%EOF``, and that offset must point at a cross-reference table or stream. ``%PDF-<html>...``
(a PDF/HTML polyglot) fails all three. The file must fit ``PITCH_DECK_MAX_BYTES``. It is written
to a temporary name and moved into place only when the database row is committed, so a refused
or failed upload leaves nothing behind.

No PDF library parses the upload: the check reads a few kilobytes at fixed places, so a hostile
file cannot make a web worker loop or swell in memory, and the download is served as an
attachment with ``nosniff`` anyway (a polyglot that passed could not run on our origin).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from matchmaker.filenames import safe_file_name
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import Invalid

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
# Signatures of executables and scripts that must never be accepted, even if renamed to .pdf.
EXECUTABLE_MAGICS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_CHUNK = 64 * 1024
# ISO 32000: "%PDF-1.0" to "%PDF-2.0" followed by an end of line.
_HEADER = re.compile(rb"\A%PDF-[12]\.[0-9][\r\n]")
# Readers look for the trailer in the last 1024 bytes; a little more tolerates trailing junk.
_TAIL_BYTES = 2048
_STARTXREF = re.compile(rb"startxref\s+([0-9]{1,12})\s+%%EOF")
# What ``startxref`` may point at: a classic table (``xref`` then "first count") or an xref
# stream object ("12 0 obj << /Type /XRef ...").
_XREF_TABLE = re.compile(rb"\Axref\s+[0-9]+\s+[0-9]+\s")
_XREF_STREAM = re.compile(rb"\A[0-9]+\s+[0-9]+\s+obj\s*<<.{0,1024}?/Type\s*/XRef", re.DOTALL)
# Markup that makes a browser sniff a file as HTML when it looks at its first bytes.
_HTML_SIGNS = (b"<html", b"<script", b"<!doctype", b"<body", b"<iframe", b"<svg", b"<head")


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
    """The decks' folder under ``upload_dir`` (created if missing), outside the web root."""
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
        with open(temp_path, "rb") as written:
            check_pdf_structure(written, size)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    # Shown on the ask page and used as the download name: no bidi override may disguise it.
    original = safe_file_name(os.path.basename(filename or ""), "deck.pdf")[:200]
    return StagedDeck(temp_path, directory / stored_name, stored_name, original, size)


def check_pdf_structure(file: BinaryIO, size: int) -> None:
    """Raise ``Invalid`` unless ``file`` (``size`` bytes, seekable) is built like a PDF.

    Checks the version line, the absence of HTML in the first kilobyte, the ``startxref`` /
    ``%%EOF`` trailer in the last ``_TAIL_BYTES`` and where that offset points. Incrementally
    updated and linearised files pass (the last ``startxref`` names the newest section).
    """
    not_a_pdf = Invalid(
        _l("This file is not a complete PDF document. Please export your deck as a PDF again."),
        field="deck",
    )
    file.seek(0)
    first = file.read(1024)
    if not _HEADER.match(first) or any(sign in first.lower() for sign in _HTML_SIGNS):
        raise not_a_pdf
    file.seek(max(0, size - _TAIL_BYTES))
    trailers = list(_STARTXREF.finditer(file.read(_TAIL_BYTES)))
    if not trailers:
        raise not_a_pdf
    offset = int(trailers[-1].group(1))
    if not 0 < offset < size:
        raise not_a_pdf
    file.seek(offset)
    section = file.read(1100)
    if not (_XREF_TABLE.match(section) or _XREF_STREAM.match(section)):
        raise not_a_pdf


def deck_path(upload_dir: str, stored_name: str) -> Path:
    """The file of a stored deck; the name comes from the database, never from the request."""
    return deck_dir(upload_dir) / os.path.basename(stored_name)


def remove_deck(upload_dir: str, stored_name: str) -> None:
    """Delete a published deck file (after the commit that replaced it); gone already is fine."""
    deck_path(upload_dir, stored_name).unlink(missing_ok=True)
