"""In a real browser (issue 16): phone and WeChat entered with their own consent appear only
after both sides accepted an introduction that the founder asked for; a fund and a founder talk
on a pitch's thread; a session about to start offers no cancel button and says why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk
from matchmaker.models.funding import Pitch
from tests.e2e.browser import sign_in
from tests.factories import make_investor, make_startup, make_user
from tests.integration.test_mentoring_support import hour_from_now, make_world, put_session

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The fast hashing embedder: these pages do not depend on the engine's quality."""
    return {**app_config, "EMBEDDING_MODEL": "hashing"}


def _pitched(db_session: Session) -> dict[str, int]:
    founder = make_user(db_session, "founder", email="li@sparkcell.cn")
    partner = make_user(db_session, "investor", email="wang@jialing.vc")
    startup = make_startup(db_session, founder, name="SparkCell")
    fund = make_investor(db_session, partner, name="Jialing Ventures")
    ask = FundingAsk(startup_id=startup.id, round="seed", amount=Decimal(3_000_000), currency="CNY")
    db_session.add(ask)
    db_session.flush()
    pitch = Pitch(ask_id=ask.id, startup_id=startup.id, investor_id=fund.id)
    db_session.add(pitch)
    db_session.commit()
    return {"ask": ask.id, "pitch": pitch.id}


def _save_contacts(page: Any, phone: str, wechat: str, *, share_phone: bool) -> None:
    page.goto("/me/")
    page.fill("#phone", phone)
    page.fill("#wechat_id", wechat)
    if share_phone:
        page.check("#share_phone")
    page.check("#share_wechat")
    page.click("[data-testid=save-contacts]")
    page.wait_for_load_state()


def test_contact_channels_need_consent_and_both_sides(page: Any, db_session: Session) -> None:
    ids = _pitched(db_session)
    sign_in(page, "wang@jialing.vc")
    _save_contacts(page, "+86 139 2222 3333", "jialing_wang", share_phone=False)
    sign_in(page, "li@sparkcell.cn")
    _save_contacts(page, "+86 138 0000 1111", "spark_li", share_phone=True)
    # The founder asks for the introduction from the ask page.
    page.goto(f"/funding/asks/{ids['ask']}")
    page.click("[data-testid=request-intro]")
    page.wait_for_load_state()
    page.goto("/funding/introductions")
    assert "jialing_wang" not in page.content() and "wang@jialing.vc" not in page.content()

    sign_in(page, "wang@jialing.vc")
    page.goto("/funding/introductions")
    assert "spark_li" not in page.content()
    page.click("[data-testid=accept-intro]")
    page.wait_for_load_state()
    contacts = page.locator("[data-testid=contacts]").inner_text()
    assert "+86 138 0000 1111" in contacts and "spark_li" in contacts

    sign_in(page, "li@sparkcell.cn")
    page.goto("/funding/introductions")
    contacts = page.locator("[data-testid=contacts]").inner_text()
    assert "wang@jialing.vc" in contacts and "jialing_wang" in contacts
    assert "+86 139 2222 3333" not in page.content()  # never consented to


def test_question_and_answer_on_a_pitch(page: Any, db_session: Session) -> None:
    ids = _pitched(db_session)
    sign_in(page, "wang@jialing.vc")
    page.goto(f"/funding/deals/{ids['pitch']}")
    page.click("[data-testid=thread-link]")
    page.select_option("#kind", "question")
    page.fill("#body", "What is your gross margin per cell?")
    page.click("[data-testid=send-message]")
    page.wait_for_load_state()

    sign_in(page, "li@sparkcell.cn")
    page.goto(f"/funding/asks/{ids['ask']}")
    page.click("[data-testid=thread-link]")
    assert "What is your gross margin per cell?" in page.inner_text("main")
    page.fill("#body", "About 18% at pilot volume.")
    page.click("[data-testid=send-message]")
    page.wait_for_load_state()
    bodies = page.locator("[data-testid=message-body]").all_inner_texts()
    assert bodies == ["What is your gross margin per cell?", "About 18% at pilot volume."]


def test_no_cancel_button_within_24_hours(page: Any, db_session: Session) -> None:
    w = make_world(db_session, n_slots=1)
    soon = put_session(db_session, w, "scheduled", starts=hour_from_now(3))
    later = put_session(db_session, w, "scheduled", starts=w.slots[0])
    sign_in(page, w.founder.email)
    page.goto(f"/mentoring/sessions/{soon.id}")
    assert page.locator("[data-testid=do-cancel]").count() == 0
    assert page.locator("[data-testid=too-late-to-change]").is_visible()
    page.goto(f"/mentoring/sessions/{later.id}")
    page.fill("[data-testid=form-cancel] textarea", "Travelling")
    page.click("[data-testid=do-cancel]")
    page.wait_for_load_state()
    assert page.get_attribute("[data-testid=status]", "data-status") == "cancelled"
