"""Membership is double opt-in: an invitation the invitee answers, never an addition by others.

Also what introductions take from it: a pending invitee is nobody's contact.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.models import InvestorMember, Notification, StartupMember, User
from matchmaker.models.memberships import InvestorInvitation, InvitationStatus, StartupInvitation
from matchmaker.services.accounts import memberships
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.funding import introductions
from matchmaker.services.funding.asks import member_investor_ids, member_startup_ids
from tests.factories import make_investor, make_startup, make_user


@pytest.fixture
def session(app: Flask, db_session: Session) -> Iterator[Session]:
    # Lazy error messages and notifications need an app (and request) context.
    with app.test_request_context():
        yield db_session


def _count(session: Session, model: type, *where: Any) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _pending(session: Session, model: type) -> list[Any]:
    session.rollback()
    return list(session.scalars(sa.select(model).where(model.status == "pending")))


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


# --- invitations ----------------------------------------------------------------------------


def test_an_invitee_is_not_a_member_until_they_accept(session: Session) -> None:
    owner = make_user(session, "founder")
    mate = make_user(session, "founder", email="mate@example.com")
    startup = make_startup(session, owner)
    memberships.invite_startup_member(session, owner, startup.id, "  MATE@example.com ", "CTO")
    assert _count(session, StartupMember) == 1
    assert member_startup_ids(session, mate) == []
    with pytest.raises(Forbidden):  # cannot act for the team yet
        memberships.open_invitations(session, mate, "startup", startup.id)
    [view] = memberships.invitations_for(session, mate)
    assert (view.kind, view.organisation, view.title) == ("startup", startup.name, "CTO")
    assert view.invited_by == owner.display_name
    notes = session.scalars(sa.select(Notification.kind).where(Notification.user_id == mate.id))
    assert list(notes) == ["profiles.invited_to_startup"]

    memberships.accept_invitation(session, mate, "startup", view.id)
    assert member_startup_ids(session, mate) == [startup.id]
    assert (
        session.scalar(sa.select(StartupMember.title).where(StartupMember.user_id == mate.id))
        == "CTO"
    )
    assert memberships.invitations_for(session, mate) == []
    joined = session.scalars(sa.select(Notification.kind).where(Notification.user_id == owner.id))
    assert list(joined) == ["profiles.member_joined"]


def test_fund_invitation_declined_leaves_no_membership(session: Session) -> None:
    partner = make_user(session, "investor")
    invitee = make_user(session, "investor", email="new@fund.example")
    fund = make_investor(session, partner)
    memberships.invite_investor_member(session, partner, fund.id, "new@fund.example", "VP")
    [view] = memberships.invitations_for(session, invitee)
    memberships.decline_invitation(session, invitee, "investor", view.id)
    assert member_investor_ids(session, invitee) == []
    assert _count(session, InvestorMember) == 1
    [row] = session.scalars(sa.select(InvestorInvitation)).all()
    assert (row.status, row.answered_by_id) == ("declined", invitee.id)
    # The fund may ask again later: a new invitation, the old one stays declined.
    memberships.invite_investor_member(session, partner, fund.id, "new@fund.example")
    assert len(_pending(session, InvestorInvitation)) == 1


@pytest.mark.parametrize("first", ["accepted", "declined", "withdrawn"])
@pytest.mark.parametrize("then", ["accept", "decline", "withdraw"])
def test_an_answered_invitation_cannot_move_again(session: Session, first: str, then: str) -> None:
    owner = make_user(session, "founder")
    mate = make_user(session, "founder", email="mate@example.com")
    startup = make_startup(session, owner)
    memberships.invite_startup_member(session, owner, startup.id, mate.email)
    invitation_id = _pending(session, StartupInvitation)[0].id
    session.rollback()
    {
        "accepted": lambda: memberships.accept_invitation(session, mate, "startup", invitation_id),
        "declined": lambda: memberships.decline_invitation(session, mate, "startup", invitation_id),
        "withdrawn": lambda: memberships.withdraw_invitation(
            session, owner, "startup", startup.id, invitation_id
        ),
    }[first]()
    members_before = _count(session, StartupMember)
    with pytest.raises(Conflict):
        if then == "accept":
            memberships.accept_invitation(session, mate, "startup", invitation_id)
        elif then == "decline":
            memberships.decline_invitation(session, mate, "startup", invitation_id)
        else:
            memberships.withdraw_invitation(session, owner, "startup", startup.id, invitation_id)
    session.rollback()
    assert session.get(StartupInvitation, invitation_id).status == first  # type: ignore[union-attr]
    assert _count(session, StartupMember) == members_before


def test_only_the_invitee_can_answer_and_only_the_team_can_withdraw(session: Session) -> None:
    owner = make_user(session, "founder")
    mate = make_user(session, "founder", email="mate@example.com")
    intruder = make_user(session, "founder", email="intruder@example.com")
    operator = make_user(session, "operator")
    startup = make_startup(session, owner)
    other = make_startup(session, intruder)
    memberships.invite_startup_member(session, owner, startup.id, mate.email)
    invitation_id = _pending(session, StartupInvitation)[0].id
    session.rollback()
    for user in (intruder, owner, operator):  # not the address it was sent to
        for answer in (memberships.accept_invitation, memberships.decline_invitation):
            with pytest.raises(NotFound):
                answer(session, user, "startup", invitation_id)
    with pytest.raises(NotFound):  # right user, wrong kind of invitation
        memberships.accept_invitation(session, mate, "investor", invitation_id)
    with pytest.raises(Forbidden):
        memberships.withdraw_invitation(session, intruder, "startup", startup.id, invitation_id)
    with pytest.raises(Forbidden):  # the invitee is not on the team yet
        memberships.withdraw_invitation(session, mate, "startup", startup.id, invitation_id)
    with pytest.raises(NotFound):  # an invitation of another startup
        memberships.withdraw_invitation(session, intruder, "startup", other.id, invitation_id)
    assert _pending(session, StartupInvitation)[0].id == invitation_id
    assert member_startup_ids(session, intruder) == [other.id]
    with pytest.raises(Forbidden):
        memberships.invite_startup_member(session, intruder, startup.id, "x@example.com")


def test_inviting_answers_the_same_whether_or_not_an_account_exists(session: Session) -> None:
    owner = make_user(session, "founder")
    member = make_user(session, "founder", email="member@example.com")
    make_user(session, "founder", email="exists@example.com")
    make_user(session, "founder", email="gone@example.com", is_active=False)
    startup = make_startup(session, owner)
    memberships.invite_startup_member(session, owner, startup.id, member.email)
    [first] = _pending(session, StartupInvitation)
    session.rollback()
    memberships.accept_invitation(session, member, "startup", first.id)
    addresses = [
        "exists@example.com",
        "nobody@example.com",
        "gone@example.com",
        "member@example.com",
        owner.email,
    ]
    outcomes = []
    for address in addresses:
        # Twice each: a repeat is as silent as a first invitation.
        outcomes += [
            memberships.invite_startup_member(session, owner, startup.id, address),
            memberships.invite_startup_member(session, owner, startup.id, address.upper()),
        ]
    assert outcomes == [None] * len(outcomes)
    shown = memberships.open_invitations(session, owner, "startup", startup.id)
    assert sorted(i.email for i in shown) == sorted(addresses)
    assert {(i.status, i.title) for i in shown} == {("pending", "")}
    assert _count(session, StartupMember) == 2


def test_one_pending_invitation_per_address_is_a_database_rule(session: Session) -> None:
    owner = make_user(session, "investor")
    fund = make_investor(session, owner)
    session.add(InvestorInvitation(investor_id=fund.id, email="a@example.com"))
    session.commit()
    session.add(InvestorInvitation(investor_id=fund.id, email="a@example.com"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    # Answered invitations do not count: history may hold many for one address.
    session.execute(sa.update(InvestorInvitation).values(status="declined"))
    session.add(InvestorInvitation(investor_id=fund.id, email="a@example.com"))
    session.commit()
    session.add(InvestorInvitation(investor_id=fund.id, email="a@example.com", status="maybe"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_every_invitation_status_is_one_the_database_stores(session: Session) -> None:
    # The StrEnum and the table's status_known constraint name the same states.
    owner = make_user(session, "founder")
    startup = make_startup(session, owner)
    for n, status in enumerate(InvitationStatus):
        session.add(
            StartupInvitation(startup_id=startup.id, email=f"{n}@example.com", status=status)
        )
    session.commit()
    stored = session.scalars(sa.select(StartupInvitation.status).order_by(StartupInvitation.id))
    assert list(stored) == ["pending", "accepted", "declined", "withdrawn"]
    assert [i.is_pending for i in _pending(session, StartupInvitation)] == [True]


def test_an_invitation_waits_for_an_account_registered_later(session: Session) -> None:
    owner = make_user(session, "founder")
    startup = make_startup(session, owner)
    memberships.invite_startup_member(session, owner, startup.id, "later@example.com")
    newcomer = make_user(session, "founder", email="later@example.com")
    [view] = memberships.invitations_for(session, newcomer)
    memberships.accept_invitation(session, newcomer, "startup", view.id)
    assert member_startup_ids(session, newcomer) == [startup.id]


@pytest.mark.parametrize(
    ("email", "title", "field"),
    [
        ("", "", "email"),
        ("not-an-address", "", "email"),
        ("a@b", "", "email"),
        ("x" * 250 + "@example.com", "", "email"),
        ("ok@example.com", "t" * 81, "title"),
    ],
)
def test_bad_invitations_are_refused_and_save_nothing(
    session: Session, email: str, title: str, field: str
) -> None:
    owner = make_user(session, "founder")
    startup = make_startup(session, owner)
    with pytest.raises(Invalid) as caught:
        memberships.invite_startup_member(session, owner, startup.id, email, title)
    assert caught.value.field == field
    assert _count(session, StartupInvitation) == 0


def test_members_can_leave_but_the_last_one_stays(session: Session) -> None:
    owner = make_user(session, "investor")
    partner = make_user(session, "investor", email="p@example.com")
    fund = make_investor(session, owner)
    memberships.invite_investor_member(session, owner, fund.id, partner.email)
    [view] = memberships.invitations_for(session, partner)
    memberships.accept_invitation(session, partner, "investor", view.id)
    memberships.remove_investor_member(session, owner, fund.id, partner.id)
    with pytest.raises(Invalid):
        memberships.remove_investor_member(session, owner, fund.id, owner.id)
    with pytest.raises(NotFound):
        memberships.remove_investor_member(session, owner, fund.id, partner.id)
    assert _count(session, InvestorMember) == 1


# --- introductions: contacts of members who joined only ------------------------------------


def test_contacts_are_of_joined_members_never_of_pending_invitees(session: Session) -> None:
    victim = _victim(session)
    founder = make_user(session, "founder", email="f@example.com")
    partner = make_user(session, "investor", email="p@example.com")
    startup = make_startup(session, founder)
    fund = make_investor(session, partner)
    memberships.invite_investor_member(session, partner, fund.id, victim.email)
    intro = introductions.request_introduction(
        session, founder, startup_id=startup.id, investor_id=fund.id, side="startup"
    )
    introductions.accept_introduction(session, partner, intro.id)
    [view] = introductions.introductions_for(session, founder)
    assert [c.email for c in view.contacts] == ["p@example.com"]
    assert introductions.introductions_for(session, victim) == []
    # Once the victim really joins, they are one of the fund's contacts: their own choice.
    [invitation] = memberships.invitations_for(session, victim)
    memberships.accept_invitation(session, victim, "investor", invitation.id)
    [view] = introductions.introductions_for(session, founder)
    assert sorted(c.email for c in view.contacts) == ["p@example.com", "victim@example.com"]
