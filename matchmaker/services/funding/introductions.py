"""Double opt-in introductions between a startup and an investor.

Either side may request (which accepts for that side); a deal reaching "meeting" proposes one
that both must accept. Contact details (e-mail, phone, WeChat ID) leave this module only through
``contacts_of``, and only for an accepted introduction: every page, export and API builds on
``IntroductionView``, whose ``contacts`` stay empty until both sides said yes.

"Both sides" means two different parties, each answering for itself:

- one person's acceptance counts for one side only, the side they are a member of; the two
  acceptances of an introduction are always by two different people;
- a startup and a fund that share a member (someone on both teams) cannot be introduced: the
  request and every acceptance are refused while they share one, so such an introduction never
  completes. Otherwise one account holding both roles could say yes for both parties;
- members are people who joined (``memberships``: an invitation is accepted by the invitee), so
  nobody is made part of a side, and of its contact list, without their own consent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Investor,
    InvestorMember,
    MatchOutcome,
    Startup,
    StartupMember,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.funding import Introduction, IntroductionStatus, Side
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, Invalid, NotFound
from matchmaker.services.funding.asks import member_investor_ids, member_startup_ids
from matchmaker.services.funding.parties import members, notify_parties
from matchmaker.services.transactions import commit, use_case

SIDES = (Side.STARTUP, Side.INVESTOR)


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    wechat_id: str


@dataclass
class IntroductionView:
    intro: Introduction
    my_side: str
    other_side_name: str
    can_accept: bool
    contacts: list[Contact] = field(default_factory=list)  # the other side's, once accepted


def sides_of(session: Session, user: Any, intro: Introduction) -> list[str]:
    """The sides of the introduction ``user`` is a member of: none, one, or both."""
    sides: list[str] = []
    if intro.startup_id in member_startup_ids(session, user):
        sides.append(Side.STARTUP)
    if intro.investor_id in member_investor_ids(session, user):
        sides.append(Side.INVESTOR)
    return sides


def contacts_of(session: Session, intro: Introduction, side: str) -> list[Contact]:
    """The contact details of ``side``'s members, or nothing unless the intro is accepted.

    Members are only people who joined: a member row exists once its person accepted an
    invitation (or created the profile). Pending invitees live in the invitation tables and are
    never read here.
    """
    if intro.status != IntroductionStatus.ACCEPTED or side not in SIDES:
        return []
    owner: Startup | Investor = intro.startup if side == Side.STARTUP else intro.investor
    people = sorted((m.user for m in owner.members), key=lambda u: u.id)
    # The phone and WeChat ID each go out only with their owner's own consent for that channel.
    return [
        Contact(
            u.display_name,
            u.email,
            (u.phone or "") if u.share_phone else "",
            (u.wechat_id or "") if u.share_wechat else "",
        )
        for u in people
        if u.is_active
    ]


def _share_a_member(startup: Startup, investor: Investor) -> bool:
    return bool(set(members(startup)) & set(members(investor)))


_SHARED = _l(
    "This startup and this fund share a team member, so they cannot be introduced to each "
    "other: both sides must be answered by different people."
)


@use_case
def request_introduction(
    session: Session,
    user: User,
    *,
    startup_id: int,
    investor_id: int,
    side: str,
    message: str = "",
    link: str = "",
) -> Introduction:
    """Ask for an introduction as ``side``; accepting a pending one the other side requested."""
    if side not in SIDES:
        raise Invalid(_l("Choose for whom you ask."))
    user_id = user.id
    begin_write(session)
    me = session.get(User, user_id)
    startup = session.get(Startup, startup_id)
    investor = session.get(Investor, investor_id)
    if startup is None or investor is None or not startup.is_active or not investor.is_active:
        raise NotFound(_l("This introduction cannot be requested."))
    by_side = member_startup_ids if side == Side.STARTUP else member_investor_ids
    mine = by_side(session, me)
    if (startup_id if side == Side.STARTUP else investor_id) not in mine:
        raise NotFound(_l("This introduction cannot be requested."))
    if _share_a_member(startup, investor):
        raise Conflict(_SHARED)
    intro = session.scalar(
        sa.select(Introduction).where(
            Introduction.startup_id == startup_id, Introduction.investor_id == investor_id
        )
    )
    if intro is not None:
        if intro.status != IntroductionStatus.PENDING or intro.accepted_by(side):
            raise Conflict(_l("An introduction between you already exists."))
        # Nothing is written yet: accepting begins its own write transaction.
        return accept_introduction(session, user, intro.id, link=link)
    intro = Introduction(
        startup_id=startup_id,
        investor_id=investor_id,
        requested_by_side=side,
        requested_by_id=user_id,
        message=message.strip(),
    )
    _stamp(intro, side, user_id)
    session.add(intro)
    rows = notify_parties(
        session,
        members(investor if side == Side.STARTUP else startup),
        f"funding.intro_requested_by_{side}",
        startup=startup,
        investor=investor,
        link=link,
    )
    commit(session, _l("An introduction between you already exists."))
    notifications.send_after_commit(session, rows)
    return intro


def _stamp(intro: Introduction, side: str, user_id: int) -> None:
    if side == Side.STARTUP:
        intro.startup_accepted_at, intro.startup_accepted_by_id = utcnow(), user_id
    else:
        intro.investor_accepted_at, intro.investor_accepted_by_id = utcnow(), user_id


def _pending_answer(session: Session, user: User, intro_id: int) -> tuple[Introduction, list[str]]:
    """The pending introduction ``user`` answers, locked (``begin_write``; PostgreSQL: FOR
    UPDATE), and the sides they are a member of: ``NotFound`` for someone on neither side,
    ``Conflict`` once it was answered."""
    user_id = user.id  # read before begin_write's commit expires it
    begin_write(session)
    me = session.get(User, user_id)
    stmt = sa.select(Introduction).where(Introduction.id == intro_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    intro = session.scalar(stmt)
    sides = sides_of(session, me, intro) if intro is not None else []
    if intro is None or not sides:
        raise NotFound(_l("This introduction does not exist."))
    if intro.status != IntroductionStatus.PENDING:
        raise Conflict(_l("This introduction is already %(status)s.", status=_status(intro)))
    return intro, sides


@use_case
def accept_introduction(
    session: Session, user: User, intro_id: int, *, link: str = ""
) -> Introduction:
    """Accept for the one side the user is a member of.

    Refused (``Conflict``) when the startup and the fund share a member, when the user's side
    has already accepted, and when this user already accepted for the other side (they have
    since changed teams): one person never accepts for both sides. Not a member of either
    side: ``NotFound``.
    """
    user_id = user.id
    intro, sides = _pending_answer(session, user, intro_id)
    startup, investor = intro.startup, intro.investor
    # Disjoint teams leave exactly one side in ``sides``.
    if len(sides) > 1 or _share_a_member(startup, investor):
        raise Conflict(_SHARED)
    [side] = sides
    if intro.accepted_by(side):
        raise Conflict(_l("You have already accepted; waiting for the other side."))
    if _accepted_by_id(intro, _other(side)) == user_id:
        raise Conflict(
            _l("You accepted for the other side: someone else must accept for this one.")
        )
    _stamp(intro, side, user_id)
    if intro.accepted_by(Side.STARTUP) and intro.accepted_by(Side.INVESTOR):
        intro.status = IntroductionStatus.ACCEPTED
        session.add(
            MatchOutcome(
                startup_id=startup.id,
                candidate_kind="investor",
                candidate_id=investor.id,
                outcome="introduced",
            )
        )
        recipients = members(startup, but=user_id) + members(investor, but=user_id)
        kind = "funding.intro_accepted"
    else:
        waiting = _other(side)
        recipients = members(investor if waiting == Side.INVESTOR else startup)
        kind = "funding.intro_proposed"
    rows = notify_parties(session, recipients, kind, startup=startup, investor=investor, link=link)
    commit(session)
    notifications.send_after_commit(session, rows)
    return intro


def _other(side: str) -> str:
    return Side.INVESTOR if side == Side.STARTUP else Side.STARTUP


def _accepted_by_id(intro: Introduction, side: str) -> int | None:
    return intro.startup_accepted_by_id if side == Side.STARTUP else intro.investor_accepted_by_id


@use_case
def decline_introduction(
    session: Session, user: User, intro_id: int, *, link: str = ""
) -> Introduction:
    """Decline for the user's side (a member of either side may); final, and the other side
    is told. Not a member of either side: NotFound; already answered: Conflict."""
    user_id = user.id
    intro, sides = _pending_answer(session, user, intro_id)
    intro.status = IntroductionStatus.DECLINED
    intro.declined_by_side = sides[0]
    startup, investor = intro.startup, intro.investor
    rows = notify_parties(
        session,
        members(investor if sides[0] == Side.STARTUP else startup, but=user_id),
        "funding.intro_declined",
        startup=startup,
        investor=investor,
        link=link,
    )
    commit(session)
    notifications.send_after_commit(session, rows)
    return intro


def _status(intro: Introduction) -> Any:
    words: dict[str, Any] = {
        IntroductionStatus.ACCEPTED: _l("accepted"),
        IntroductionStatus.DECLINED: _l("declined"),
    }
    return words.get(intro.status, _l("pending"))


def introductions_for(session: Session, user: Any) -> list[IntroductionView]:
    """The user's introductions, newest first; contacts only where both sides accepted."""
    startups = member_startup_ids(session, user)
    funds = member_investor_ids(session, user)
    if not startups and not funds:
        return []
    intros = session.scalars(
        sa.select(Introduction)
        .where(sa.or_(Introduction.startup_id.in_(startups), Introduction.investor_id.in_(funds)))
        .options(
            selectinload(Introduction.startup)
            .selectinload(Startup.members)
            .selectinload(StartupMember.user),
            selectinload(Introduction.investor)
            .selectinload(Investor.members)
            .selectinload(InvestorMember.user),
        )
        .order_by(Introduction.created_at.desc(), Introduction.id.desc())
    ).all()
    out = []
    for intro in intros:
        side = Side.STARTUP if intro.startup_id in startups else Side.INVESTOR
        other = Side.INVESTOR if side == Side.STARTUP else Side.STARTUP
        sides = [
            s
            for s, mine in (
                (Side.STARTUP, intro.startup_id in startups),
                (Side.INVESTOR, intro.investor_id in funds),
            )
            if mine
        ]
        can_accept = (
            intro.status == IntroductionStatus.PENDING
            and sides == [side]
            and not intro.accepted_by(side)
            and _accepted_by_id(intro, other) != user.id
            and not _share_a_member(intro.startup, intro.investor)
        )
        out.append(
            IntroductionView(
                intro=intro,
                my_side=side,
                other_side_name=intro.investor.name if side == Side.STARTUP else intro.startup.name,
                can_accept=can_accept,
                contacts=contacts_of(session, intro, other),
            )
        )
    return out


def introduction_between(
    session: Session, startup_id: int, investor_id: int
) -> Introduction | None:
    """The introduction of this startup and fund, whatever its status (there is at most one)."""
    return session.scalar(
        sa.select(Introduction).where(
            Introduction.startup_id == startup_id, Introduction.investor_id == investor_id
        )
    )


def funds_facing(
    session: Session, user: Any, startup_id: int
) -> tuple[list[Investor], dict[int, Introduction]]:
    """The user's funds (by name) and, by fund, its introduction to the startup where one
    exists: what a fund member sees on a startup's page. Two statements however many funds."""
    if not getattr(user, "is_authenticated", False):
        return [], {}
    funds = list(
        session.scalars(
            sa.select(Investor)
            .join(InvestorMember, InvestorMember.investor_id == Investor.id)
            .where(InvestorMember.user_id == user.id)
            .order_by(Investor.name)
        )
    )
    if not funds:
        return [], {}
    intros = session.scalars(
        sa.select(Introduction).where(
            Introduction.startup_id == startup_id,
            Introduction.investor_id.in_([f.id for f in funds]),
        )
    )
    return funds, {i.investor_id: i for i in intros}
