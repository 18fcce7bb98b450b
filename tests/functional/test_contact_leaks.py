"""No page, export, feed or JSON API shows the other party's contacts before a double opt-in.

A founder and a fund partner go through pitch -> introduction request -> acceptance. At each step
every GET route of the app (found through ``app.url_map``) is fetched as each of them, and the
other party's e-mail, phone and WeChat ID must appear nowhere until both sides accepted; after,
they appear where introductions are listed. Someone the fund invited, who has not accepted, is
never anybody's contact.

Phone and WeChat are entered on the user's own page, each with its own consent: the founder
agrees to share both, the partner only WeChat, so the partner's phone is never shown to anyone,
before or after. E-mails the platform sends (the outbox) never carry a phone or WeChat ID.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk, User
from matchmaker.models.funding import Introduction, Pitch
from matchmaker.models.outbox import OutboxEmail
from tests.factories import make_investor, make_startup, make_user
from tests.page_walk import Visit, get_urls, leaks, walk

FOUNDER = {
    "email": "founder.secret@sparkcell.example",
    "phone": "+86 138 5555 0101",
    "wechat_id": "wx_founder_secret",
}
INVITEE = {
    "email": "invitee.secret@example.com",
    "phone": "+86 137 5555 0303",
    "wechat_id": "wx_invitee_secret",
}
PARTNER = {
    "email": "partner.secret@fund.example",
    "phone": "+86 139 5555 0202",
    "wechat_id": "wx_partner_secret",
}
ASK_FORM = {
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


def _save_contacts(client: FlaskClient, secrets: dict[str, str], **consent: str) -> None:
    """Phone and WeChat through the form on the user's own page, with the boxes ticked."""
    response = client.post(
        "/me/contacts",
        data={"phone": secrets["phone"], "wechat_id": secrets["wechat_id"], **consent},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def _world(client: FlaskClient, db_session: Session) -> dict[str, Any]:
    founder = make_user(
        db_session,
        "founder",
        display_name="Spark Founder",
        calendar_token="f" * 40,
        email=FOUNDER["email"],
    )
    partner = make_user(
        db_session,
        "investor",
        display_name="Fund Partner",
        calendar_token="p" * 40,
        email=PARTNER["email"],
    )
    startup = make_startup(db_session, founder, name="SparkCell")
    fund = make_investor(db_session, partner, name="Fits Capital")
    make_user(db_session, "investor", display_name="Invited Person", **INVITEE)
    ids: dict[str, Any] = {"startup_id": startup.id, "investor_id": fund.id, "year": 2026}
    db_session.rollback()
    _login(client, PARTNER["email"])
    # The partner gives a phone but agrees to share only the WeChat ID.
    _save_contacts(client, PARTNER, share_wechat="y")
    client.post(f"/me/investors/{fund.id}/members", data={"email": INVITEE["email"]})
    _login(client, FOUNDER["email"])
    _save_contacts(client, FOUNDER, share_phone="y", share_wechat="y")
    client.post(f"/funding/startups/{ids['startup_id']}/asks/new", data=ASK_FORM)
    ids["ask_id"] = db_session.scalar(sa.select(FundingAsk.id))
    client.post(f"/funding/asks/{ids['ask_id']}/pitch", data={"investor_ids": [fund.id]})
    db_session.rollback()
    ids["pitch_id"] = db_session.scalar(sa.select(Pitch.id))
    assert ids["ask_id"] and ids["pitch_id"]
    ids["founder"], ids["partner"] = founder.id, partner.id
    return ids


def _walk_as(
    app: Flask, client: FlaskClient, email: str, ids: dict[str, Any], token: str
) -> list[Visit]:
    _login(client, email)
    visits = walk(client, get_urls(app, {**ids, "token": token}))
    # The fund's own list of pending invitations echoes the address its member typed: that is
    # not a contact anyone shared, and it shows the same for an address no account uses.
    return [
        replace(
            v, body=re.sub(r'data-testid="pending-invitations".*?</ul>', "", v.body, flags=re.S)
        )
        for v in visits
    ]


def test_contacts_appear_only_after_both_sides_accepted(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    ids = _world(client, db_session)
    founder_secrets, partner_secrets = list(FOUNDER.values()), list(PARTNER.values())
    invitee_secrets = [*INVITEE.values(), "Invited Person"]
    private_phone = [PARTNER["phone"]]  # stored, never consented to: never shown to others

    def check_outbox() -> None:
        db_session.rollback()
        mails = " ".join(m.body + m.subject for m in db_session.scalars(sa.select(OutboxEmail)))
        assert mails  # the walk reaches notifications that were really mailed
        channels = [s[k] for s in (FOUNDER, PARTNER) for k in ("phone", "wechat_id")]
        assert [c for c in channels if c in mails] == []

    def check_nothing_leaks() -> None:
        founder_visits = _walk_as(app, client, FOUNDER["email"], ids, "f" * 40)
        partner_visits = _walk_as(app, client, PARTNER["email"], ids, "p" * 40)
        # The walk reached real pages, feeds and exports, not only error pages.
        for visits in (founder_visits, partner_visits):
            ok = {v.url for v in visits if v.status == 200}
            assert {"/funding/introductions", "/funding/api/introductions"} <= ok
            assert any(url.endswith(".ics") for url in ok)
        assert f"/funding/deals/{ids['pitch_id']}" in {
            v.url for v in partner_visits if v.status == 200
        }
        assert leaks(founder_visits, partner_secrets) == []
        assert leaks(partner_visits, founder_secrets) == []
        assert leaks(founder_visits + partner_visits, invitee_secrets) == []

    check_nothing_leaks()  # pitched, no introduction yet
    check_outbox()

    _login(client, FOUNDER["email"])
    response = client.post(
        "/funding/introductions/request",
        data={
            "startup_id": ids["startup_id"],
            "investor_id": ids["investor_id"],
            "side": "startup",
        },
    )
    assert response.status_code == 302
    db_session.rollback()
    intro_id = db_session.scalar(sa.select(Introduction.id))
    assert intro_id is not None
    check_nothing_leaks()  # one side accepted
    check_outbox()

    _login(client, PARTNER["email"])
    assert client.post(f"/funding/introductions/{intro_id}/accept").status_code == 302
    db_session.rollback()
    assert db_session.get(Introduction, intro_id).status == "accepted"  # type: ignore[union-attr]

    founder_visits = _walk_as(app, client, FOUNDER["email"], ids, "f" * 40)
    partner_visits = _walk_as(app, client, PARTNER["email"], ids, "p" * 40)
    shared_by_partner = [PARTNER["email"], PARTNER["wechat_id"]]
    for visits, secrets in (
        (founder_visits, shared_by_partner),
        (partner_visits, founder_secrets),
    ):
        shown = {url for url, _ in leaks(visits, secrets)}
        assert {"/funding/introductions", "/funding/api/introductions"} <= shown
        # Each consented channel is shared in full, on the introductions page and its JSON.
        for url in ("/funding/introductions", "/funding/api/introductions"):
            page = next(v.body for v in visits if v.url == url)
            assert all(s in page for s in secrets), url
        # ... and only there: never in an export, a calendar feed or another page.
        assert shown <= {"/funding/introductions", "/funding/api/introductions"}, shown
    assert leaks(founder_visits, private_phone) == []  # no consent, never shown
    assert leaks(founder_visits + partner_visits, invitee_secrets) == []
    check_outbox()


def test_a_stranger_sees_no_contacts_before_or_after(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    ids = _world(client, db_session)
    make_user(db_session, "founder", "investor", email="stranger@example.com")
    _login(client, FOUNDER["email"])
    client.post(
        "/funding/introductions/request",
        data={
            "startup_id": ids["startup_id"],
            "investor_id": ids["investor_id"],
            "side": "startup",
        },
    )
    db_session.rollback()
    intro_id = db_session.scalar(sa.select(Introduction.id))
    _login(client, PARTNER["email"])
    client.post(f"/funding/introductions/{intro_id}/accept")
    db_session.rollback()
    stranger = db_session.scalar(sa.select(User).where(User.email == "stranger@example.com"))
    assert stranger is not None
    visits = _walk_as(app, client, "stranger@example.com", ids, "none")
    assert leaks(visits, [*FOUNDER.values(), *PARTNER.values(), *INVITEE.values()]) == []
