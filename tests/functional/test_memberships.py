"""Joining a team or a fund over HTTP: invitations the invitee answers on their profiles page.

Includes issue 11's attack end to end: an account with the founder and investor roles "adds" a
victim to its own fund, requests and accepts an introduction between its own startup and fund,
then reads every page. It must learn nothing about the victim, and the victim must not be shown
as a member of that fund anywhere.
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

from matchmaker.models import InvestorMember, StartupMember
from matchmaker.models.funding import Introduction
from matchmaker.models.memberships import InvestorInvitation, StartupInvitation
from tests.factories import make_investor, make_startup, make_user
from tests.page_walk import get_urls, leaks, walk

VICTIM = {
    "email": "victim@example.com",
    "display_name": "Victim Person",
    "phone": "+86 137 0000 9999",
    "wechat_id": "victim_wechat",
}


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(EMBEDDING_MODEL="hashing")


def _login(client: FlaskClient, email: str) -> None:
    client.post("/auth/logout")
    response = client.post("/auth/login", data={"email": email, "password": "password123"})
    assert response.status_code == 302


def _count(db_session: Session, model: type, *where: Any) -> int:
    db_session.rollback()  # end the read snapshot
    return db_session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_issue_11_attack_yields_no_contact_and_no_membership(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    victim = make_user(db_session, "investor", **VICTIM)
    attacker = make_user(db_session, "founder", "investor", email="attacker@example.com")
    startup = make_startup(db_session, attacker, name="Attack Startup")
    fund = make_investor(db_session, attacker, name="Attack Fund")
    ids = {"startup_id": startup.id, "investor_id": fund.id, "user_id": victim.id}
    db_session.rollback()

    _login(client, "attacker@example.com")
    client.post(f"/me/investors/{fund.id}/members", data={"email": VICTIM["email"]})
    client.post(
        "/funding/introductions/request",
        data={"startup_id": startup.id, "investor_id": fund.id, "side": "startup"},
    )
    db_session.rollback()
    intro_ids = list(db_session.scalars(sa.select(Introduction.id)))
    # However the introduction came about (a proposal from the deal pipeline, say), the
    # attacker cannot accept it for both sides.
    if not intro_ids:
        db_session.add(
            Introduction(startup_id=startup.id, investor_id=fund.id, requested_by_side="system")
        )
        db_session.commit()
        intro_ids = list(db_session.scalars(sa.select(Introduction.id)))
    for intro_id in intro_ids:
        for _ in range(2):
            client.post(f"/funding/introductions/{intro_id}/accept")

    api = client.get("/funding/api/introductions").get_json()
    contacts = [c for i in api["introductions"] for c in i["contacts"]]
    assert VICTIM["email"] not in {c["email"] for c in contacts}
    secrets = [VICTIM["email"], VICTIM["phone"], VICTIM["wechat_id"]]
    visits = walk(client, get_urls(app, ids))
    # The address the attacker typed is echoed in the fund's list of pending invitations, and
    # nowhere else: the same list shows an address that no account uses.
    echoed = [(v.url, VICTIM["email"]) for v in visits if _invitation_rows(v.body)]
    assert echoed == [(f"/me/investors/{fund.id}/edit", VICTIM["email"])]
    visits = [replace(v, body=_without_invitations(v.body)) for v in visits]
    assert leaks(visits, secrets) == []
    assert leaks(visits, [VICTIM["display_name"]]) == []  # not shown as a member anywhere
    client.post("/auth/logout")
    public = walk(client, [f"/investors/{fund.id}", f"/startups/{startup.id}", "/investors"])
    assert leaks(public, [VICTIM["display_name"], *secrets]) == []
    assert _count(db_session, InvestorMember, InvestorMember.user_id == victim.id) == 0


def _flash(html: str) -> str:
    found = re.findall(r'<div class="alert[^"]*"[^>]*>\s*(.*?)\s*<button', html, re.S)
    return " | ".join(found)


def _invitation_rows(html: str) -> list[str]:
    if 'data-testid="pending-invitations"' not in html:
        return []
    block = html.split('data-testid="pending-invitations"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li.*?</li>", block, re.S)


def _without_invitations(html: str) -> str:
    return re.sub(r'data-testid="pending-invitations".*?</ul>', "", html, flags=re.S)


def test_the_inviter_cannot_tell_whether_an_account_uses_the_address(
    client: FlaskClient, db_session: Session
) -> None:
    owner = make_user(db_session, "investor", email="owner@example.com")
    make_user(db_session, "investor", email="exists@example.com")
    fund = make_investor(db_session, owner)
    db_session.rollback()
    _login(client, "owner@example.com")
    client.get("/me/")  # show (and so drop) the sign-in's own messages
    url = f"/me/investors/{fund.id}/members"
    answers = {}
    for address in ("exists@example.com", "unknown@example.com"):
        first = client.post(url, data={"email": address, "title": "VP"})
        again = client.post(url, data={"email": address, "title": "VP"})
        page = client.get(first.headers["Location"]).get_data(as_text=True)
        answers[address] = (first.status_code, first.headers["Location"], again.status_code)
        answers[address + " flash"] = _flash(page)
    assert answers["exists@example.com"] == answers["unknown@example.com"]
    assert answers["exists@example.com flash"] == answers["unknown@example.com flash"] != ""
    assert "invited" in answers["exists@example.com flash"]
    page = client.get(f"/me/investors/{fund.id}/edit").get_data(as_text=True)
    rows = _invitation_rows(page)
    masked = [re.sub(r"(exists|unknown)@example\.com", "ADDRESS", r) for r in rows]
    masked = [re.sub(r"/invitations/\d+/", "/invitations/N/", r) for r in masked]
    assert len(rows) == 2 and masked[0] == masked[1]
    assert _count(db_session, InvestorInvitation) == 2
    assert _count(db_session, InvestorMember) == 1


def test_the_invitee_answers_on_their_profiles_page(
    client: FlaskClient, db_session: Session
) -> None:
    owner = make_user(db_session, "founder", email="owner@example.com")
    invitee = make_user(db_session, "founder", **VICTIM)
    make_user(db_session, "founder", email="other@example.com")
    startup = make_startup(db_session, owner, name="Team Startup")
    db_session.rollback()
    _login(client, "owner@example.com")
    client.post(f"/me/startups/{startup.id}/members", data={"email": VICTIM["email"]})
    db_session.rollback()
    invitation_id = db_session.scalar(sa.select(StartupInvitation.id))
    assert "Victim Person" not in client.get(f"/startups/{startup.id}").get_data(as_text=True)

    # Someone else cannot answer it, nor learn that it exists.
    _login(client, "other@example.com")
    for answer in ("accept", "decline"):
        response = client.post(f"/me/invitations/startup/{invitation_id}/{answer}")
        assert response.status_code == 404
    assert client.post(f"/me/invitations/investor/{invitation_id}/accept").status_code == 404
    assert "Team Startup" not in client.get("/me/").get_data(as_text=True)
    client.post("/auth/logout")
    assert client.post(f"/me/invitations/startup/{invitation_id}/accept").status_code == 302
    assert _count(db_session, StartupMember) == 1

    _login(client, VICTIM["email"])
    page = client.get("/me/").get_data(as_text=True)
    assert 'data-testid="invitation"' in page and "Team Startup" in page
    response = client.post(f"/me/invitations/startup/{invitation_id}/accept")
    assert response.status_code == 302
    assert _count(db_session, StartupMember, StartupMember.user_id == invitee.id) == 1
    assert 'data-testid="invitation"' not in client.get("/me/").get_data(as_text=True)
    # Answering again is refused with a message, and changes nothing.
    again = client.post(f"/me/invitations/startup/{invitation_id}/decline", follow_redirects=True)
    assert again.status_code == 200 and "already been accepted" in again.get_data(as_text=True)
    assert _count(db_session, StartupMember) == 2
    client.post("/auth/logout")
    assert "Victim Person" in client.get(f"/startups/{startup.id}").get_data(as_text=True)


def test_declined_and_withdrawn_invitations_never_make_members(
    client: FlaskClient, db_session: Session
) -> None:
    owner = make_user(db_session, "investor", email="owner@example.com")
    make_user(db_session, "investor", **VICTIM)
    outsider = make_user(db_session, "investor", email="outsider@example.com")
    fund = make_investor(db_session, owner, name="Some Fund")
    other_fund = make_investor(db_session, outsider)
    db_session.rollback()
    _login(client, "owner@example.com")
    client.post(f"/me/investors/{fund.id}/members", data={"email": VICTIM["email"]})
    db_session.rollback()
    first = db_session.scalar(sa.select(InvestorInvitation.id))
    _login(client, VICTIM["email"])
    assert client.post(f"/me/invitations/investor/{first}/decline").status_code == 302
    assert client.post(f"/me/invitations/investor/{first}/accept").status_code == 302  # refused
    assert _count(db_session, InvestorMember) == 2

    _login(client, "owner@example.com")
    client.post(f"/me/investors/{fund.id}/members", data={"email": VICTIM["email"]})
    db_session.rollback()
    second = db_session.scalar(
        sa.select(InvestorInvitation.id).where(InvestorInvitation.status == "pending")
    )
    _login(client, "outsider@example.com")  # not of this fund: cannot withdraw it
    url = f"/me/investors/{fund.id}/invitations/{second}/withdraw"
    assert client.post(url).status_code == 403
    wrong = f"/me/investors/{other_fund.id}/invitations/{second}/withdraw"
    assert client.post(wrong).status_code == 404
    _login(client, "owner@example.com")
    assert client.post(url).status_code == 302
    _login(client, VICTIM["email"])
    assert client.post(f"/me/invitations/investor/{second}/accept").status_code == 302
    assert _count(db_session, InvestorMember) == 2
    client.post("/auth/logout")
    assert "Victim Person" not in client.get(f"/investors/{fund.id}").get_data(as_text=True)


def test_refusals_are_in_the_users_language(client: FlaskClient, db_session: Session) -> None:
    owner = make_user(db_session, "founder", email="owner@example.com", locale="zh_CN")
    make_user(db_session, "founder", email="mate@example.com", locale="zh_CN")
    startup = make_startup(db_session, owner)
    db_session.rollback()
    _login(client, "owner@example.com")
    client.get("/me/")
    response = client.post(f"/me/startups/{startup.id}/members", data={"email": "mate@example.com"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "邀请" in _flash(page)
    db_session.rollback()
    invitation_id = db_session.scalar(sa.select(StartupInvitation.id))
    _login(client, "mate@example.com")
    client.post(f"/me/invitations/startup/{invitation_id}/accept", follow_redirects=True)
    again = client.post(f"/me/invitations/startup/{invitation_id}/accept", follow_redirects=True)
    assert "已" in _flash(again.get_data(as_text=True))
    assert "already" not in _flash(again.get_data(as_text=True))
