"""Reading an uploaded table (.xlsx or .csv) row by row, and keeping the upload between the
import's preview and its confirmation.

Reading stops as soon as a row limit is passed, so a huge file costs no more than its first
rows; cells arrive as stripped text, whole numbers without ".0".
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext
from matchmaker.services.errors import Invalid


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def iter_table(data: bytes, filename: str) -> Generator[list[str], None, None]:
    """Rows of cells (as text) of an .xlsx or .csv file, parsed one at a time as they are asked
    for; refuses anything else. A caller that stops early never parses the rest of the file (a
    400,000-row workbook took a worker 63 s to read whole before its row limit was checked).
    Close the iterator when stopping early, so the workbook is closed at once.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        yield from _xlsx_rows(data)
    elif name.endswith(".csv"):
        yield from _csv_rows(data)
    else:
        raise Invalid(_l("Upload an .xlsx or .csv file."), field="file")


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    unreadable = _l("This is not a readable Excel file.")
    try:
        # read_only streams the sheet's XML row by row instead of building every cell first.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise Invalid(unreadable, field="file") from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a sheet broken half-way is as unreadable as a bad zip
                raise Invalid(unreadable, field="file") from exc
            yield [_cell(v) for v in row]
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid(_l("The CSV file is not UTF-8 or GB18030 text."), field="file")
    try:
        for row in csv.reader(io.StringIO(text)):
            yield [c.strip() for c in row]
    except csv.Error as exc:
        raise Invalid(_l("The CSV file could not be read."), field="file") from exc


class TooManyRows(Exception):
    """The file passed a row limit; raised while reading, before the rest is parsed."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def non_blank_rows(rows: Iterator[list[str]], limit: int) -> Iterator[list[str]]:
    """The header and data rows, skipping blank ones; stops as soon as a limit is passed.

    ``limit`` data rows at most, and at most ``limit`` blank rows read on the way (a sheet
    formatted down to row 1,048,576 is a million blank rows to parse).
    """
    data_rows = blank_rows = 0
    header_seen = False
    for cells in rows:
        if not any(cells):
            blank_rows += 1
            if blank_rows > limit:
                raise TooManyRows(
                    lazy_ngettext(
                        "More than %(num)d empty row: delete them and upload the file again.",
                        "More than %(num)d empty rows: delete them and upload the file again.",
                        limit,
                    )
                )
            continue
        if header_seen:
            data_rows += 1
            if data_rows > limit:
                raise TooManyRows(
                    lazy_ngettext(
                        "At most %(num)d row per file.", "At most %(num)d rows per file.", limit
                    )
                )
        header_seen = True
        yield cells


_TOKEN = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


def store_upload(folder: str | Path, data: bytes, filename: str) -> str:
    """Keep an uploaded file for the confirmation step; returns its opaque token."""
    ext = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    token = f"{secrets.token_hex(16)}.{ext}"
    path = Path(folder) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    (path / token).write_bytes(data)
    return token


def load_upload(folder: str | Path, token: str) -> bytes:
    """The file kept under ``token``; a token that is not ours (a path) or whose file is gone
    reads as expired."""
    if not _TOKEN.match(token or ""):
        raise Invalid(_l("The uploaded file has expired; upload it again."), field="file")
    path = Path(folder) / "imports" / token
    if not path.exists():
        raise Invalid(_l("The uploaded file has expired; upload it again."), field="file")
    return path.read_bytes()


def discard_upload(folder: str | Path, token: str) -> None:
    """Delete the kept file once it is imported; a missing file or foreign token is ignored."""
    if _TOKEN.match(token or ""):
        (Path(folder) / "imports" / token).unlink(missing_ok=True)
