"""The mentoring pages over HTTP: every form, its bad input (a clear error, nothing changed) and
strangers (403/404)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy.orm import Session

from matchmaker import timezones
from matchmaker.models import User, utcnow
from matchmaker.models.mentoring import (
    BlackoutDate,
    MentorSession,
    OneOffOpening,
    SessionReview,
    WeeklySlot,
)
from tests.factories import PASSWORD, make_startup, make_user
from tests.integration.test_mentoring_support import (
    World,
    hour_from_now,
    make_world,
    open_slot,
    put_session,
)

pytestmark = pytest.mark.db


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    # The cheap embedder: the inbox asks the engine for its reasons.
    return make_app(EMBEDDING_MODEL="hashing")


@pytest.fixture
def w(db_session: Session) -> World:
    return make_world(db_session)


def login(client: FlaskClient, user: User) -> None:
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def key(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def count(db_session: Session, model: type = MentorSession, *where: object) -> int:
    db_session.rollback()
    return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def fetch(db_session: Session, session_id: int) -> MentorSession:
    db_session.rollback()
    ms = db_session.get(MentorSession, session_id)
    assert ms is not None
    db_session.refresh(ms)
    return ms


def request_data(w: World, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "startup_id": w.startup.id,
        "topic": "technology",
        "goal": "Review our XRD test plan",
        "slots": [key(w.slots[0]), key(w.slots[1])],
    }
    data.update(overrides)
    return data


# --- requesting --------------------------------------------------------------------------------


def test_founder_requests_and_both_sides_see_it(client, db_session, w):
    login(client, w.founder)
    page = client.get(f"/mentoring/request/{w.mentor.id}")
    assert page.status_code == 200
    assert key(w.slots[0]).encode() in page.data
    response = client.post(f"/mentoring/request/{w.mentor.id}", data=request_data(w))
    assert response.status_code == 302
    db_session.rollback()
    ms = db_session.scalars(sa.select(MentorSession)).one()
    assert response.headers["Location"].endswith(f"/mentoring/sessions/{ms.id}")
    assert ms.status == "requested" and len(ms.proposals) == 2
    assert w.mentor.name.encode() in client.get("/mentoring/").data
    client.post("/auth/logout")
    login(client, w.mentor_user)
    inbox = client.get("/mentoring/inbox")
    assert inbox.status_code == 200 and w.startup.name.encode() in inbox.data
    assert b'id="unread-count">1<' in inbox.data


def test_a_request_waits_the_configured_hours_for_its_answer(make_app, db_session):
    client = make_app(EMBEDDING_MODEL="hashing", MENTORING_REQUEST_TTL_HOURS=5).test_client()
    w = make_world(db_session)
    login(client, w.founder)
    response = client.post(f"/mentoring/request/{w.mentor.id}", data=request_data(w))
    assert response.status_code == 302
    db_session.rollback()
    ms = db_session.scalars(sa.select(MentorSession)).one()
    assert ms.expires_at is not None
    assert utcnow() + timedelta(hours=4, minutes=59) < ms.expires_at
    assert ms.expires_at < utcnow() + timedelta(hours=5, minutes=1)
    assert response.headers["Location"].endswith(f"/mentoring/sessions/{ms.id}")
    # A move that hands the request to the other side gives them the same window.
    client.post("/auth/logout")
    login(client, w.mentor_user)
    ms.expires_at = utcnow() + timedelta(hours=1)
    db_session.commit()
    client.post(f"/mentoring/sessions/{ms.id}/ask", data={"question": "What is your budget?"})
    ms = fetch(db_session, ms.id)
    assert ms.awaiting == "founder" and ms.expires_at is not None
    assert utcnow() + timedelta(hours=4, minutes=59) < ms.expires_at


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slots": "past"}, b"That time is in the past."),
        ({"slots": "not_offered"}, b"The mentor does not offer that time."),
        ({"slots": ["yesterday at noon"]}, b"The mentor does not offer that time."),
        ({"slots": []}, b"Pick at least one of the mentor"),
        ({"slots": "four"}, b"Pick at most three times."),
        ({"goal": ""}, b"This field is required."),
        ({"topic": "astrology"}, b"Not a valid choice"),
    ],
)
def test_bad_requests_get_a_clear_error_and_change_nothing(
    client, db_session, w, overrides, message
):
    if overrides.get("slots") == "past":
        overrides = {"slots": [key(utcnow() - timedelta(hours=5))]}
    elif overrides.get("slots") == "not_offered":
        overrides = {"slots": [key(w.slots[0] + timedelta(minutes=30))]}
    elif overrides.get("slots") == "four":
        overrides = {"slots": [key(s) for s in w.slots[:4]]}
    login(client, w.founder)
    response = client.post(f"/mentoring/request/{w.mentor.id}", data=request_data(w, **overrides))
    assert response.status_code == 422
    assert message in response.data
    assert count(db_session) == 0


def test_request_to_a_paused_mentor_is_refused(client, db_session, w):
    w.mentor.accepting_requests = False
    db_session.commit()
    login(client, w.founder)
    assert b"not taking new requests" in client.get(f"/mentoring/request/{w.mentor.id}").data
    response = client.post(f"/mentoring/request/{w.mentor.id}", data=request_data(w))
    assert response.status_code == 422
    assert b"not accepting requests" in response.data
    assert count(db_session) == 0


def test_request_for_someone_elses_startup_changes_nothing(client, db_session, w):
    other = make_startup(db_session, make_user(db_session))
    make_startup(db_session, w.stranger)
    login(client, w.stranger)
    response = client.post(
        f"/mentoring/request/{w.mentor.id}", data=request_data(w, startup_id=other.id)
    )
    assert response.status_code == 422
    assert count(db_session) == 0


def test_users_without_a_startup_cannot_request(client, db_session, w):
    login(client, make_user(db_session, "investor"))
    assert client.get(f"/mentoring/request/{w.mentor.id}").status_code == 403


def test_request_needs_sign_in(client, w):
    response = client.get(f"/mentoring/request/{w.mentor.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- the mentor's actions ------------------------------------------------------------------------


def test_mentor_accepts_through_the_form(client, db_session, w):
    ms = put_session(db_session, w, "requested")
    login(client, w.mentor_user)
    page = client.get(f"/mentoring/sessions/{ms.id}")
    assert page.status_code == 200 and b'data-testid="form-accept"' in page.data
    response = client.post(f"/mentoring/sessions/{ms.id}/accept", data={"slot": key(w.slots[0])})
    assert response.status_code == 302
    assert fetch(db_session, ms.id).status == "scheduled"


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({}, 422, b"Pick a time."),
        ({"slot": "soon"}, 422, b"The mentor does not offer that time."),
        ({"slot": "2020-01-01T10:00"}, 422, b"That time is in the past."),
    ],
)
def test_bad_accepts_change_nothing(client, db_session, w, data, status, message):
    ms = put_session(db_session, w, "requested")
    login(client, w.mentor_user)
    response = client.post(f"/mentoring/sessions/{ms.id}/accept", data=data)
    assert response.status_code == status
    assert message in response.data
    assert fetch(db_session, ms.id).status == "requested"


def test_accepting_a_closed_request_is_a_conflict(client, db_session, w):
    ms = put_session(db_session, w, "withdrawn")
    login(client, w.mentor_user)
    response = client.post(f"/mentoring/sessions/{ms.id}/accept", data={"slot": key(w.slots[0])})
    assert response.status_code == 409
    assert b"You cannot accept this session: it is withdrawn." in response.data


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("accept", {"slot": "x"}),
        ("decline", {"reason": "no_time"}),
        ("propose", {"slots": ["x"]}),
        ("ask", {"question": "?"}),
        ("withdraw", {}),
        ("cancel", {}),
        ("complete", {}),
        ("review", {"rating": "5"}),
    ],
)
def test_strangers_get_403_or_404_and_change_nothing(client, db_session, w, action, data):
    ms = put_session(db_session, w, "requested")
    login(client, w.stranger)
    response = client.post(f"/mentoring/sessions/{ms.id}/{action}", data=data)
    assert response.status_code in (403, 404)
    assert fetch(db_session, ms.id).status == "requested"
    assert client.get(f"/mentoring/sessions/{ms.id}").status_code == 404
    assert client.get(f"/mentoring/sessions/{ms.id}.ics").status_code == 404


def test_founder_cannot_accept_their_own_request(client, db_session, w):
    ms = put_session(db_session, w, "requested")
    login(client, w.founder)
    response = client.post(f"/mentoring/sessions/{ms.id}/accept", data={"slot": key(w.slots[0])})
    assert response.status_code == 403
    assert fetch(db_session, ms.id).status == "requested"


def test_decline_needs_a_reason(client, db_session, w):
    ms = put_session(db_session, w, "requested")
    login(client, w.mentor_user)
    response = client.post(f"/mentoring/sessions/{ms.id}/decline", data={"reason": ""})
    assert response.status_code == 422
    assert fetch(db_session, ms.id).status == "requested"
    response = client.post(
        f"/mentoring/sessions/{ms.id}/decline", data={"reason": "too_early", "note": "Come back"}
    )
    assert response.status_code == 302
    assert fetch(db_session, ms.id).status == "declined"


def test_propose_times_then_founder_chooses(client, db_session, w):
    ms = put_session(db_session, w, "requested")
    login(client, w.mentor_user)
    response = client.post(
        f"/mentoring/sessions/{ms.id}/propose", data={"slots": [key(hour_from_now(900))]}
    )
    assert response.status_code == 422
    response = client.post(
        f"/mentoring/sessions/{ms.id}/propose", data={"slots": [key(w.slots[2])]}
    )
    assert response.status_code == 302
    client.post("/auth/logout")
    login(client, w.founder)
    page = client.get(f"/mentoring/sessions/{ms.id}")
    assert b'data-testid="form-choose"' in page.data
    response = client.post(f"/mentoring/sessions/{ms.id}/choose", data={"slot": key(w.slots[1])})
    assert response.status_code == 422
    assert b"Pick one of the times the mentor proposed." in response.data
    response = client.post(f"/mentoring/sessions/{ms.id}/choose", data={"slot": key(w.slots[2])})
    assert response.status_code == 302
    ms = fetch(db_session, ms.id)
    assert (ms.status, ms.starts_at) == ("scheduled", w.slots[2])


def test_ask_and_answer(client, db_session, w):
    ms = put_session(db_session, w, "requested")
    login(client, w.mentor_user)
    assert client.post(f"/mentoring/sessions/{ms.id}/ask", data={"question": ""}).status_code == 422
    client.post(f"/mentoring/sessions/{ms.id}/ask", data={"question": "What is your budget?"})
    client.post("/auth/logout")
    login(client, w.founder)
    page = client.get(f"/mentoring/sessions/{ms.id}")
    assert b"What is your budget?" in page.data and b'data-testid="form-answer"' in page.data
    client.post(f"/mentoring/sessions/{ms.id}/answer", data={"answer": "20k CNY"})
    ms = fetch(db_session, ms.id)
    assert (ms.awaiting, ms.info_answer) == ("mentor", "20k CNY")


def test_withdraw(client, db_session, w):
    ms = put_session(db_session, w, "requested")
    login(client, w.founder)
    assert client.post(f"/mentoring/sessions/{ms.id}/withdraw").status_code == 302
    assert fetch(db_session, ms.id).status == "withdrawn"


# --- scheduled sessions ----------------------------------------------------------------------


def test_cancel_too_late_is_refused(client, db_session, w):
    starts = open_slot(db_session, w.mentor, hour_from_now(3))
    ms = put_session(db_session, w, "scheduled", starts=starts)
    login(client, w.founder)
    response = client.post(f"/mentoring/sessions/{ms.id}/cancel", data={"note": "Sorry"})
    assert response.status_code == 422
    assert b"up to 24 hours before" in response.data
    assert fetch(db_session, ms.id).status == "scheduled"


def test_cancel_and_reschedule_within_policy(client, db_session, w):
    ms = put_session(db_session, w, "scheduled")
    login(client, w.mentor_user)
    response = client.post(f"/mentoring/sessions/{ms.id}/reschedule", data={"slot": "nonsense"})
    assert response.status_code == 422
    response = client.post(
        f"/mentoring/sessions/{ms.id}/reschedule", data={"slot": key(w.slots[3])}
    )
    assert response.status_code == 302
    assert fetch(db_session, ms.id).status == "rescheduled"
    db_session.rollback()
    new = db_session.scalars(
        sa.select(MentorSession).where(MentorSession.rescheduled_from_id == ms.id)
    ).one()
    assert response.headers["Location"].endswith(f"/mentoring/sessions/{new.id}")
    assert client.post(f"/mentoring/sessions/{new.id}/cancel", data={}).status_code == 302
    assert fetch(db_session, new.id).status == "cancelled"


def test_complete_and_review(client, db_session, w):
    starts = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    ms = put_session(db_session, w, "scheduled", starts=starts)
    login(client, w.founder)
    ics = client.get(f"/mentoring/sessions/{ms.id}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(ics.data).walk() if c.name == "VEVENT"]
    assert events[0].decoded("dtstart").replace(tzinfo=None) == starts
    assert (
        client.post(f"/mentoring/sessions/{ms.id}/review", data={"rating": "5"}).status_code == 409
    )
    assert client.post(f"/mentoring/sessions/{ms.id}/complete").status_code == 302
    assert fetch(db_session, ms.id).status == "completed"
    response = client.post(f"/mentoring/sessions/{ms.id}/review", data={"rating": "9"})
    assert response.status_code == 422
    assert count(db_session, SessionReview) == 0
    response = client.post(
        f"/mentoring/sessions/{ms.id}/review",
        data={"rating": "4", "notes": "My private note", "follow_up_actions": "Send deck"},
    )
    assert response.status_code == 302
    page = client.get(f"/mentoring/sessions/{ms.id}")
    assert b'data-testid="own-rating">4<' in page.data and b"My private note" in page.data
    assert b'data-testid="follow-up"' in page.data
    client.post("/auth/logout")
    login(client, w.mentor_user)
    page = client.get(f"/mentoring/sessions/{ms.id}")
    assert b"My private note" not in page.data  # notes are private to their author
    assert b'data-testid="form-review"' in page.data


def test_no_show_before_the_start_is_refused(client, db_session, w):
    ms = put_session(db_session, w, "scheduled")
    login(client, w.mentor_user)
    response = client.post(f"/mentoring/sessions/{ms.id}/no_show")
    assert response.status_code == 422
    assert b"has not started yet" in response.data
    assert fetch(db_session, ms.id).status == "scheduled"


def test_unknown_action_is_404(client, db_session, w):
    ms = put_session(db_session, w, "requested")
    login(client, w.mentor_user)
    assert client.post(f"/mentoring/sessions/{ms.id}/explode").status_code == 404


# --- calendar feed --------------------------------------------------------------------------------


def test_calendar_feed_create_read_revoke(client, db_session, w):
    ms = put_session(db_session, w, "scheduled")
    login(client, w.founder)
    assert client.post("/mentoring/calendar").status_code == 302
    db_session.rollback()
    token = db_session.get(User, w.founder.id).calendar_token
    assert token and token.encode() in client.get("/mentoring/calendar").data
    client.post("/auth/logout")
    feed = client.get(f"/calendar/feed/{token}.ics")
    assert feed.status_code == 200
    uids = [str(c["uid"]) for c in Calendar.from_ical(feed.data).walk() if c.name == "VEVENT"]
    assert uids == [f"mentor-session-{ms.id}@matchmaker"]
    login(client, w.founder)
    client.post("/mentoring/calendar/revoke")
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404
    assert client.get("/calendar/feed/guess.ics").status_code == 404


# --- availability ---------------------------------------------------------------------------------


def test_availability_forms(client, db_session, w):
    login(client, w.mentor_user)
    assert client.get("/mentoring/availability").status_code == 200
    response = client.post(
        "/mentoring/availability/settings",
        data={"timezone": "Asia/Tokyo", "capacity_per_month": "-1", "accepting_requests": "y"},
    )
    assert response.status_code == 422
    response = client.post(
        "/mentoring/availability/settings",
        data={"timezone": "Asia/Tokyo", "capacity_per_month": "6"},
    )
    assert response.status_code == 302
    db_session.rollback()
    db_session.refresh(w.mentor)
    assert (w.mentor.timezone, w.mentor.capacity_per_month, w.mentor.accepting_requests) == (
        "Asia/Tokyo",
        6,
        False,
    )
    response = client.post(
        "/mentoring/availability/weekly",
        data={"weekday": "1", "start_time": "10:00", "duration_minutes": "60"},
    )
    assert response.status_code == 302
    response = client.post(
        "/mentoring/availability/weekly",
        data={"weekday": "1", "start_time": "10:00", "duration_minutes": "60"},
    )
    assert response.status_code == 409 and b"already have a weekly slot" in response.data
    assert count(db_session, WeeklySlot) == 1
    openings = count(db_session, OneOffOpening)
    response = client.post(
        "/mentoring/availability/opening",
        data={"starts_at": "2020-05-01T10:00", "duration_minutes": "60"},
    )
    assert response.status_code == 422 and b"That time is in the past." in response.data
    assert count(db_session, OneOffOpening) == openings
    response = client.post("/mentoring/availability/blackout", data={"day": "2030-01-02"})
    assert response.status_code == 302
    db_session.rollback()
    blackout = db_session.scalars(sa.select(BlackoutDate)).one()
    client.post("/auth/logout")
    login(client, w.stranger)
    assert client.post(f"/mentoring/availability/blackout/{blackout.id}/remove").status_code == 404
    assert count(db_session, BlackoutDate) == 1


# --- office hours, navigation, dashboard, mentor page ------------------------------------------


def test_office_hours_only_for_operators(client, db_session, w):
    login(client, w.founder)
    assert client.get("/mentoring/office-hours").status_code == 403


def test_office_hours_preview_and_publish(client, db_session, w):
    operator = make_user(db_session, "operator")
    day = timezones.to_local(w.slots[0], w.mentor.timezone).date()
    login(client, operator)
    assert client.get("/mentoring/office-hours").status_code == 200
    form = {
        "day": day.isoformat(),
        "topic": "strategy",
        "startups": [str(w.startup.id)],
        "mentors": [str(w.mentor.id)],
        "action": "preview",
    }
    preview = client.post("/mentoring/office-hours", data=form)
    assert preview.status_code == 200 and b'data-testid="plan"' in preview.data
    assert f'value="{w.startup.id}" selected'.encode() in preview.data
    slot_fields = {}
    text = preview.data.decode()
    for part in text.split('name="slot-')[1:]:
        name = "slot-" + part.split('"')[0]
        slot_fields[name] = ""
    first = sorted(slot_fields)[0]
    slot_fields[first] = str(w.startup.id)
    published = client.post(
        "/mentoring/office-hours", data={**form, **slot_fields, "action": "publish"}
    )
    assert published.status_code == 302
    db_session.rollback()
    ms = db_session.scalars(sa.select(MentorSession)).one()
    assert (ms.status, ms.source) == ("scheduled", "office_hours")


def test_navigation_and_dashboard(client, db_session, w):
    put_session(db_session, w, "requested")
    login(client, w.mentor_user)
    home = client.get("/")
    assert b"Mentor inbox" in home.data
    assert b'data-testid="mentor-pending">1<' in home.data
    client.post("/auth/logout")
    login(client, w.founder)
    assert b"My mentoring" in client.get("/").data


def test_mentor_page_offers_a_request_button(client, db_session, w):
    login(client, w.founder)
    page = client.get(f"/mentors/{w.mentor.id}")
    if page.status_code == 404:
        pytest.skip("directory pages not available")
    assert b'data-testid="request-session"' in page.data


def test_errors_are_translated(client, db_session, w):
    w.founder.locale = "zh_CN"
    db_session.commit()
    login(client, w.founder)
    response = client.post(
        f"/mentoring/request/{w.mentor.id}",
        data=request_data(w, slots=[key(utcnow() - timedelta(hours=5))]),
    )
    assert response.status_code == 422
    assert "该时间已经过去".encode() in response.data


def test_expire_requests_command(runner, db_session, w):
    ms = put_session(db_session, w, "requested")
    ms.expires_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    result = runner.invoke(args=["mentoring", "expire-requests"])
    assert result.exit_code == 0, result.output
    assert "1 request(s) expired" in result.output
    assert fetch(db_session, ms.id).status == "expired"


def test_mentors_are_not_offered_the_follow_up_box(client, db_session, w):
    ms = put_session(db_session, w, "completed", starts=utcnow() - timedelta(hours=3))
    login(client, w.mentor_user)
    page = client.get(f"/mentoring/sessions/{ms.id}")
    assert b'data-testid="form-review"' in page.data
    assert b"wants_follow_up" not in page.data
