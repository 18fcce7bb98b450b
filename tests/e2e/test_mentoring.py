"""In a real browser: a founder requests a session with a recommended mentor, the mentor accepts,
both see the scheduled session and download its .ics, and both rate it once it is over."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from sqlalchemy.orm import Session

from matchmaker.models import MatchOutcome, utcnow
from matchmaker.models.mentoring import MentorSession, SessionReview
from tests.e2e.browser import sign_in
from tests.integration.test_mentoring_support import make_world

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The fast hashing embedder: these pages do not depend on the engine's quality."""
    return {**app_config, "EMBEDDING_MODEL": "hashing"}


def download_ics(page: Any, tmp_path: Path, name: str) -> Calendar:
    with page.expect_download() as info:
        page.click("[data-testid=download-ics]")
    target = tmp_path / name
    info.value.save_as(target)
    return Calendar.from_ical(target.read_bytes())


def test_request_accept_attend_and_rate(page: Any, db_session: Session, tmp_path: Path) -> None:
    w = make_world(db_session, n_slots=3)
    for user in (w.founder, w.mentor_user):
        user.locale = "en"
    db_session.commit()
    founder_email, mentor_id = w.founder.email, w.mentor.id

    # The founder finds the mentor among their recommendations (or, if the engine has none to
    # offer, on the mentor's page in the directory) and asks for a session.
    sign_in(page, w.founder.email)
    page.goto("/")
    recommended = page.locator(f"[data-testid=match][data-kind=mentor][data-id='{mentor_id}'] a")
    if importlib.util.find_spec("matchmaker.web.recommendations.views") is not None:
        assert recommended.count(), "the engine should recommend this mentor"
    if recommended.count():
        recommended.first.click()
    else:
        page.goto(f"/mentors/{mentor_id}")
    page.wait_for_url(f"**/mentors/{mentor_id}")
    page.click("[data-testid=request-session]")
    page.select_option("#topic", "technology")
    page.fill("#goal", "Review our XRD test plan before the pilot run.")
    page.locator("[data-testid=request-form] input[name=slots]").first.check()
    page.click("[data-testid=send-request]")
    page.wait_for_url("**/mentoring/sessions/*")
    assert page.get_attribute("[data-testid=status]", "data-status") == "requested"
    session_url = page.url

    # The mentor sees it in the inbox with the startup's profile and accepts the proposed time.
    sign_in(page, w.mentor_user.email)
    page.goto("/mentoring/inbox")
    assert w.startup.name in page.inner_text("[data-testid=pending]")
    page.click("[data-testid=open-request]")
    page.locator("[data-testid=form-accept] input[name=slot]").first.check()
    page.click("[data-testid=do-accept]")
    page.wait_for_load_state()
    assert page.get_attribute("[data-testid=status]", "data-status") == "scheduled"
    mentor_cal = download_ics(page, tmp_path, "mentor.ics")
    page.goto("/mentoring/inbox")
    assert w.startup.name in page.inner_text("[data-testid=upcoming]")

    # The founder sees the scheduled session and downloads it too.
    sign_in(page, w.founder.email)
    page.goto("/mentoring/")
    assert w.mentor.name in page.inner_text("[data-testid=upcoming]")
    page.click("[data-testid=upcoming] a")
    founder_cal = download_ics(page, tmp_path, "founder.ics")
    db_session.rollback()
    ms = db_session.scalars(sa.select(MentorSession)).one()
    for cal in (mentor_cal, founder_cal):
        (event,) = [c for c in cal.walk() if c.name == "VEVENT"]
        assert event.decoded("dtstart").replace(tzinfo=None) == ms.starts_at
        assert str(event["uid"]) == f"mentor-session-{ms.id}@matchmaker"

    # Time passes: the session is over.
    ended = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    ms.starts_at, ms.ends_at = ended - timedelta(hours=1), ended
    db_session.commit()

    page.goto(session_url)
    page.click("[data-testid=do-complete]")
    page.wait_for_load_state()
    assert page.get_attribute("[data-testid=status]", "data-status") == "completed"
    page.check("[data-testid=form-review] input[name=rating][value='5']")
    page.fill("[data-testid=form-review] textarea[name=notes]", "Very concrete advice.")
    page.click("[data-testid=do-review]")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=own-rating]") == "5"

    sign_in(page, w.mentor_user.email)
    page.goto(session_url)
    assert "Very concrete advice." not in page.inner_text("main")
    page.check("[data-testid=form-review] input[name=rating][value='4']")
    page.fill("[data-testid=form-review] textarea[name=follow_up_actions]", "Send the plan")
    page.click("[data-testid=do-review]")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=own-rating]") == "4"

    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(SessionReview.id))) == 2
    rated = db_session.scalars(
        sa.select(MatchOutcome).where(MatchOutcome.outcome == "completed")
    ).one()
    assert rated.rating == 5
    assert founder_email  # signed in as both sides above
