"""The operator console, policy center, disclosure and pathway pages over HTTP: who may see
what, forms that change data, and what the public page must never show."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import Equipment
from matchmaker.models.operator import Policy, StartupResidency, SupportRecord
from matchmaker.services.operator.policy_center.seed_policies import SEED_POLICIES, seed_policies
from tests.factories import make_facility, make_startup, make_user

OPERATOR_PAGES = [
    "/operator/",
    "/operator/pathways",
    "/operator/pathways?stuck=1",
    "/operator/monitoring",
    "/operator/monitoring?start=2026-01-01&end=2026-03-31",
    "/operator/performance",
    "/operator/reports",
    "/operator/reports/2026.xlsx",
    "/operator/policies",
    "/operator/policies/new",
    "/operator/support/new",
    "/operator/duplicates?method=tfidf",
    "/operator/import",
    "/operator/import/template/equipment.xlsx",
    "/operator/export/startup.csv",
    "/operator/export/mentor.xlsx",
]


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")


def login(client: FlaskClient, user: Any) -> None:
    client.post("/auth/login", data={"email": user.email, "password": "password123"})


def test_operator_pages_need_an_operator(client: FlaskClient, db_session: Session) -> None:
    assert client.get("/operator/").status_code == 302  # to the sign-in page
    founder = make_user(db_session, "founder")
    login(client, founder)
    for url in OPERATOR_PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/operator/policies/seed").status_code == 403
    assert client.post("/operator/import/confirm").status_code == 403


def test_every_operator_page_renders(client: FlaskClient, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder, services_needed=["testing"])
    make_startup(db_session, name="Twin", description=startup.description)
    facility = make_facility(db_session)
    db_session.add(Equipment(facility=facility, name="XRD", category="testing"))
    db_session.commit()
    seed_policies(db_session)
    login(client, operator)
    for url in [*OPERATOR_PAGES, f"/pathway/{startup.id}", "/operator/duplicates",
                f"/operator/reports?year=2026&facility_id={facility.id}",
                f"/operator/reports/2026.xlsx?facility_id={facility.id}"]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
    chart = client.get("/operator/monitoring").get_data(as_text=True)
    assert "chart.umd.js" in chart and "metric-startups_by_sector" in chart
    book = load_workbook(io.BytesIO(client.get("/operator/reports/2026.xlsx").data))
    assert book.sheetnames[0] in ("Summary", "概要")


def test_publishing_a_policy_makes_a_startup_eligible(
    client: FlaskClient, db_session: Session
) -> None:
    operator = make_user(db_session, "operator")
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder, team_size=4, founded_on=date(2025, 1, 1))
    login(client, operator)
    form = {
        "title_zh": "两江新材料首台套补助", "title_en": "Liangjiang new-materials subsidy",
        "issuer_zh": "两江新区科技创新局", "issuer_en": "Liangjiang Innovation Bureau",
        "kind": "subsidy", "sectors": ["new_materials"], "max_team_size": "10",
        "max_company_age_years": "3", "locations": "重庆, Chongqing", "benefit_amount": "200000",
        "benefit_currency": "CNY", "publish": "y",
    }  # fmt: skip
    response = client.post("/operator/policies/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].startswith("/policies/"), response.headers["Location"]
    db_session.rollback()  # end this session's read snapshot: the request wrote since
    policy = db_session.scalar(sa.select(Policy))
    assert policy is not None and policy.is_published and policy.locations == ["重庆", "Chongqing"]
    client.post("/auth/logout")
    login(client, founder)
    page = client.get(f"/pathway/{startup.id}").get_data(as_text=True)
    assert 'data-testid="eligible-policy"' in page and "Liangjiang new-materials subsidy" in page
    assert client.get("/policies/").status_code == 200
    assert "Liangjiang Innovation Bureau" in client.get(f"/policies/{policy.id}").get_data(
        as_text=True
    )


def test_policy_form_errors_save_nothing(client: FlaskClient, db_session: Session) -> None:
    login(client, make_user(db_session, "operator"))
    response = client.post(
        "/operator/policies/new",
        data={"title_zh": "", "title_en": "x", "kind": "subsidy", "benefit_currency": "CNY",
              "max_team_size": "0"},
    )  # fmt: skip
    assert response.status_code == 200 and b"form-errors" in response.data
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(Policy.id))) == 0


def test_unpublished_policy_is_hidden_from_the_public(
    client: FlaskClient, db_session: Session
) -> None:
    seed_policies(db_session, publish=False)
    policy = db_session.scalar(sa.select(Policy))
    assert client.get(f"/policies/{policy.id}").status_code == 404
    assert policy.title_zh not in client.get("/policies/").get_data(as_text=True)
    login(client, make_user(db_session, "operator"))
    client.post(f"/operator/policies/{policy.id}/publish", data={"publish": "1"})
    client.post("/auth/logout")
    assert client.get(f"/policies/{policy.id}").status_code == 200


def test_seed_policies_are_idempotent_and_quote_the_issuers(db_session: Session) -> None:
    seed_policies(db_session)
    seed_policies(db_session)
    rows = db_session.scalars(sa.select(Policy)).all()
    assert len(rows) == len(SEED_POLICIES)
    by_slug = {p.slug: p for p in rows}
    assert by_slug["cq-micro-startup-subsidy"].benefit_amount == Decimal(50000)
    assert by_slug["cq-micro-startup-loan"].benefit_amount == Decimal(150000)
    assert by_slug["cq-rd-equipment-deduction"].benefit_amount == Decimal(1000000)
    assert by_slug["cq-seed-interest-free-credit"].max_company_age_years == 3
    assert {p.issuer_zh for p in rows} == {"国务院办公厅", "重庆市科学技术委员会"}
    assert any(p.document_number == "国办发〔2016〕7号" for p in rows)


def test_pathway_is_for_the_team_and_operators(client: FlaskClient, db_session: Session) -> None:
    founder, other = make_user(db_session, "founder"), make_user(db_session, "founder")
    startup = make_startup(db_session, founder)
    assert client.get(f"/pathway/{startup.id}").status_code == 302
    login(client, other)
    assert client.get(f"/pathway/{startup.id}").status_code == 403
    assert client.get("/pathway/999999").status_code == 404
    client.post("/auth/logout")
    login(client, founder)
    assert client.get("/pathway/").headers["Location"].endswith(f"/pathway/{startup.id}")
    page = client.get(f"/pathway/{startup.id}").get_data(as_text=True)
    assert 'data-testid="chain"' in page and 'data-testid="step-funding"' in page
    assert "toggle-residency" not in page  # operators only


def test_residency_toggle_and_support_recording(client: FlaskClient, db_session: Session) -> None:
    operator = make_user(db_session, "operator")
    startup = make_startup(db_session)
    login(client, operator)
    assert 'data-testid="resident"' not in client.get(f"/pathway/{startup.id}").text
    client.post(f"/operator/residency/{startup.id}", data={"resident": "1"})
    db_session.rollback()
    assert db_session.get(StartupResidency, startup.id) is not None
    # The pathway reads the residency with the startup (one statement for both).
    assert 'data-testid="resident"' in client.get(f"/pathway/{startup.id}").text
    response = client.post(
        "/operator/support/new",
        data={"startup_id": startup.id, "kind": "subsidy", "policy_id": 0, "amount": "50000",
              "granted_on": date.today().isoformat(), "description": "首期", "note": "secret"},
    )  # fmt: skip
    assert response.status_code == 302
    db_session.rollback()
    record = db_session.scalar(sa.select(SupportRecord))
    assert record is not None and record.amount == 50000 and record.created_by_id == operator.id
    future = (date.today() + timedelta(days=2)).isoformat()
    bad = client.post(
        "/operator/support/new",
        data={"startup_id": startup.id, "kind": "loan", "policy_id": 0, "granted_on": future},
    )
    assert bad.status_code == 200
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(SupportRecord.id))) == 1


def test_public_disclosure_shows_no_private_data(client: FlaskClient, db_session: Session) -> None:
    founder = make_user(
        db_session,
        "founder",
        email="ceo@secret-startup.cn",
        phone="13800138000",
        wechat_id="wx_ceo",
    )
    startup = make_startup(db_session, founder, name="澜锂新材料", website="https://lanli.example")
    db_session.add(
        SupportRecord(startup_id=startup.id, kind="subsidy", amount=Decimal(50000),
                      granted_on=date(2026, 3, 1), description="创业补助",
                      note="PRIVATE-NOTE reviewed by Zhang")
    )  # fmt: skip
    db_session.commit()
    page = client.get("/disclosure/").get_data(as_text=True)  # no login
    assert "澜锂新材料" in page and "50,000" in page and "创业补助" in page
    for secret in ("ceo@secret-startup.cn", "13800138000", "wx_ceo", "PRIVATE-NOTE", "Zhang"):
        assert secret not in page
    csv_text = client.get("/disclosure/?format=csv").get_data(as_text=True)
    assert "澜锂新材料" in csv_text and "PRIVATE-NOTE" not in csv_text
    assert "澜锂新材料" not in client.get("/disclosure/?year=2020").get_data(as_text=True)


def test_http_import_preview_then_confirm(client: FlaskClient, db_session: Session) -> None:
    make_facility(db_session, name="Lab")
    login(client, make_user(db_session, "operator"))
    book = Workbook()
    book.active.append(["facility", "name", "category", "price_per_hour"])
    book.active.append(["Lab", "SEM", "testing", "500"])
    data = io.BytesIO()
    book.save(data)
    preview = client.post(
        "/operator/import",
        data={"kind": "equipment", "file": (io.BytesIO(data.getvalue()), "lab.xlsx")},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert 'data-testid="import-valid"' in page
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(Equipment.id))) == 0
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    done = client.post(
        "/operator/import/confirm",
        data={"kind": "equipment", "token": token, "filename": "lab.xlsx"},
    )
    assert done.status_code == 302
    db_session.rollback()
    assert db_session.scalar(sa.select(Equipment.name)) == "SEM"
    # the stored upload is gone: confirming twice imports nothing more
    client.post(
        "/operator/import/confirm", data={"kind": "equipment", "token": token, "filename": "x"}
    )
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(Equipment.id))) == 1
    bad = client.post(
        "/operator/import/confirm", data={"kind": "equipment", "token": "../../etc/passwd"}
    )
    assert bad.status_code == 302


def test_nav_panel_and_startup_section(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    from matchmaker.web.navigation import dashboard_panels, detail_sections

    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder)
    operator = make_user(db_session, "operator")
    login(client, founder)
    page = client.get("/policies/").get_data(as_text=True)
    assert "/pathway/" in page and "/operator/" not in page
    client.post("/auth/logout")
    login(client, operator)
    assert "/operator/" in client.get("/policies/").get_data(as_text=True)
    with app.test_request_context():
        db_session.rollback()
        panels = [p.template for p in dashboard_panels(db_session.get(type(operator), operator.id))]
        assert "operator/_panel.html" in panels
        sections = detail_sections("startup", startup, db_session.get(type(founder), founder.id))
        assert "operator/_startup_section.html" in [p.template for p in sections]
        other = make_user(db_session, "founder")
        assert "operator/_startup_section.html" not in [
            p.template for p in detail_sections("startup", startup, other)
        ]
