"""Issue 16, mentoring: where a session happens (page, .ics, reminder), one capacity limit, the
buttons a session page offers, ratings on the mentor's page, and the no-show notice and its one
dispute."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy.orm import Session

from matchmaker.models import Notification, User, utcnow
from matchmaker.models.mentoring import MentorSession, SessionReview
from matchmaker.services.mentoring import ratings
from tests.factories import PASSWORD, make_startup
from tests.integration.test_mentoring_support import World, hour_from_now, make_world, put_session

pytestmark = pytest.mark.db


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(EMBEDDING_MODEL="hashing")


@pytest.fixture
def w(db_session: Session) -> World:
    return make_world(db_session)


def login(client: FlaskClient, user: User) -> None:
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def fetch(db_session: Session, session_id: int) -> MentorSession:
    db_session.rollback()
    ms = db_session.get(MentorSession, session_id)
    assert ms is not None
    db_session.refresh(ms)
    return ms


def events(ics: bytes) -> list:  # type: ignore[type-arg]
    return [c for c in Calendar.from_ical(ics).walk() if c.name == "VEVENT"]


# --- 2: where the session happens -------------------------------------------------------------


def test_place_and_video_link_reach_the_page_the_ics_and_the_reminder(client, db_session, w):
    ms = put_session(db_session, w, "scheduled")
    login(client, w.mentor_user)
    bad = client.post(
        f"/mentoring/sessions/{ms.id}/place", data={"meeting_url": "javascript:alert(1)"}
    )
    assert bad.status_code == 422 and b"https://" in bad.data
    assert fetch(db_session, ms.id).meeting_url == ""
    response = client.post(
        f"/mentoring/sessions/{ms.id}/place",
        data={
            "meeting_place": "Room 301, Liangjiang Makerspace",
            "meeting_url": "https://meet.example/abc",
        },
    )
    assert response.status_code == 302
    login(client, w.founder)
    page = client.get(f"/mentoring/sessions/{ms.id}").get_data(as_text=True)
    assert "Room 301, Liangjiang Makerspace" in page and "https://meet.example/abc" in page
    [event] = events(client.get(f"/mentoring/sessions/{ms.id}.ics").data)
    assert str(event["LOCATION"]) == "Room 301, Liangjiang Makerspace"
    assert str(event["URL"]) == "https://meet.example/abc"
    [alarm] = [c for c in event.walk() if c.name == "VALARM"]
    assert "Room 301" in str(alarm["DESCRIPTION"]) and "meet.example" in str(alarm["DESCRIPTION"])
    # The founder was told where it happens.
    db_session.rollback()
    notes = db_session.scalars(
        sa.select(Notification).where(Notification.user_id == w.founder.id)
    ).all()
    assert any(n.kind == "mentoring.place_set" for n in notes)


def test_ics_title_is_in_the_readers_language(client, db_session, w):
    ms = put_session(db_session, w, "scheduled")
    db_session.execute(sa.update(User).where(User.id == w.founder.id).values(locale="zh_CN"))
    db_session.commit()
    login(client, w.founder)
    client.post("/auth/language", data={"locale": "zh_CN"})
    [event] = events(client.get(f"/mentoring/sessions/{ms.id}.ics").data)
    assert str(event["SUMMARY"]).startswith("辅导")
    assert client.post("/mentoring/calendar").status_code == 302
    db_session.rollback()
    feed_token = db_session.get(User, w.founder.id).calendar_token  # type: ignore[union-attr]
    assert feed_token
    client.post("/auth/logout")  # a calendar app has no cookie: the account's language counts
    [event] = events(client.get(f"/calendar/feed/{feed_token}.ics").data)
    assert str(event["SUMMARY"]).startswith("辅导")


# --- 6: one capacity limit --------------------------------------------------------------------


def test_capacity_has_one_limit_for_both_forms(client, db_session, w):
    login(client, w.mentor_user)
    response = client.post(
        "/mentoring/availability/settings",
        data={"timezone": "Asia/Shanghai", "capacity_per_month": "80", "accepting_requests": "y"},
    )
    assert response.status_code == 422
    assert b"from 0 to 60" in response.data
    db_session.rollback()
    db_session.refresh(w.mentor)
    assert w.mentor.capacity_per_month == 4
    response = client.post(
        "/mentoring/availability/settings",
        data={"timezone": "Asia/Seoul", "capacity_per_month": "60", "accepting_requests": "y"},
    )
    assert response.status_code == 302  # the profile form's zones are offered here too
    page = client.get("/me/mentor").get_data(as_text=True)
    assert 'value="60"' in page and "Asia/Seoul" in page


# --- 11: only actions that can succeed --------------------------------------------------------


def test_session_page_offers_only_actions_that_can_succeed(client, db_session, w):
    soon = put_session(db_session, w, "scheduled", starts=hour_from_now(3))
    login(client, w.founder)
    page = client.get(f"/mentoring/sessions/{soon.id}").get_data(as_text=True)
    assert 'data-testid="form-cancel"' not in page and 'data-testid="form-reschedule"' not in page
    assert 'data-testid="form-complete"' not in page and 'data-testid="form-no_show"' not in page
    assert 'data-testid="too-late-to-change"' in page and "24 hours" in page
    assert 'data-testid="complete-later"' in page
    later = put_session(db_session, w, "scheduled", starts=w.slots[2])
    page = client.get(f"/mentoring/sessions/{later.id}").get_data(as_text=True)
    assert 'data-testid="form-cancel"' in page and 'data-testid="too-late-to-change"' not in page
    past = put_session(
        db_session, w, "scheduled", starts=(utcnow() - timedelta(hours=2)).replace(microsecond=0)
    )
    page = client.get(f"/mentoring/sessions/{past.id}").get_data(as_text=True)
    assert 'data-testid="form-complete"' in page and 'data-testid="form-no_show"' in page


# --- 4: ratings and the no-show dispute -------------------------------------------------------


def _rated(db_session: Session, w: World, rating: int, comment: str, share: bool) -> None:
    ms = put_session(
        db_session, w, "completed", startup=make_startup(db_session, w.founder), starts=w.slots[0]
    )
    db_session.add(
        SessionReview(
            session_id=ms.id,
            author_id=w.founder.id,
            side="founder",
            rating=rating,
            public_comment=comment,
            share_comment=share,
        )
    )
    db_session.commit()


def test_review_comment_shared_only_with_consent_and_aggregate_on_mentor_page(
    client, db_session, w
):
    starts = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    ms = put_session(db_session, w, "completed", starts=starts)
    login(client, w.founder)
    response = client.post(
        f"/mentoring/sessions/{ms.id}/review",
        data={"rating": "5", "public_comment": "Sharp advice on XRD", "share_comment": "y"},
    )
    assert response.status_code == 302
    _rated(db_session, w, 2, "Kept to himself", share=False)
    page = client.get(f"/mentors/{w.mentor.id}").get_data(as_text=True)
    assert 'data-testid="rating-mean">3.5<' in page
    assert "2 ratings by founders" in page
    assert "Sharp advice on XRD" in page and "Kept to himself" not in page
    # The hook the recommendation service passes to the engine.
    db_session.rollback()
    summary = ratings.mentor_ratings(db_session, [w.mentor.id])[w.mentor.id]
    assert (summary.count, summary.mean) == (2, 3.5)


def test_no_show_notice_names_the_absent_side_and_can_be_disputed_once(client, db_session, w):
    starts = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    ms = put_session(db_session, w, "scheduled", starts=starts)
    login(client, w.founder)
    assert client.post(f"/mentoring/sessions/{ms.id}/no_show").status_code == 302
    assert fetch(db_session, ms.id).absent_side == "mentor"
    db_session.rollback()
    [notice] = db_session.scalars(
        sa.select(Notification).where(
            Notification.user_id == w.mentor_user.id, Notification.kind == "mentoring.no_show"
        )
    ).all()
    assert notice.params["absent"] == w.mentor.name
    # The founder who marked it cannot dispute it; the absent mentor can, once.
    response = client.post(f"/mentoring/sessions/{ms.id}/dispute", data={"note": "I was there"})
    assert response.status_code == 403
    login(client, w.mentor_user)
    page = client.get(f"/mentoring/sessions/{ms.id}").get_data(as_text=True)
    assert f"Did not come: {w.mentor.name}" in page and 'data-testid="form-dispute"' in page
    assert client.post(f"/mentoring/sessions/{ms.id}/dispute", data={"note": ""}).status_code == 422
    response = client.post(
        f"/mentoring/sessions/{ms.id}/dispute", data={"note": "I waited in room 301 for an hour"}
    )
    assert response.status_code == 302
    again = client.post(f"/mentoring/sessions/{ms.id}/dispute", data={"note": "Again"})
    assert again.status_code == 409
    ms = fetch(db_session, ms.id)
    assert ms.no_show_dispute_note == "I waited in room 301 for an hour"
    assert ms.status == "no_show"


# --- 7: a fully booked mentor is told so ------------------------------------------------------


def test_fully_booked_mentor_is_told_they_are_at_capacity(client, db_session, w):
    login(client, w.mentor_user)
    page = client.get("/").get_data(as_text=True)
    assert "at capacity" not in page
    db_session.rollback()
    db_session.refresh(w.mentor)
    w.mentor.capacity_per_month = 1
    db_session.commit()
    put_session(db_session, w, "scheduled", starts=hour_from_now(1))
    page = client.get("/").get_data(as_text=True)
    assert "You are at capacity this month" in page
    assert "No startup matches your profile yet." not in page
