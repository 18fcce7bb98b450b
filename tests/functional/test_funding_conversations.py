"""Issue 16, funding: the conversation on a pitch (questions, materials, a decline in the
investor's words, the founders' answers), founders asking for an introduction, plurals, Beijing
time in a deal's history and notes, and the labels and number errors of the profile forms."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk, Notification, Startup
from matchmaker.models.funding import FundNote, Introduction, Pitch, PitchMessage
from tests.factories import make_investor, make_startup, make_user

pytestmark = pytest.mark.db

ASK = {
    "round": "seed",
    "amount": "3000000",
    "currency": "CNY",
    "instrument": "equity",
    "use_of_funds": "Pilot line",
    "traction": "3 paying customers",
    "is_open": "y",
}


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(EMBEDDING_MODEL="hashing")


def _login(client: FlaskClient, email: str) -> None:
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"email": email, "password": "password123"})
    assert response.status_code == 302


def _pitched(client: FlaskClient, db_session: Session) -> dict[str, Any]:
    founder = make_user(db_session, "founder", email="founder@sparkcell.cn")
    partner = make_user(db_session, "investor", email="partner@fund.cn")
    make_user(db_session, "founder", "investor", email="stranger@x.cn")
    startup = make_startup(db_session, founder, name="SparkCell")
    fund = make_investor(db_session, partner, name="Fits Capital")
    ids = {"startup": startup.id, "fund": fund.id}
    db_session.rollback()
    _login(client, "founder@sparkcell.cn")
    client.post(f"/funding/startups/{ids['startup']}/asks/new", data=ASK)
    ids["ask"] = db_session.scalar(sa.select(FundingAsk.id))
    response = client.post(f"/funding/asks/{ids['ask']}/pitch", data={"investor_ids": [fund.id]})
    ids["flash"] = client.get(response.headers["Location"]).get_data(as_text=True)
    db_session.rollback()
    ids["pitch"] = db_session.scalar(sa.select(Pitch.id))
    return ids


def test_pitch_thread_question_answer_and_decline_in_own_words(
    client: FlaskClient, db_session: Session
) -> None:
    ids = _pitched(client, db_session)
    thread = f"/funding/pitches/{ids['pitch']}/messages"
    # A founder only answers: declining is the fund's word.
    response = client.post(thread, data={"kind": "decline", "body": "No"})
    assert response.status_code == 422
    _login(client, "stranger@x.cn")
    assert client.get(thread).status_code == 404
    assert client.post(thread, data={"kind": "reply", "body": "Hi"}).status_code == 404

    _login(client, "partner@fund.cn")
    assert client.post(thread, data={"kind": "question", "body": "  "}).status_code == 422
    response = client.post(
        thread, data={"kind": "question", "body": "What is your gross margin per cell?"}
    )
    assert response.status_code == 302
    response = client.post(thread, data={"kind": "materials", "body": "Please send the cap table."})
    assert response.status_code == 302
    deal = client.get(f"/funding/deals/{ids['pitch']}").get_data(as_text=True)
    assert "2 messages" in deal

    _login(client, "founder@sparkcell.cn")
    page = client.get(thread).get_data(as_text=True)
    assert "What is your gross margin per cell?" in page and "Request for materials" in page
    assert "2 messages" in client.get(f"/funding/asks/{ids['ask']}").get_data(as_text=True)
    assert client.post(thread, data={"kind": "reply", "body": "About 18%."}).status_code == 302
    db_session.rollback()
    kinds = db_session.scalars(sa.select(Notification.kind).order_by(Notification.id)).all()
    assert "funding.pitch_question" in kinds and "funding.pitch_reply" in kinds

    _login(client, "partner@fund.cn")
    assert "About 18%." in client.get(thread).get_data(as_text=True)
    response = client.post(
        thread, data={"kind": "decline", "body": "Margins too thin for our fund, sorry."}
    )
    assert response.status_code == 302
    db_session.rollback()
    assert db_session.get(Pitch, ids["pitch"]).stage == "passed"  # type: ignore[union-attr]
    # Closed: no new message from either side.
    assert client.post(thread, data={"kind": "question", "body": "One more"}).status_code == 409
    _login(client, "founder@sparkcell.cn")
    page = client.get(thread).get_data(as_text=True)
    assert "Margins too thin for our fund, sorry." in page and "Not proceeding" in page
    assert 'data-testid="thread-closed"' in page
    assert client.post(thread, data={"kind": "reply", "body": "Thanks"}).status_code == 409
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(PitchMessage.id))) == 4


def test_thread_labels_are_in_the_readers_language(
    client: FlaskClient, db_session: Session
) -> None:
    ids = _pitched(client, db_session)
    _login(client, "partner@fund.cn")
    client.post(
        f"/funding/pitches/{ids['pitch']}/messages",
        data={"kind": "materials", "body": "Send the cap table"},
    )
    _login(client, "founder@sparkcell.cn")
    client.post("/auth/language", data={"locale": "zh_CN"})
    page = client.get(f"/funding/pitches/{ids['pitch']}/messages").get_data(as_text=True)
    assert "索取材料" in page and "Send the cap table" in page


def test_founder_can_ask_for_an_introduction_from_the_ask_page(
    client: FlaskClient, db_session: Session
) -> None:
    ids = _pitched(client, db_session)
    page = client.get(f"/funding/asks/{ids['ask']}").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/funding/introductions/request".*?</form>', page, re.S)
    assert form and 'name="side" value="startup"' in form.group(0)
    response = client.post(
        "/funding/introductions/request",
        data={"startup_id": ids["startup"], "investor_id": ids["fund"], "side": "startup"},
    )
    assert response.status_code == 302
    db_session.rollback()
    intro = db_session.scalar(sa.select(Introduction))
    assert intro is not None and intro.requested_by_side == "startup"


def test_pitch_sent_to_one_investor_is_singular(client: FlaskClient, db_session: Session) -> None:
    ids = _pitched(client, db_session)
    assert "Pitch sent to 1 investor." in ids["flash"]
    assert "1 investors" not in ids["flash"]


def test_deal_history_and_fund_notes_in_beijing_time(
    client: FlaskClient, db_session: Session
) -> None:
    ids = _pitched(client, db_session)
    _login(client, "partner@fund.cn")
    client.post(f"/funding/deals/{ids['pitch']}/stage", data={"to_stage": "reviewing"})
    client.post(f"/funding/deals/{ids['pitch']}/notes", data={"body": "Strong team"})
    db_session.rollback()
    utc = datetime(2026, 3, 1, 20, 30)  # 04:30 the next day in Beijing
    db_session.execute(sa.update(FundNote).values(created_at=utc))
    pitch = db_session.get(Pitch, ids["pitch"])
    assert pitch is not None
    for change in pitch.history:
        change.created_at = utc
    db_session.commit()
    page = client.get(f"/funding/deals/{ids['pitch']}").get_data(as_text=True)
    assert "2026-03-01 20:30" not in page
    assert page.count("2026-03-02 04:30 (Beijing time)") >= 2


# --- profile form labels and number errors (8) ------------------------------------------------


def _errors(html: str) -> list[str]:
    return re.findall(r'class="invalid-feedback[^"]*">(.*?)</div>', html, re.S)


def test_profile_labels_and_one_clear_error_per_bad_number(
    client: FlaskClient, db_session: Session
) -> None:
    user = make_user(db_session, "founder", "investor", email="both@x.cn", locale="zh_CN")
    startup = make_startup(db_session, user, name="SparkCell")
    fund = make_investor(db_session, user, name="Fits Capital")
    db_session.rollback()
    _login(client, "both@x.cn")
    startup_page = client.get(f"/me/startups/{startup.id}/edit").get_data(as_text=True)
    fund_page = client.get(f"/me/investors/{fund.id}/edit").get_data(as_text=True)
    assert "创业公司名称" in startup_page and "机构名称" in fund_page
    assert "姓名" not in startup_page and "姓名" not in fund_page
    assert "融资工具</legend>" in fund_page and "仪器</legend>" not in fund_page

    response = client.post(
        f"/me/startups/{startup.id}/edit",
        data={
            "name": "SparkCell",
            "sectors": ["new_energy", "not-a-sector"],
            "team_size": "abc",
            "funding_need_amount": "1e30",
        },
    )
    errors = _errors(response.get_data(as_text=True))
    assert errors.count("请输入整数。") == 1  # team size: one error, not two
    assert "数字太大：整数部分最多 14 位。" in errors  # 1e30: too large, not "below 0"
    assert not any("0" in e and "金额" in e for e in errors)
    assert "请只从列表中选择。" in errors  # WTForms' untranslated choice message is ours
    assert not any("not a valid choice" in e for e in errors)
    db_session.rollback()
    assert db_session.get(Startup, startup.id).team_size == 5  # type: ignore[union-attr]


# --- 2: where the investor meeting happens ----------------------------------------------------


def test_investor_meeting_place_and_link_in_pages_ics_and_notice(
    client: FlaskClient, db_session: Session
) -> None:
    ids = _pitched(client, db_session)
    _login(client, "partner@fund.cn")
    url = f"/funding/deals/{ids['pitch']}/meeting"
    meeting = {
        "starts_at": "2099-05-04T14:00",  # Beijing time
        "minutes": "90",
        "place": "Fits Capital, 12F Jiefangbei Tower",
        "url": "https://meet.example/fits",
    }
    assert client.post(url, data=meeting).status_code == 409  # not at the meeting stage yet
    for stage in ("reviewing", "meeting"):
        client.post(f"/funding/deals/{ids['pitch']}/stage", data={"to_stage": stage})
    assert client.post(url, data={**meeting, "url": "ftp://x"}).status_code == 422
    assert client.post(url, data={**meeting, "starts_at": "2001-01-01T10:00"}).status_code == 422
    assert client.post(url, data=meeting).status_code == 302
    db_session.rollback()
    pitch = db_session.get(Pitch, ids["pitch"])
    assert pitch is not None and pitch.meeting_starts_at == datetime(2099, 5, 4, 6, 0)
    notice = db_session.scalar(
        sa.select(Notification).where(Notification.kind == "funding.meeting_set")
    )
    assert notice is not None and "12F Jiefangbei Tower" in notice.params["where"]

    _login(client, "founder@sparkcell.cn")
    page = client.get(f"/funding/pitches/{ids['pitch']}/messages").get_data(as_text=True)
    assert "2099-05-04 14:00 (Beijing time)" in page and "https://meet.example/fits" in page
    ics = client.get(f"/funding/pitches/{ids['pitch']}/meeting.ics")
    assert ics.status_code == 200
    from icalendar import Calendar

    [event] = [c for c in Calendar.from_ical(ics.data).walk() if c.name == "VEVENT"]
    assert str(event["LOCATION"]) == "Fits Capital, 12F Jiefangbei Tower"
    assert str(event["URL"]) == "https://meet.example/fits"
    assert str(event["SUMMARY"]) == "Investor meeting: SparkCell × Fits Capital"
    [alarm] = [c for c in event.walk() if c.name == "VALARM"]
    assert "meet.example/fits" in str(alarm["DESCRIPTION"])
    _login(client, "stranger@x.cn")
    assert client.get(f"/funding/pitches/{ids['pitch']}/meeting.ics").status_code == 404
