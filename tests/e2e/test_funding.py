"""In a real browser: a founder creates a funding ask with a deck and pitches a recommended
investor; the investor moves the deal to a meeting; both accept the introduction and only then
see each other's contacts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.e2e.browser import sign_in
from tests.factories import make_investor, make_pdf, make_startup, make_user

pytestmark = pytest.mark.e2e

PDF = make_pdf()


def test_pitch_meeting_and_double_opt_in(page: Any, db_session: Session) -> None:
    founder = make_user(
        db_session,
        "founder",
        locale="zh_CN",
        email="li@sparkcell.cn",
        phone="+86 138 0000 1111",
        wechat_id="spark_li",
        share_phone=True,
        share_wechat=True,
    )
    partner = make_user(
        db_session,
        "investor",
        locale="zh_CN",
        email="wang@jialing.vc",
        phone="+86 139 2222 3333",
        wechat_id="jialing_wang",
        share_phone=True,
        share_wechat=True,
    )
    make_startup(db_session, founder, name="星火电池")
    make_investor(db_session, partner, name="嘉陵创投")
    db_session.rollback()

    # The founder creates an ask with a PDF deck.
    sign_in(page, "li@sparkcell.cn")
    page.goto("/funding/")
    page.click("[data-testid=new-ask]")
    page.select_option("#round", "seed")
    page.fill("#amount", "3000000")
    page.select_option("#currency", "CNY")
    page.select_option("#instrument", "equity")
    page.fill("#use_of_funds", "建设中试线")
    page.fill("#traction", "三家付费客户")
    page.set_input_files(
        "#deck", files=[{"name": "deck.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.click("[data-testid=save-ask]")
    page.wait_for_url("**/funding/asks/*")
    assert page.locator("[data-testid=deck-link]").count() == 1

    # The recommended investor is explained; the founder pitches it.
    match = page.locator("[data-testid=match]", has_text="嘉陵创投")
    assert "新能源" in match.inner_text()  # the shared sector, as a reason
    match.locator("[data-testid=pick-investor]").check()
    page.click("[data-testid=send-pitch]")
    page.wait_for_load_state()
    assert "嘉陵创投" in page.locator("[data-testid=pitch-status]").inner_text()

    # The investor finds it in the deal flow and moves it to a meeting.
    sign_in(page, "wang@jialing.vc")
    page.goto("/funding/deal-flow")
    page.click("[data-testid=open-deal]")
    page.wait_for_url("**/funding/deals/*")
    page.click("[data-testid=move-reviewing]")
    page.wait_for_load_state()
    page.click("[data-testid=move-meeting]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=move-due_diligence]").count() == 1
    body = page.inner_text("main")
    assert "li@sparkcell.cn" not in body and "spark_li" not in body
    page.click("[data-testid=accept-intro]")
    page.wait_for_load_state()

    # Until the founder accepts, the investor sees no contact of the founder.
    page.goto("/funding/introductions")
    assert "li@sparkcell.cn" not in page.content()
    assert "+86 138 0000 1111" not in page.content()

    # The founder accepts; both now see each other's e-mail, phone and WeChat ID.
    sign_in(page, "li@sparkcell.cn")
    page.goto("/funding/introductions")
    assert "wang@jialing.vc" not in page.content()
    page.click("[data-testid=accept-intro]")
    page.wait_for_load_state()
    contacts = page.locator("[data-testid=contacts]").inner_text()
    assert "wang@jialing.vc" in contacts and "+86 139 2222 3333" in contacts
    assert "jialing_wang" in contacts

    sign_in(page, "wang@jialing.vc")
    page.goto("/funding/introductions")
    contacts = page.locator("[data-testid=contacts]").inner_text()
    assert "li@sparkcell.cn" in contacts and "spark_li" in contacts
    assert "+86 138 0000 1111" in contacts
