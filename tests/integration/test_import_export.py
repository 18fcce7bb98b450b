"""Bulk import: dry run, per-row translated errors, all-or-nothing writes; directory export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import Equipment, Facility, Investor, Mentor, User
from matchmaker.models.operator import ImportBatch
from matchmaker.services import exports
from matchmaker.services.accounts.profile_events import handled_by
from matchmaker.services.errors import Conflict, Forbidden, Invalid
from matchmaker.services.operator.imports import bulk_import
from tests.factories import make_facility, make_user


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


HEADER = ["facility", "name", "category", "model_specs", "price_per_hour", "voucher_eligible"]


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_equipment_import_from_excel_writes_every_row(app: Flask, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    facility = make_facility(db_session, name="两江材料检测中心")
    data = xlsx([
        HEADER,
        ["两江材料检测中心", "X射线衍射仪", "检验检测", "Bruker D8", "300", "是"],
        [str(facility.id), "3D printer", "Prototyping and model processing", "", "80.5", "no"],
    ])  # fmt: skip
    seen: list[tuple[str, int]] = []
    with app.test_request_context(), handled_by(lambda kind, i: seen.append((kind, i))):
        dry = bulk_import.preview(db_session, "equipment", data, "lab.xlsx")
        assert dry.valid and len(dry.rows) == 2
        assert _count(db_session, Equipment) == 0  # the preview writes nothing
        done = bulk_import.run_import(db_session, operator, "equipment", data, "lab.xlsx")
    assert done.count == 2
    rows = db_session.scalars(sa.select(Equipment).order_by(Equipment.id)).all()
    assert [(e.name, e.category, e.price_per_hour, e.voucher_eligible) for e in rows] == [
        ("X射线衍射仪", "testing", Decimal("300.00"), True),
        ("3D printer", "prototyping", Decimal("80.50"), False),
    ]
    assert seen == [("equipment", rows[0].id), ("equipment", rows[1].id)]
    assert db_session.scalar(sa.select(ImportBatch.row_count)) == 2


def test_one_bad_row_refuses_the_whole_file(app: Flask, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    make_facility(db_session, name="Lab")
    data = csv_bytes([
        HEADER,
        ["Lab", "XRD", "testing", "", "300", "yes"],
        ["Lab", "SEM", "testing", "", "-5", "yes"],  # negative price
        ["Nowhere", "Lathe", "teleportation", "", "10", "maybe"],
    ])  # fmt: skip
    with app.test_request_context(headers={"Accept-Language": "en"}):
        dry = bulk_import.preview(db_session, "equipment", data, "lab.csv")
        assert not dry.valid
        errors = {(r.number, e.column): str(e.message) for r in dry.rows for e in r.errors}
        assert errors == {
            (3, "price_per_hour"): "Enter an amount between 0 and 10^14.",
            (4, "facility"): "No facility called “Nowhere”.",
            (4, "category"): "Unknown value “teleportation”.",
            (4, "voucher_eligible"): "Enter yes or no.",
        }
        with pytest.raises(Invalid):
            bulk_import.run_import(db_session, operator, "equipment", data, "lab.csv")
    assert _count(db_session, Equipment) == 0
    assert _count(db_session, ImportBatch) == 0


def test_control_characters_in_a_cell_are_a_row_error(app: Flask, db_session: Session) -> None:
    # PostgreSQL cannot store NUL in text: importing it was a 500 there.
    operator = make_user(db_session, "operator")
    make_facility(db_session, name="Lab")
    data = csv_bytes([HEADER, ["Lab", "XRD\x00", "testing", "spec\x1b", "300", "yes"]])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        dry = bulk_import.preview(db_session, "equipment", data, "lab.csv")
        errors = {e.column: str(e.message) for r in dry.rows for e in r.errors}
        assert errors == dict.fromkeys(
            ("name", "model_specs"), "Contains invisible control characters (such as NUL bytes)."
        )
        with pytest.raises(Invalid):
            bulk_import.run_import(db_session, operator, "equipment", data, "lab.csv")
    assert _count(db_session, Equipment) == 0


def test_row_errors_are_translated(app: Flask, db_session: Session) -> None:
    make_facility(db_session, name="Lab")
    data = csv_bytes([HEADER, ["Lab", "XRD", "teleportation", "", "x", "yes"]])
    with app.test_request_context(), force_locale("zh_CN"):
        dry = bulk_import.preview(db_session, "equipment", data, "lab.csv")
        messages = [str(e.message) for e in dry.rows[0].errors]
    assert messages == ["未知的值“teleportation”。", "请输入金额。"]


def test_mentor_import_creates_accounts_and_rejects_duplicates(
    app: Flask, db_session: Session
) -> None:
    operator = make_user(db_session, "operator")
    existing = make_user(db_session, "founder", email="old@example.com")
    header = ["email", "display_name", "kind", "sectors", "mentoring_topics", "capacity_per_month"]
    good = [
        header,
        ["Li.Na@example.com", "李娜", "技术专家", "新能源、新材料", "technology", "4"],
        ["old@example.com", "Old Friend", "lawyer", "", "legal_ip", ""],
    ]
    with app.test_request_context():
        done = bulk_import.run_import(db_session, operator, "mentor", csv_bytes(good), "m.csv")
        assert done.count == 2
        again = bulk_import.preview(db_session, "mentor", csv_bytes(good), "m.csv")
        assert not again.valid
        dup = csv_bytes([header, ["a@x.cn", "A", "lawyer"], ["A@X.cn", "B", "lawyer"]])
        twice = bulk_import.preview(db_session, "mentor", dup, "m.csv")
        assert {e.column for r in twice.rows for e in r.errors} == {"email"}
    db_session.expire_all()
    li = db_session.scalar(sa.select(User).where(User.email == "li.na@example.com"))
    assert li is not None and li.roles == ["mentor"]
    profile = db_session.scalar(sa.select(Mentor).where(Mentor.user_id == li.id))
    assert profile.sectors == ["new_energy", "new_materials"] and profile.kind == "technical_expert"
    db_session.refresh(existing)
    assert existing.roles == ["founder", "mentor"]


def test_investor_and_facility_import(app: Flask, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    investors = [
        ["name", "type", "sectors", "stages", "ticket_min", "ticket_max", "regions"],
        [
            "渝创种子基金",
            "种子基金",
            "new_energy",
            "seed; angel",
            "500,000",
            "3000000",
            "重庆; 成都",
        ],
    ]
    facilities = [["name", "kind", "contact_email"], ["Yubei Lab", "enterprise_lab", "lab@x.cn"]]
    bad_range = [investors[0], ["Fund", "vc", "", "", "5", "1", ""]]
    with app.test_request_context():
        bulk_import.run_import(db_session, operator, "investor", csv_bytes(investors), "i.csv")
        bulk_import.run_import(db_session, operator, "facility", xlsx(facilities), "f.xlsx")
        assert not bulk_import.preview(db_session, "investor", csv_bytes(bad_range), "i.csv").valid
    inv = db_session.scalar(sa.select(Investor))
    assert (inv.type, inv.stages, inv.ticket_min, inv.regions) == (
        "seed_fund", ["seed", "angel"], Decimal("500000.00"), ["重庆", "成都"],
    )  # fmt: skip
    assert db_session.scalar(sa.select(Facility.kind)) == "enterprise_lab"


def test_file_level_errors_and_permissions(app: Flask, db_session: Session) -> None:
    founder = make_user(db_session, "founder")
    with app.test_request_context():
        missing = bulk_import.preview(
            db_session, "equipment", csv_bytes([["name"], ["x"]]), "a.csv"
        )
        assert not missing.valid and missing.file_errors
        assert not bulk_import.preview(db_session, "equipment", b"", "a.csv").valid
        with pytest.raises(Invalid):
            bulk_import.preview(db_session, "equipment", b"PK-not-really", "a.xlsx")
        with pytest.raises(Invalid):
            bulk_import.preview(db_session, "equipment", b"x", "a.pdf")
        with pytest.raises(Forbidden):
            bulk_import.run_import(db_session, founder, "facility", b"", "a.csv")


def test_gb18030_csv_is_read(app: Flask, db_session: Session) -> None:
    data = csv_bytes([["name", "kind"], ["渝北实验室", "企业实验室"]], encoding="gb18030")
    with app.test_request_context():
        dry = bulk_import.preview(db_session, "facility", data, "f.csv")
    assert dry.valid and dry.rows[0].values["name"] == "渝北实验室"


def test_exports_round_trip_through_the_import(app: Flask, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    facility = make_facility(db_session, name="Lab")
    db_session.add(Equipment(facility=facility, name="=cmd()", category="testing"))
    db_session.commit()
    with app.test_request_context():
        header, rows = exports.table(db_session, "equipment", "zh_CN")
        assert rows[0][1:4] == ["Lab", "=cmd()", "检验检测"]
        text = exports.to_csv(header, rows).decode("utf-8-sig")
        assert "'=cmd()" in text  # formulas are neutralised
        book = load_workbook(io.BytesIO(exports.to_xlsx([("equipment", header, rows)])))
        assert book["equipment"]["C2"].value == "'=cmd()"
        for kind in exports.EXPORT_KINDS:
            exports.table(db_session, kind, "en")
        # the exported equipment (minus id and active flag) is a valid import file
        # (headers are labels in the reader's language, the import's own: 编号 and 启用 are
        # the export's first and last columns)
        assert header[0] == "编号" and header[2] == "仪器名称"
        keep = list(range(1, len(header) - 1))
        again = [[header[i] for i in keep]] + [[r[i] for i in keep] for r in rows]
        again[1][1] = "Copy"
        assert (
            bulk_import.run_import(
                db_session, operator, "equipment", csv_bytes(again), "e.csv"
            ).count
            == 1
        )


def test_same_file_imported_meanwhile_is_refused_at_commit_and_writes_nothing(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another operator's import of the very same file commits after this one validated: the
    # unique hash refuses it at commit, with the "already imported" message, and none of its
    # rows is kept. (The app's session: the test session autocommits on SQLite.)
    operator = make_user(db_session, "operator")
    make_facility(db_session, name="Lab")
    data = csv_bytes([HEADER, ["Lab", "XRD", "testing", "", "300", "yes"]])
    validate = bulk_import.preview

    def preview_then_other_import(*args: Any, **kwargs: Any) -> bulk_import.ImportPreview:
        checked = validate(*args, **kwargs)
        db_session.add(
            ImportBatch(
                kind="equipment",
                filename="same.csv",
                row_count=1,
                created_by_id=operator.id,
                content_hash=bulk_import.content_hash(data),
            )
        )
        db_session.commit()
        return checked

    monkeypatch.setattr(bulk_import, "preview", preview_then_other_import)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        actor = db.session.get(User, operator.id)
        with pytest.raises(Conflict) as refused:
            bulk_import.run_import(db.session, actor, "equipment", data, "lab.csv")
    assert "already imported" in str(refused.value.message)
    assert _count(db_session, Equipment) == 0
    assert _count(db_session, ImportBatch) == 1
