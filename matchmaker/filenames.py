"""File names we hand to browsers: one cleaning rule for every download and stored upload name.

A name can come from a user (a pitch deck's original name) or be built from data (an export's
kind or date). Either way it must not be able to disguise itself or escape: a right-to-left
override turns ``deck\u202efdp.exe`` into ``deckexe.pdf`` on screen, a control character or quote
breaks the header, and a slash names a folder. Plain module (no Flask): services clean a name
before storing it, views before sending it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from werkzeug.http import dump_options_header

MAX_NAME_LENGTH = 150
# Path separators and the characters Windows refuses in a file name.
_UNSAFE = re.compile(r'[/\\:*?"<>|]')
# Cc: controls (NUL, newline, DEL...); Cf: invisible format characters, among them every bidi
# control (U+200E/F, U+202A-E, U+2066-9, U+061C) and zero-width spaces; Zl/Zp: line breaks.
_INVISIBLE = frozenset(("Cc", "Cf", "Zl", "Zp"))


def safe_file_name(name: str | None, fallback: str) -> str:
    """``name`` without bidi controls, control characters or path separators, trimmed and at
    most ``MAX_NAME_LENGTH`` characters (keeping its extension); ``fallback`` if nothing is left.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(" " if unicodedata.category(ch) in ("Zl", "Zp") else ch for ch in text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    text = _UNSAFE.sub("_", text)
    text = " ".join(text.split()).strip(". ")  # no hidden ".name", no trailing dot or space
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            text = text[:MAX_NAME_LENGTH].rstrip(". ")
    return text or fallback


def content_disposition(name: str | None, fallback: str = "download") -> str:
    """An ``attachment`` Content-Disposition value for ``name`` (cleaned first).

    Non-ASCII names travel in ``filename*`` (RFC 6266 / 5987) with an ASCII ``filename`` for old
    clients, as Werkzeug's ``send_file`` does.
    """
    clean = safe_file_name(name, fallback)
    ascii_name = unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode("ascii")
    ascii_name = safe_file_name(ascii_name, fallback)
    options = {"filename": ascii_name}
    if ascii_name != clean:
        options["filename*"] = "UTF-8''" + quote(clean, safe="!#$&+-.^_`|~")
    return dump_options_header("attachment", options)


def attachment_headers(name: str | None, fallback: str = "download") -> dict[str, str]:
    """Headers for a ``Response`` that the browser must save, never open or sniff."""
    return {
        "Content-Disposition": content_disposition(name, fallback),
        "X-Content-Type-Options": "nosniff",
    }
