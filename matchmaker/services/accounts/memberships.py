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
from collections.abc import Callable
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
Owner = Startup | Investor


@dataclass(frozen=True)
class _Side:
    """What differs between a startup's team and a fund's members; the rules are the same."""

    invitation: type[StartupInvitation] | type[InvestorInvitation]
    owner_column: str  # the invitation's column (and relationship, without ``_id``) to its side
    member: type[StartupMember] | type[InvestorMember]
    editable: Callable[[Session, User, int], Owner]
    not_a_member: Any
    keep_one: Any
    # A startup is matched with its team (founders' backgrounds), so a team change re-indexes
    # it; a fund is not matched with who works there.
    reindexed: bool

    def owner_id(self, invitation: Invitation) -> int:
        return int(getattr(invitation, self.owner_column))

    @property
    def owner_relationship(self) -> str:
        return self.owner_column.removesuffix("_id")

    def owner_of(self, invitation: Invitation) -> Owner:
        return cast(Owner, getattr(invitation, self.owner_relationship))

    def pending(self, owner_id: int) -> sa.Select[Any]:
        """The pending invitations of the startup or fund ``owner_id``."""
        model = self.invitation
        return sa.select(model).where(
            getattr(model, self.owner_column) == owner_id,
            model.status == InvitationStatus.PENDING,
        )


_SIDES: dict[str, _Side] = {
    "startup": _Side(
        invitation=StartupInvitation,
        owner_column="startup_id",
        member=StartupMember,
        editable=editable_startup,
        not_a_member=_l("This person is not on the team."),
        keep_one=_l("A startup keeps at least one team member."),
        reindexed=True,
    ),
    "investor": _Side(
        invitation=InvestorInvitation,
        owner_column="investor_id",
        member=InvestorMember,
        editable=editable_investor,
        not_a_member=_l("This person is not a member."),
        keep_one=_l("A fund keeps at least one member."),
        reindexed=False,
    ),
}


def _side(kind: str) -> _Side:
    try:
        return _SIDES[kind]
    except KeyError:
        raise NotFound(_l("This invitation does not exist.")) from None


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
    kind: str,
    owner_id: int,
    email: str,
    title: str,
    link: str,
) -> None:
    side = _SIDES[kind]
    owner = side.editable(session, actor, owner_id)
    address, title = _clean(email, title)
    already = side.pending(owner.id).where(side.invitation.email == address)
    if session.scalar(already) is not None:
        # Already invited: the same answer as a first invitation, and no second notification.
        # Nothing was written; committing ends the transaction (and SQLite's write lock).
        commit(session)
        return
    invitation = side.invitation(
        **{side.owner_column: owner.id}, email=address, title=title, invited_by_id=actor.id
    )
    session.add(invitation)
    invitee = find_user_by_email(session, address)
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
    session: Session, actor: User, startup_id: int, email: str, title: str = "", *, link: str = ""
) -> None:
    """Invite ``email`` to the team; the person joins only if they accept.

    Returns nothing on purpose: the outcome must not depend on whether an account uses the
    address (see the module docstring).
    """
    _invite(session, actor, "startup", startup_id, email, title, link)


@use_case
def invite_investor_member(
    session: Session, actor: User, investor_id: int, email: str, title: str = "", *, link: str = ""
) -> None:
    """Invite ``email`` to the fund; the person joins only if they accept."""
    _invite(session, actor, "investor", investor_id, email, title, link)


def open_invitations(session: Session, actor: User, kind: str, owner_id: int) -> list[Invitation]:
    """The pending invitations of a startup or fund, for its members (and operators)."""
    side = _SIDES[kind]
    side.editable(session, actor, owner_id)
    model = side.invitation
    return list(session.scalars(side.pending(owner_id).order_by(model.created_at, model.id)))


@use_case
def withdraw_invitation(
    session: Session, actor: User, kind: str, owner_id: int, invitation_id: int
) -> None:
    """A member of the inviting startup or fund ``owner_id`` takes back a pending invitation."""
    side = _side(kind)
    begin_write(session)
    invitation = _locked(session, side, invitation_id)
    if invitation is None or side.owner_id(invitation) != owner_id:
        raise NotFound(_l("This invitation does not exist."))
    side.editable(session, actor, owner_id)
    _answer(session, invitation, actor, InvitationStatus.WITHDRAWN)
    commit(session)


# --- answering (the invitee) ----------------------------------------------------------------


def _locked(session: Session, side: _Side, invitation_id: int) -> Invitation | None:
    stmt = sa.select(side.invitation).where(side.invitation.id == invitation_id)
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
    side = _side(kind)
    user_id = actor.id
    begin_write(session)
    me = session.get(User, user_id)
    invitation = _locked(session, side, invitation_id)
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
    side = _SIDES[kind]
    owner = side.owner_of(invitation)
    if not owner.has_member(me):
        owner.members.append(side.member(user_id=me.id, title=invitation.title))  # type: ignore[arg-type]
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
    if side.reindexed:
        profile_changed(kind, owner.id)
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
    views = []
    for kind, side in _SIDES.items():
        model = side.invitation
        owner = getattr(model, side.owner_relationship)
        invitations = cast(
            "list[Invitation]",
            session.scalars(
                sa.select(model)
                .where(model.email == address, model.status == InvitationStatus.PENDING)
                .options(selectinload(owner), selectinload(model.invited_by))
            ).all(),
        )
        views += [_view(kind, i, side.owner_of(i).name) for i in invitations]
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


def _remove_member(session: Session, actor: User, kind: str, owner_id: int, user_id: int) -> None:
    side = _SIDES[kind]
    owner = side.editable(session, actor, owner_id)
    member = next((m for m in owner.members if m.user_id == user_id), None)
    if member is None:
        raise NotFound(side.not_a_member)
    if len(owner.members) == 1:
        raise Invalid(side.keep_one)
    owner.members.remove(member)  # type: ignore[arg-type]
    commit(session)
    if side.reindexed:
        profile_changed(kind, owner.id)


@use_case
def remove_startup_member(session: Session, actor: User, startup_id: int, user_id: int) -> None:
    """A team member (or an operator) removes someone from the team, never the last one."""
    _remove_member(session, actor, "startup", startup_id, user_id)


@use_case
def remove_investor_member(session: Session, actor: User, investor_id: int, user_id: int) -> None:
    """A fund member (or an operator) removes someone from the fund, never the last one."""
    _remove_member(session, actor, "investor", investor_id, user_id)
