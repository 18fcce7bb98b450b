"""Who is on a startup's team or in a fund: invitations the invitee answers, and leaving.

Membership is double opt-in. A member invites an e-mail address (``invite_*_member``); the
person who signs in with that address accepts (``accept_invitation``, which creates the
``StartupMember``/``InvestorMember`` row) or declines. Before that they are not a member of
anything: public pages, contact lists (``introductions.contacts_of``) and every permission
check read the member tables only, so a pending invitee can see and do nothing for that side.

The inviter always gets the same outcome, whether or not an account uses the address, whether
it is already invited or already a member: one pending invitation for that address exists
afterwards, and nothing else they can observe changes. That keeps inviting from being a way to
find out who is registered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Investor, InvestorMember, Startup, StartupMember, User
from matchmaker.models.base import utcnow
from matchmaker.models.memberships import (
    InvestorInvitation,
    InvitationStatus,
    StartupInvitation,
)
from matchmaker.services import notifications
from matchmaker.services.accounts.investor_profiles import editable_investor
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.accounts.profiles import editable_startup
from matchmaker.services.accounts.users import find_user_by_email, normalise_email
from matchmaker.services.errors import Conflict, Invalid, NotFound
from matchmaker.services.transactions import commit, use_case

KINDS = ("startup", "investor")
MAX_TITLE = 80
# A plausibility check only: the address is never used to look anything up for the inviter.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Invitation = StartupInvitation | InvestorInvitation


@dataclass(frozen=True)
class InvitationView:
    """A pending invitation as its invitee sees it."""

    kind: str
    id: int
    organisation: str
    title: str
    invited_by: str
    created_at: datetime


# --- inviting -------------------------------------------------------------------------------


def _clean(email: str, title: str) -> tuple[str, str]:
    address = normalise_email(email or "")
    if len(address) > 254 or not _EMAIL.match(address):
        raise Invalid(_l("Enter a valid e-mail address."), field="email")
    title = (title or "").strip()
    if len(title) > MAX_TITLE:
        raise Invalid(_l("Enter at most %(n)d characters.", n=MAX_TITLE), field="title")
    return address, title


def _invite(
    session: Session,
    actor: User,
    owner: Startup | Investor,
    invitation: Invitation,
    pending: sa.Select[Any],
    *,
    kind: str,
    link: str,
) -> None:
    if session.scalar(pending) is not None:
        # Already invited: the same answer as a first invitation, and no second notification.
        # Nothing was written; committing ends the transaction (and SQLite's write lock).
        commit(session)
        return
    invitation.invited_by_id = actor.id
    session.add(invitation)
    invitee = find_user_by_email(session, invitation.email)
    rows = []
    if invitee is not None and invitee.is_active and not owner.has_member(invitee):
        rows = notifications.notify(
            session,
            [invitee],
            f"profiles.invited_to_{kind}",
            link=link,
            inviter=actor.display_name,
            organisation=owner.name,
        )
    try:
        commit(session)
    except Conflict:
        # A concurrent invitation of the same address won the unique index (``commit`` rolled
        # back): the outcome the inviter asked for (one pending invitation) holds, so this is
        # not an error either.
        return
    notifications.send_after_commit(session, rows)


@use_case
def invite_startup_member(
    session: Session,
    actor: User,
    startup_id: int,
    email: str,
    title: str = "",
    *,
    link: str = "",
) -> None:
    """Invite ``email`` to the team; the person joins only if they accept.

    Returns nothing on purpose: the outcome must not depend on whether an account uses the
    address (see the module docstring).
    """
    startup = editable_startup(session, actor, startup_id)
    address, title = _clean(email, title)
    pending = sa.select(StartupInvitation.id).where(
        StartupInvitation.startup_id == startup.id,
        StartupInvitation.email == address,
        StartupInvitation.status == InvitationStatus.PENDING,
    )
    invitation = StartupInvitation(startup_id=startup.id, email=address, title=title)
    _invite(session, actor, startup, invitation, pending, kind="startup", link=link)


@use_case
def invite_investor_member(
    session: Session,
    actor: User,
    investor_id: int,
    email: str,
    title: str = "",
    *,
    link: str = "",
) -> None:
    """Invite ``email`` to the fund; the person joins only if they accept."""
    investor = editable_investor(session, actor, investor_id)
    address, title = _clean(email, title)
    pending = sa.select(InvestorInvitation.id).where(
        InvestorInvitation.investor_id == investor.id,
        InvestorInvitation.email == address,
        InvestorInvitation.status == InvitationStatus.PENDING,
    )
    invitation = InvestorInvitation(investor_id=investor.id, email=address, title=title)
    _invite(session, actor, investor, invitation, pending, kind="investor", link=link)


def open_invitations(session: Session, actor: User, kind: str, owner_id: int) -> list[Invitation]:
    """The pending invitations of a startup or fund, for its members (and operators)."""
    if kind == "startup":
        editable_startup(session, actor, owner_id)
        return list(
            session.scalars(
                sa.select(StartupInvitation)
                .where(
                    StartupInvitation.startup_id == owner_id,
                    StartupInvitation.status == InvitationStatus.PENDING,
                )
                .order_by(StartupInvitation.created_at, StartupInvitation.id)
            )
        )
    editable_investor(session, actor, owner_id)
    return list(
        session.scalars(
            sa.select(InvestorInvitation)
            .where(
                InvestorInvitation.investor_id == owner_id,
                InvestorInvitation.status == InvitationStatus.PENDING,
            )
            .order_by(InvestorInvitation.created_at, InvestorInvitation.id)
        )
    )


@use_case
def withdraw_invitation(
    session: Session, actor: User, kind: str, owner_id: int, invitation_id: int
) -> None:
    """A member of the inviting startup or fund ``owner_id`` takes back a pending invitation."""
    model = _model(kind)
    begin_write(session)
    invitation = _locked(session, model, invitation_id)
    if isinstance(invitation, StartupInvitation) and invitation.startup_id == owner_id:
        editable_startup(session, actor, owner_id)
    elif isinstance(invitation, InvestorInvitation) and invitation.investor_id == owner_id:
        editable_investor(session, actor, owner_id)
    else:
        raise NotFound(_l("This invitation does not exist."))
    _answer(session, invitation, actor, InvitationStatus.WITHDRAWN)
    commit(session)


# --- answering (the invitee) ----------------------------------------------------------------


def _model(kind: str) -> type[StartupInvitation] | type[InvestorInvitation]:
    if kind == "startup":
        return StartupInvitation
    if kind == "investor":
        return InvestorInvitation
    raise NotFound(_l("This invitation does not exist."))


def _locked(
    session: Session, model: type[StartupInvitation] | type[InvestorInvitation], invitation_id: int
) -> Invitation | None:
    stmt = sa.select(model).where(model.id == invitation_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return cast("Invitation | None", session.scalar(stmt))


def _answer(
    session: Session, invitation: Invitation, actor: User, status: InvitationStatus
) -> None:
    """Move a pending invitation to its end state; any other move is refused."""
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(_ALREADY.get(invitation.status, _ALREADY[InvitationStatus.ACCEPTED]))
    invitation.status = status
    invitation.answered_at = utcnow()
    invitation.answered_by_id = actor.id


# Whole sentences (not a status word in a slot) so that each language can word them its way.
_ALREADY: dict[str, Any] = {
    InvitationStatus.ACCEPTED: _l("This invitation has already been accepted."),
    InvitationStatus.DECLINED: _l("This invitation has already been declined."),
    InvitationStatus.WITHDRAWN: _l("This invitation has been withdrawn."),
}


def _invitation_for_invitee(
    session: Session, actor: User, kind: str, invitation_id: int
) -> tuple[User, Invitation]:
    model = _model(kind)
    user_id = actor.id
    begin_write(session)
    me = session.get(User, user_id)
    invitation = _locked(session, model, invitation_id)
    # Someone else's invitation looks exactly like a missing one: its existence is not theirs
    # to learn.
    if me is None or invitation is None or invitation.email != normalise_email(me.email):
        raise NotFound(_l("This invitation does not exist."))
    return me, invitation


@use_case
def accept_invitation(
    session: Session, actor: User, kind: str, invitation_id: int, *, link: str = ""
) -> Invitation:
    """The invitee (the account using the invited address) joins; only they can."""
    me, invitation = _invitation_for_invitee(session, actor, kind, invitation_id)
    _answer(session, invitation, me, InvitationStatus.ACCEPTED)
    owner: Startup | Investor
    if isinstance(invitation, StartupInvitation):
        owner = invitation.startup
        if not owner.has_member(me):
            owner.members.append(StartupMember(user_id=me.id, title=invitation.title))
    else:
        owner = invitation.investor
        if not owner.has_member(me):
            owner.members.append(InvestorMember(user_id=me.id, title=invitation.title))
    others = [m.user_id for m in owner.members if m.user_id != me.id]
    rows = notifications.notify(
        session,
        others,
        "profiles.member_joined",
        link=link,
        name=me.display_name,
        organisation=owner.name,
    )
    commit(session)
    notifications.send_after_commit(session, rows)
    if isinstance(invitation, StartupInvitation):
        profile_changed("startup", invitation.startup_id)
    return invitation


@use_case
def decline_invitation(session: Session, actor: User, kind: str, invitation_id: int) -> Invitation:
    """The invitee says no; the inviting side may invite again later."""
    me, invitation = _invitation_for_invitee(session, actor, kind, invitation_id)
    _answer(session, invitation, me, InvitationStatus.DECLINED)
    commit(session)
    return invitation


def invitations_for(session: Session, user: Any) -> list[InvitationView]:
    """The pending invitations addressed to ``user``'s e-mail, oldest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    address = normalise_email(user.email)
    startups = session.scalars(
        sa.select(StartupInvitation)
        .where(
            StartupInvitation.email == address, StartupInvitation.status == InvitationStatus.PENDING
        )
        .options(
            selectinload(StartupInvitation.startup), selectinload(StartupInvitation.invited_by)
        )
    ).all()
    funds = session.scalars(
        sa.select(InvestorInvitation)
        .where(
            InvestorInvitation.email == address,
            InvestorInvitation.status == InvitationStatus.PENDING,
        )
        .options(
            selectinload(InvestorInvitation.investor),
            selectinload(InvestorInvitation.invited_by),
        )
    ).all()
    views = [_view("startup", i, i.startup.name) for i in startups]
    views += [_view("investor", i, i.investor.name) for i in funds]
    return sorted(views, key=lambda v: (v.created_at, v.kind, v.id))


def _view(kind: str, invitation: Invitation, organisation: str) -> InvitationView:
    return InvitationView(
        kind=kind,
        id=invitation.id,
        organisation=organisation,
        title=invitation.title,
        invited_by=invitation.invited_by.display_name if invitation.invited_by else "",
        created_at=invitation.created_at,
    )


# --- leaving --------------------------------------------------------------------------------


@use_case
def remove_startup_member(session: Session, actor: User, startup_id: int, user_id: int) -> None:
    """A team member (or an operator) removes someone from the team, never the last one."""
    startup = editable_startup(session, actor, startup_id)
    member = next((m for m in startup.members if m.user_id == user_id), None)
    if member is None:
        raise NotFound(_l("This person is not on the team."))
    if len(startup.members) == 1:
        raise Invalid(_l("A startup keeps at least one team member."))
    startup.members.remove(member)
    commit(session)
    profile_changed("startup", startup.id)


@use_case
def remove_investor_member(session: Session, actor: User, investor_id: int, user_id: int) -> None:
    """A fund member (or an operator) removes someone from the fund, never the last one."""
    investor = editable_investor(session, actor, investor_id)
    member = next((m for m in investor.members if m.user_id == user_id), None)
    if member is None:
        raise NotFound(_l("This person is not a member."))
    if len(investor.members) == 1:
        raise Invalid(_l("A fund keeps at least one member."))
    investor.members.remove(member)
    commit(session)
