"""In a real browser: a founder signs up, creates a startup, finds it in the directory, and the
interface switches between Chinese and English."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_founder_onboarding_directory_and_language(page: Any) -> None:
    # Sign up (the browser asks for Chinese, so the interface starts in Chinese).
    page.goto("/auth/register")
    page.fill("#display_name", "李伟")
    page.fill("#email", "liwei@example.com")
    page.fill("#password", "longpassword")
    page.fill("#confirm", "longpassword")
    page.check("input[name=roles][value=founder]")
    page.click("button[type=submit]")
    page.wait_for_url("**/me/")
    assert "我的资料" in page.inner_text("main")

    # Create a startup from the onboarding page.
    page.click("[data-testid=new-startup]")
    page.wait_for_url("**/me/startups/new")
    page.fill("#name", "稻香智能农业")
    page.fill("#one_liner", "水稻植保无人机")
    page.fill("#description", "为西南山地水稻种植提供植保无人机服务。")
    page.check("input[name=sectors][value=modern_agriculture]")
    page.select_option("#stage", "prototype")
    page.fill("#location", "重庆")
    page.click("[data-testid=save]")
    page.wait_for_url("**/me/startups/*/edit")
    assert "您的创业项目已创建" in page.inner_text("main")

    # It is in the public directory, found by a Chinese keyword.
    page.goto("/startups?q=无人机")
    results = page.locator("[data-testid=results]")
    assert "稻香智能农业" in results.inner_text()
    assert "现代农业" in results.inner_text()
    assert "创业项目" in page.inner_text("nav")

    # Switch to English: the same page now speaks English.
    page.click("[data-testid=lang-en]")
    page.wait_for_load_state()
    assert "Modern agriculture" in page.locator("[data-testid=results]").inner_text()
    assert "Startups" in page.inner_text("nav")
    assert "稻香智能农业" in page.inner_text("main")  # user content is not translated

    # And back to Chinese.
    page.click("[data-testid=lang-zh]")
    page.wait_for_load_state()
    assert "现代农业" in page.locator("[data-testid=results]").inner_text()
    assert "Startups" not in page.inner_text("nav")
