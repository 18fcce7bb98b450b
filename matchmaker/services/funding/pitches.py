"""Sending a funding ask to investors (pitches), within a weekly limit per startup.

Sending pitches is limited per startup and rolling week (``FUNDING_PITCHES_PER_WEEK``). The
count and the inserts happen in one write transaction: ``begin_write`` takes SQLite's write lock
before the count, and on PostgreSQL the startup row is locked ``FOR UPDATE`` so two concurrent
sends for one startup are serialised. A unique (ask, investor) constraint guarantees that no
investor is pitched twice for the same ask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext as _ln
from matchmaker.models import FundingAsk, Investor, Startup, User
from matchmaker.models.base import utcnow
from matchmaker.models.funding import Pitch, PitchStage, PitchStageChange
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, Invalid, NotFound, RateLimited
from matchmaker.services.funding.asks import ask_for_member
from matchmaker.services.funding.parties import members, notify_parties
from matchmaker.services.transactions import commit, use_case

DEFAULT_PITCHES_PER_WEEK = 5

_ALREADY_PITCHED = _l("You have already pitched this investor with this ask.")


def pitches_this_week(session: Session, startup_id: int) -> int:
    """Pitches the startup sent in the last 7 days (a rolling week, not the calendar's)."""
    since = utcnow() - timedelta(days=7)
    return (
        session.scalar(
            sa.select(sa.func.count(Pitch.id)).where(
                Pitch.startup_id == startup_id, Pitch.created_at >= since
            )
        )
        or 0
    )


@use_case
def send_pitches(
    session: Session,
    user: User,
    ask_id: int,
    investor_ids: Sequence[int],
    *,
    message: str = "",
    weekly_limit: int = DEFAULT_PITCHES_PER_WEEK,
    link_for: Callable[[Pitch], str] | None = None,
) -> list[Pitch]:
    """Pitch the ask to ``investor_ids`` and tell each fund's members (``link_for(pitch)`` is
    the link in their notification). All or nothing: one investor already pitched, inactive
    or unknown, or a batch that would pass ``weekly_limit``, refuses the whole batch."""
    wanted = list(dict.fromkeys(int(i) for i in investor_ids))
    if not wanted:
        raise Invalid(_l("Choose at least one investor to pitch."), field="investor_ids")
    user_id = user.id
    begin_write(session)
    ask = ask_for_member(session, session.get(User, user_id), ask_id)
    investors = _pitchable(session, ask, wanted, weekly_limit)
    pitches, rows = [], []
    for investor in investors:
        pitch = Pitch(
            ask_id=ask.id,
            startup_id=ask.startup_id,
            investor_id=investor.id,
            sent_by_id=user_id,
            message=message.strip(),
            stage=PitchStage.NEW,
        )
        pitch.history.append(
            PitchStageChange(from_stage="", to_stage=PitchStage.NEW, changed_by_id=user_id)
        )
        session.add(pitch)
        session.flush()
        pitches.append(pitch)
        rows += notify_parties(
            session,
            members(investor),
            "funding.pitch_received",
            startup=ask.startup,
            investor=investor,
            link=link_for(pitch) if link_for else "",
        )
    commit(session, _ALREADY_PITCHED)  # the unique (ask, investor) settles a concurrent send
    notifications.send_after_commit(session, rows)
    return pitches


def _pitchable(
    session: Session, ask: FundingAsk, wanted: list[int], weekly_limit: int
) -> list[Investor]:
    """The investors ``wanted`` (with their members), once the ask may be pitched to each of
    them this week; raises the refusal otherwise. Locks the startup on PostgreSQL first, so
    the weekly count cannot change before the commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(Startup.id).where(Startup.id == ask.startup_id).with_for_update())
    if not ask.is_open:
        raise Invalid(_l("This funding ask is closed; reopen it to pitch."))
    already = session.scalar(
        sa.select(sa.func.count(Pitch.id)).where(
            Pitch.ask_id == ask.id, Pitch.investor_id.in_(wanted)
        )
    )
    if already:
        raise Conflict(_ALREADY_PITCHED)
    investors = session.scalars(
        sa.select(Investor)
        .where(Investor.id.in_(wanted), Investor.is_active.is_(True))
        .options(selectinload(Investor.members))
    ).all()
    if len(investors) != len(wanted):
        raise NotFound(_l("This investor does not exist."))
    used = pitches_this_week(session, ask.startup_id)
    if used + len(wanted) > weekly_limit:
        raise RateLimited(
            _ln(
                "You can send %(num)d pitch a week; %(left)d left this week.",
                "You can send %(num)d pitches a week; %(left)d left this week.",
                weekly_limit,
                left=max(0, weekly_limit - used),
            ),
            field="investor_ids",
        )
    return list(investors)
