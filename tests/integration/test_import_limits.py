"""Bulk import stops reading a file as soon as it passes the row limit (counted in rows read)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy.orm import Session

from matchmaker.services.errors import Invalid
from matchmaker.services.operator.imports import bulk_import, import_files

HEADER = ["name", "kind", "location"]
LIMIT = 20  # the tests lower MAX_ROWS so that "far past the limit" stays a small file


def _row(n: int) -> list[str]:
    return [f"Lab {n}", "university_lab", "Chongqing"]


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(bulk_import, "MAX_ROWS", LIMIT)
    return LIMIT


@pytest.fixture
def cells_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many spreadsheet cells were converted to text: the reader's work, counted."""
    seen = [0]
    original: Callable[[Any], str] = import_files._cell

    def counting(value: Any) -> str:
        seen[0] += 1
        return original(value)

    monkeypatch.setattr(import_files, "_cell", counting)
    return seen


@pytest.fixture
def csv_rows_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows the CSV parser produced."""
    seen = [0]
    original = csv.reader

    def counting(*args: Any, **kwargs: Any) -> Iterator[list[str]]:
        for row in original(*args, **kwargs):
            seen[0] += 1
            yield row

    monkeypatch.setattr(import_files.csv, "reader", counting)
    return seen


def _preview(app: Flask, session: Session, data: bytes, name: str) -> bulk_import.ImportPreview:
    with app.test_request_context(), force_locale("en"):
        result = bulk_import.preview(session, "facility", data, name)
        result.file_errors = [str(e) for e in result.file_errors]
    return result


def test_workbook_far_past_the_limit_stops_reading_there(
    app: Flask, db_session: Session, limit: int, cells_read: list[int]
) -> None:
    data = _xlsx([HEADER] + [_row(n) for n in range(limit * 50)])
    result = _preview(app, db_session, data, "labs.xlsx")
    assert result.file_errors == [f"At most {limit} rows per file."] and not result.valid
    assert result.rows == []  # no row was validated (no database look-ups either)
    # The header and limit + 1 data rows were read, not the 1,000 rows of the file.
    assert cells_read[0] <= (limit + 2) * len(HEADER)


def test_csv_far_past_the_limit_stops_reading_there(
    app: Flask, db_session: Session, limit: int, csv_rows_read: list[int]
) -> None:
    data = _csv([HEADER] + [_row(n) for n in range(limit * 50)])
    result = _preview(app, db_session, data, "labs.csv")
    assert result.file_errors == [f"At most {limit} rows per file."]
    assert csv_rows_read[0] <= limit + 2


def test_exactly_the_limit_is_accepted(app: Flask, db_session: Session, limit: int) -> None:
    for data, name in (
        (_xlsx([HEADER] + [_row(n) for n in range(limit)]), "labs.xlsx"),
        (_csv([HEADER] + [_row(n) for n in range(limit)]), "labs.csv"),
    ):
        result = _preview(app, db_session, data, name)
        assert result.valid and len(result.rows) == limit, result.file_errors


def test_one_row_over_the_limit_is_refused(app: Flask, db_session: Session, limit: int) -> None:
    data = _csv([HEADER] + [_row(n) for n in range(limit + 1)])
    assert _preview(app, db_session, data, "labs.csv").file_errors == [
        f"At most {limit} rows per file."
    ]


def test_blank_rows_do_not_count_but_are_bounded(
    app: Flask, db_session: Session, limit: int, cells_read: list[int]
) -> None:
    few_blanks = [HEADER, _row(1), [None] * 3, [None] * 3, _row(2)]
    assert _preview(app, db_session, _xlsx(few_blanks), "labs.xlsx").valid
    cells_read[0] = 0
    many_blanks = [HEADER, _row(1)] + [[None] * 3] * (limit * 50) + [_row(2)]
    result = _preview(app, db_session, _xlsx(many_blanks), "labs.xlsx")
    assert result.file_errors == [
        f"More than {limit} empty rows: delete them and upload the file again."
    ]
    assert cells_read[0] <= (limit + 4) * len(HEADER)


def test_the_real_limit_counts_rows_read(
    app: Flask, db_session: Session, csv_rows_read: list[int]
) -> None:
    over = bulk_import.MAX_ROWS + 1000
    data = _csv([HEADER] + [_row(n) for n in range(over)])
    result = _preview(app, db_session, data, "labs.csv")
    assert result.file_errors == [f"At most {bulk_import.MAX_ROWS} rows per file."]
    assert csv_rows_read[0] == bulk_import.MAX_ROWS + 2  # header, the limit, and the one over it


def test_limit_message_is_translated(app: Flask, db_session: Session, limit: int) -> None:
    data = _csv([HEADER] + [_row(n) for n in range(limit + 1)])
    with app.test_request_context(), force_locale("zh_CN"):
        result = bulk_import.preview(db_session, "facility", data, "labs.csv")
        assert [str(e) for e in result.file_errors] == [f"每个文件最多 {limit} 行。"]


def test_broken_workbook_is_a_clear_error(app: Flask, db_session: Session) -> None:
    with app.test_request_context(), pytest.raises(Invalid):
        bulk_import.preview(db_session, "facility", b"PK\x03\x04 not a zip", "labs.xlsx")
