"""In a real browser: an operator imports equipment from an Excel file, publishes a policy, and
sees a startup become eligible for it on the startup's pathway page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session

from tests.e2e.browser import sign_in
from tests.factories import make_facility, make_startup, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The fast hashing embedder: these pages do not depend on the engine's quality."""
    return {**app_config, "EMBEDDING_MODEL": "hashing"}


def _equipment_file(folder: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["facility", "name", "category", "model_specs", "price_per_hour", "voucher_eligible"]
    )
    sheet.append(["两江材料检测中心", "扫描电子显微镜", "检验检测", "ZEISS Sigma 300", "450", "是"])
    path = folder / "equipment.xlsx"
    book.save(path)
    return path


def test_import_publish_and_eligibility(page: Any, db_session: Session, tmp_path: Path) -> None:
    operator = make_user(db_session, "operator", locale="zh_CN", email="op@example.com")
    founder = make_user(db_session, "founder", locale="zh_CN")
    startup = make_startup(
        db_session, founder, name="澜锂新材料", sectors=["new_materials"], stage="prototype",
        services_needed=["testing"], team_size=6, location="重庆两江新区",
    )  # fmt: skip
    make_facility(db_session, name="两江材料检测中心")
    startup_id, email = startup.id, operator.email

    sign_in(page, email)

    # Import equipment: a preview first, then the confirmed import.
    page.goto("/operator/import")
    page.select_option("#kind", "equipment")
    page.set_input_files("#file", str(_equipment_file(tmp_path)))
    page.click("[data-testid=preview-import]")
    page.wait_for_selector("[data-testid=import-valid]")
    assert "扫描电子显微镜" in page.inner_text("[data-testid=import-preview]")
    page.click("[data-testid=confirm-import]")
    page.wait_for_selector(".alert-success")
    assert "已导入 1 行" in page.inner_text("main")

    # Before the policy: nothing to be eligible for; the imported instrument serves testing.
    page.goto(f"/pathway/{startup_id}")
    assert page.locator("[data-testid=eligible-policy]").count() == 0
    assert "扫描电子显微镜" in page.inner_text("[data-testid=step-testing]")

    # Publish a policy the startup meets.
    page.goto("/operator/policies/new")
    page.fill("#title_zh", "两江新区新材料中试补助")
    page.fill("#title_en", "Liangjiang new-materials pilot subsidy")
    page.fill("#issuer_zh", "两江新区科技创新局")
    page.fill("#issuer_en", "Liangjiang New Area Innovation Bureau")
    page.check("input[name=sectors][value=new_materials]")
    page.fill("#max_team_size", "20")
    page.fill("#locations", "重庆, Chongqing")
    page.check("input[name=chain_services][value=testing]")
    page.check("#publish")
    page.click("[data-testid=save-policy]")
    page.wait_for_selector("[data-testid=policy-title]")
    assert "两江新区新材料中试补助" in page.inner_text("[data-testid=policy-title]")

    # The startup is now eligible, with the reasons rule by rule.
    page.goto(f"/pathway/{startup_id}")
    eligible = page.inner_text("[data-testid=eligible-policies]")
    assert "两江新区新材料中试补助" in eligible
    assert "团队 6 人（上限 20 人）" in eligible
    assert "两江新区新材料中试补助" in page.inner_text("[data-testid=step-testing]")
