"""Download file names: nothing that disguises a name, breaks a header or names a folder."""

from __future__ import annotations

import pytest
from werkzeug.http import parse_options_header

from matchmaker.filenames import (
    MAX_NAME_LENGTH,
    attachment_headers,
    content_disposition,
    safe_file_name,
)

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("deck\u202efdp.exe", "deckfdp.exe"),
        (f"a{BIDI}b.pdf", "ab.pdf"),
        ("report\r\nSet-Cookie: x=1.csv", "reportSet-Cookie_ x=1.csv"),
        ("nul\x00and\x1bescape\x7f.csv", "nulandescape.csv"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("..\\..\\boot.ini", "_.._boot.ini"),
        ('quote"semi;colon.csv', "quote_semi;colon.csv"),
        (".hidden", "hidden"),
        ("two\u2028lines.csv", "two lines.csv"),
        ("创业计划书 2025.pdf", "创业计划书 2025.pdf"),
        ("", "fallback.pdf"),
        (None, "fallback.pdf"),
        (BIDI, "fallback.pdf"),
        ("...", "fallback.pdf"),
    ],
)
def test_safe_file_name(raw: str | None, clean: str) -> None:
    assert safe_file_name(raw, "fallback.pdf") == clean


def test_long_name_keeps_its_extension() -> None:
    name = safe_file_name("x" * 1000 + ".xlsx", "f")
    assert len(name) <= MAX_NAME_LENGTH and name.endswith(".xlsx")


@pytest.mark.parametrize("raw", ["deck\u202efdp.exe", "报告\u202e.csv", "a/b\\c\n.ics", "x" * 500])
def test_content_disposition_is_a_clean_attachment(raw: str) -> None:
    value = content_disposition(raw)
    kind, options = parse_options_header(value)
    assert kind == "attachment"
    name = options["filename"]
    assert not any(ch in value for ch in BIDI + "\r\n\x00/\\")
    assert name and len(name) <= MAX_NAME_LENGTH


def test_non_ascii_name_travels_in_filename_star() -> None:
    kind, options = parse_options_header(content_disposition("评估报告 2025.xlsx"))
    assert options["filename"] == "评估报告 2025.xlsx"  # werkzeug decodes filename*
    assert "filename*=UTF-8''" in content_disposition("评估报告 2025.xlsx")


def test_attachment_headers_forbid_sniffing() -> None:
    headers = attachment_headers("pipeline-3.csv")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"] == "attachment; filename=pipeline-3.csv"
