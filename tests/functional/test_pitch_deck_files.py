"""Pitch deck files: only real PDFs are stored, and downloads are attachments with clean names."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk
from matchmaker.models.funding import PitchDeck
from matchmaker.services.errors import Invalid
from matchmaker.services.funding import pitch_decks
from tests.factories import PASSWORD, make_pdf, make_startup, make_user

GOOD = make_pdf()
POLYGLOT = b"%PDF-<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"
RTL = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "deck\u202efdp.exe" shows as "deckexe.pdf"
BIDI_AND_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\x00\x1b\x7f"


def _xref_stream_pdf() -> bytes:
    """A PDF 1.5 whose cross-reference is a stream object (what most tools write today)."""
    body = b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    at = len(body)
    body += (
        b"3 0 obj\n<< /Type /XRef /Size 4 /W [1 2 1] /Length 0 >>\nstream\n\nendstream\nendobj\n"
    )
    return body + b"startxref\n%d\n%%%%EOF\n" % at


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(GOOD, id="xref-table"),
        pytest.param(_xref_stream_pdf(), id="xref-stream"),
        pytest.param(GOOD + b"\n\x00\x00 trailing junk", id="junk-after-eof"),
    ],
)
def test_structure_check_accepts_real_pdfs(content: bytes) -> None:
    pitch_decks.check_pdf_structure(io.BytesIO(content), len(content))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(POLYGLOT, id="pdf-html-polyglot"),
        pytest.param(b"%PDF-1.4\n<html><script>x</script></html>\n" + GOOD[9:], id="html-in-head"),
        pytest.param(GOOD[:-40], id="truncated"),
        pytest.param(GOOD.replace(b"%%EOF", b"%%EOX"), id="no-eof"),
        pytest.param(GOOD.replace(b"startxref\n116", b"startxref\n3"), id="offset-not-xref"),
        pytest.param(GOOD.replace(b"startxref\n116", b"startxref\n999999"), id="offset-past-end"),
        pytest.param(b"%PDF-9.9\n" + GOOD[9:], id="bad-version"),
    ],
)
def test_structure_check_refuses_fakes(content: bytes) -> None:
    assert b"startxref\n116" in GOOD  # the offsets the fakes above rewrite
    with pytest.raises(Invalid):
        pitch_decks.check_pdf_structure(io.BytesIO(content), len(content))


def _founder_with_startup(db_session: Session, client: FlaskClient, locale: str = "en") -> int:
    founder = make_user(db_session, "founder", email="founder@spark.cn", locale=locale)
    startup = make_startup(db_session, founder, name="SparkCell")
    startup_id = startup.id
    db_session.rollback()
    response = client.post("/auth/login", data={"email": "founder@spark.cn", "password": PASSWORD})
    assert response.status_code == 302
    return startup_id


def _upload(client: FlaskClient, startup_id: int, content: bytes, name: str) -> Any:
    data = {
        "round": "seed",
        "amount": "3000000",
        "currency": "CNY",
        "instrument": "equity",
        "use_of_funds": "Pilot line",
        "is_open": "y",
        "deck": (io.BytesIO(content), name),
    }
    return client.post(
        f"/funding/startups/{startup_id}/asks/new", data=data, content_type="multipart/form-data"
    )


def _deck_files(app: Flask) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "pitch_decks"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_polyglot_upload_is_refused_and_nothing_stored(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    startup_id = _founder_with_startup(db_session, client)
    response = _upload(client, startup_id, POLYGLOT, "deck.pdf")
    assert response.status_code == 422 and b"not a complete PDF" in response.data
    assert db_session.scalar(sa.select(sa.func.count(FundingAsk.id))) == 0
    assert _deck_files(app) == []


def test_refusal_is_translated(app: Flask, client: FlaskClient, db_session: Session) -> None:
    startup_id = _founder_with_startup(db_session, client, locale="zh_CN")
    response = _upload(client, startup_id, GOOD[:-40], "deck.pdf")
    assert response.status_code == 422 and "完整的 PDF" in response.get_data(as_text=True)


def _header_is_clean(value: str) -> bool:
    return not any(ch in value for ch in BIDI_AND_CONTROLS + "/\\")


def test_deck_download_is_a_clean_named_pdf_attachment(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    startup_id = _founder_with_startup(db_session, client)
    response = _upload(client, startup_id, GOOD, f"../pitch{RTL}fdp.exe")
    assert response.status_code == 302
    deck = db_session.scalar(sa.select(PitchDeck))
    assert deck is not None and deck.original_name == "pitchfdp.exe"  # the disguise is gone
    got = client.get(f"/funding/asks/{deck.ask_id}/deck")
    assert got.status_code == 200 and got.data == GOOD
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "pitchfdp.exe" in disposition
    assert _header_is_clean(disposition)


def test_names_stored_before_the_fix_are_cleaned_on_download(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    startup_id = _founder_with_startup(db_session, client)
    assert _upload(client, startup_id, GOOD, "deck.pdf").status_code == 302
    deck = db_session.scalar(sa.select(PitchDeck))
    assert deck is not None
    # Every control but NUL, which PostgreSQL cannot store.
    stored_controls = BIDI_AND_CONTROLS.replace("\x00", "")
    deck.original_name = f"投资{stored_controls}计划\\..\\{RTL}fdp.exe"
    db_session.commit()
    got = client.get(f"/funding/asks/{deck.ask_id}/deck")
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and _header_is_clean(disposition)
    assert "filename*=UTF-8''" in disposition  # the Chinese name survives, percent-encoded
