"""Introductions join two different parties: one person answers for one side only.

Issue 11: an account with the founder and investor roles, on both its own startup and its own
fund, could request and accept an introduction for both sides. A startup and a fund that share
a member cannot be introduced, and nobody's acceptance counts for both sides.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.models import InvestorMember, User
from matchmaker.models.funding import Introduction
from matchmaker.services.accounts import memberships
from matchmaker.services.errors import Conflict
from matchmaker.services.funding import introductions
from tests.factories import make_investor, make_startup, make_user


@pytest.fixture
def session(app: Flask, db_session: Session) -> Iterator[Session]:
    with app.test_request_context():
        yield db_session


def _victim(session: Session) -> User:
    return make_user(
        session,
        "investor",
        email="victim@example.com",
        display_name="Victim Person",
        phone="+86 137 0000 9999",
        wechat_id="victim_wechat",
        share_phone=True,
        share_wechat=True,
    )


def _count_members_of(session: Session, user: User) -> int:
    session.rollback()
    stmt = sa.select(sa.func.count()).where(InvestorMember.user_id == user.id)
    return session.scalar(stmt) or 0


def test_the_attack_a_founder_investor_cannot_harvest_a_victims_contacts(
    session: Session,
) -> None:
    """Issue 11: add the victim to one's own fund, request and accept an introduction."""
    victim = _victim(session)
    attacker = make_user(session, "founder", "investor", email="attacker@example.com")
    startup = make_startup(session, attacker)
    fund = make_investor(session, attacker)
    memberships.invite_investor_member(session, attacker, fund.id, victim.email)
    with pytest.raises(Conflict):
        introductions.request_introduction(
            session, attacker, startup_id=startup.id, investor_id=fund.id, side="startup"
        )
    # Even an introduction that exists (proposed by the pipeline, say) cannot be completed.
    session.add(
        Introduction(startup_id=startup.id, investor_id=fund.id, requested_by_side="system")
    )
    session.commit()
    intro_id = session.scalar(sa.select(Introduction.id))
    assert intro_id is not None
    for _ in range(2):
        with pytest.raises(Conflict):
            introductions.accept_introduction(session, attacker, intro_id)
    [view] = introductions.introductions_for(session, attacker)
    assert view.intro.status == "pending" and not view.can_accept and view.contacts == []
    assert _count_members_of(session, victim) == 0


def test_one_person_never_accepts_both_sides(session: Session) -> None:
    founder = make_user(session, "founder", "investor", email="f@example.com")
    partner = make_user(session, "investor", email="p@example.com")
    startup = make_startup(session, founder)
    fund = make_investor(session, partner)
    intro = introductions.request_introduction(
        session, founder, startup_id=startup.id, investor_id=fund.id, side="startup"
    )
    # The founder leaves the startup's side behind and joins the fund: still one person.
    memberships.invite_investor_member(session, partner, fund.id, founder.email)
    [view] = memberships.invitations_for(session, founder)
    memberships.accept_invitation(session, founder, "investor", view.id)
    with pytest.raises(Conflict):  # now on both sides
        introductions.accept_introduction(session, founder, intro.id)
    cofounder = make_user(session, "founder", email="c@example.com")
    memberships.invite_startup_member(session, founder, startup.id, cofounder.email)
    [view] = memberships.invitations_for(session, cofounder)
    memberships.accept_invitation(session, cofounder, "startup", view.id)
    memberships.remove_startup_member(session, cofounder, startup.id, founder.id)
    [fview] = introductions.introductions_for(session, founder)
    assert fview.my_side == "investor" and not fview.can_accept
    with pytest.raises(Conflict):  # only on the fund's side now, but accepted the startup's
        introductions.accept_introduction(session, founder, intro.id)
    introductions.accept_introduction(session, partner, intro.id)
    session.rollback()
    [row] = session.scalars(sa.select(Introduction)).all()
    assert row.status == "accepted"
    assert row.startup_accepted_by_id != row.investor_accepted_by_id
