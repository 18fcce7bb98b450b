"""In a real browser with every request to anything but 127.0.0.1 refused: the navigation map of
innovation resources draws the district boundaries (vendored ECharts and GeoJSON, no tile
server) and lists the resources beside it, in Chinese and in English, without a CSP violation;
a click on a district narrows the list to it."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy.orm import Session

from matchmaker.models import Equipment
from tests.factories import make_facility, make_investor, make_mentor, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The fast hashing embedder: these pages do not depend on the engine's quality."""
    return {**app_config, "EMBEDDING_MODEL": "hashing"}

LISTEN = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__problems.push('CSP ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline'));
});
"""


@pytest.fixture
def resources(db_session: Session) -> None:
    space = make_facility(
        db_session, name="两江众创空间", kind="makerspace_lab", district="渝北区",
        latitude=Decimal("29.601451"), longitude=Decimal("106.512851"),
    )  # fmt: skip
    lab = make_facility(db_session, name="大学城材料分析测试中心", district="沙坪坝区")
    db_session.add_all([
        Equipment(facility=space, name="激光切割机", category="prototyping"),
        Equipment(facility=lab, name="扫描电子显微镜", category="testing"),
    ])  # fmt: skip
    db_session.commit()
    make_mentor(db_session, make_user(db_session, "mentor", display_name="李导师"),
                location="重庆沙坪坝区")  # fmt: skip
    make_investor(db_session, name="渝北天使基金", location="Yubei District, Chongqing")


def _offline(page: Any) -> list[str]:
    """Abort every request that is not to the local server; return the hosts that were tried."""
    tried: list[str] = []

    def route(r: Any) -> None:
        host = urlparse(r.request.url).hostname
        if host == "127.0.0.1":
            r.continue_()
        else:
            tried.append(str(host))
            r.abort()

    page.route("**/*", route)
    page.add_init_script(LISTEN)
    return tried


@pytest.mark.parametrize(
    ("locale", "title", "district"),
    [
        ("zh-CN", "创新创业导航地图", "渝北区"),
        ("en-US", "Navigation map of innovation resources", "Yubei"),
    ],
)
def test_map_renders_offline_in_both_languages(
    playwright_browser: Any, live_server: str, resources: None, locale: str, title: str,
    district: str,
) -> None:  # fmt: skip
    context = playwright_browser.new_context(base_url=live_server, locale=locale)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    tried = _offline(page)
    try:
        page.goto("/map/")
        assert title in page.inner_text("h1")
        page.wait_for_selector("#resource-map[data-rendered=true]")
        assert page.locator("#resource-map canvas").count() >= 1
        box = page.locator("#resource-map canvas").first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200
        items = page.locator("[data-testid=resource-item]")
        assert items.count() == 4
        assert district in page.inner_text("[data-testid=resource-list]")
        if os.environ.get("MATCHMAKER_E2E_SCREENSHOTS"):
            folder = os.environ["MATCHMAKER_E2E_SCREENSHOTS"]
            page.screenshot(path=f"{folder}/resource-map-{locale}.png", full_page=True)
        # The navigation links here, in this language.
        assert page.locator("a[href='/map/']").count() >= 1

        page.select_option("#category", "mentor")
        page.click("[data-testid=map-filters] button")
        page.wait_for_selector("#resource-map[data-rendered=true]")
        assert page.locator("[data-testid=resource-item]").count() == 1
        assert "李导师" in page.inner_text("[data-testid=resource-list]")

        # A click on a district (Wanzhou: nothing there) lists that district only.
        page.goto("/map/")
        page.wait_for_selector("#resource-map[data-rendered=true]")
        x, y = page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('resource-map'))"
            ".convertToPixel({geoIndex: 0}, [108.380246, 30.807807])"
        )
        # A canvas click: on a loaded machine the first may land before ECharts has drawn the
        # frame (nothing to hit yet), so it is repeated a few times before the test gives up.
        for attempt in range(3):
            page.locator("#resource-map").click(position={"x": x, "y": y})
            try:
                page.wait_for_url("**district=*", timeout=5_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        assert page.input_value("#district") == "万州区"
        assert page.locator("[data-testid=resource-empty]").count() == 1

        assert page.evaluate("window.__problems") == []
        assert errors == []
        assert tried == []  # nothing even tried to leave the machine
    finally:
        context.close()
