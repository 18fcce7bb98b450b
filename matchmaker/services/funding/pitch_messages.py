"""The conversation on a pitch: the fund asks a question, requests materials or declines in its
own words; the founders answer. One thread per pitch, read by both teams (the fund's notes stay
private: ``funding_pipeline``). Declining here passes the deal as the pipeline does, with the
investor's own words shown instead of a canned reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import User
from matchmaker.models.funding import (
    FINAL_STAGES,
    Pitch,
    PitchMessage,
    PitchMessageKind,
    PitchStage,
    Side,
)
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, Invalid, NotFound
from matchmaker.services.funding.asks import member_investor_ids, member_startup_ids
from matchmaker.services.funding.parties import members, notify_parties, pitch_parties
from matchmaker.services.funding.pipeline import OTHER_REASON, _profile_changed, change_stage
from matchmaker.services.transactions import commit, use_case

MAX_BODY = 4000
K = PitchMessageKind

# What each side may write; the labels are ours, so they are shown in the reader's language.
KINDS_BY_SIDE: dict[str, tuple[str, ...]] = {
    Side.INVESTOR: (K.QUESTION, K.MATERIALS, K.DECLINE),
    Side.STARTUP: (K.REPLY,),
}
KIND_LABELS: dict[str, Any] = {
    K.QUESTION: _l("Question"),
    K.MATERIALS: _l("Request for materials"),
    K.DECLINE: _l("Not proceeding"),
    K.REPLY: _l("Answer"),
}


@dataclass
class PitchThread:
    pitch: Pitch
    side: str  # the reader's side: "startup" or "investor"
    messages: list[PitchMessage]
    kinds: tuple[str, ...]  # what the reader may write now; empty once the deal is closed


def _side(session: Session, user: Any, pitch: Pitch) -> str:
    """The one side ``user`` is on; NotFound for anyone else (no leak of the pitch's existence),
    Conflict for someone on both teams (one person never speaks for both sides)."""
    investor = pitch.investor_id in member_investor_ids(session, user)
    startup = pitch.startup_id in member_startup_ids(session, user)
    if investor and startup:
        raise Conflict(
            _l("You are on both teams of this pitch: someone else must write for one side.")
        )
    if not investor and not startup:
        raise NotFound(_l("This conversation does not exist."))
    return Side.INVESTOR if investor else Side.STARTUP


def _kinds(pitch: Pitch, side: str) -> tuple[str, ...]:
    return () if pitch.stage in FINAL_STAGES else KINDS_BY_SIDE[side]


def thread_for(session: Session, user: Any, pitch_id: int) -> PitchThread:
    """The pitch's conversation for the reader's side, oldest message first, with what the
    reader may write now (nothing once the deal is closed)."""
    pitch = session.get(Pitch, pitch_id)
    if pitch is None:
        raise NotFound(_l("This conversation does not exist."))
    side = _side(session, user, pitch)
    messages = list(
        session.scalars(
            sa.select(PitchMessage)
            .where(PitchMessage.pitch_id == pitch.id)
            .options(selectinload(PitchMessage.author))
            .order_by(PitchMessage.created_at, PitchMessage.id)
        )
    )
    return PitchThread(pitch=pitch, side=side, messages=messages, kinds=_kinds(pitch, side))


@use_case
def post_message(
    session: Session, user: User, pitch_id: int, *, kind: str, body: str, link: str = ""
) -> PitchMessage:
    """Add a message to the pitch's thread and tell the other team. A decline closes the deal
    (stage "passed", a ``MatchOutcome`` for the engine); a closed deal takes no new message."""
    body = (body or "").strip()
    if not body:
        raise Invalid(_l("Write your message."), field="body")
    if len(body) > MAX_BODY:
        raise Invalid(_l("Enter at most %(n)d characters.", n=MAX_BODY), field="body")
    user_id = user.id
    begin_write(session)
    stmt = sa.select(Pitch).where(Pitch.id == pitch_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    pitch = session.scalar(stmt)
    if pitch is None:
        raise NotFound(_l("This conversation does not exist."))
    side = _side(session, session.get(User, user_id), pitch)
    if pitch.stage in FINAL_STAGES:
        raise Conflict(_l("This deal is closed: the conversation takes no new messages."))
    if kind not in KINDS_BY_SIDE[side]:
        raise Invalid(_l("Choose what kind of message this is."), field="kind")
    message = PitchMessage(pitch_id=pitch.id, author_id=user_id, side=side, kind=kind, body=body)
    session.add(message)
    startup, investor = pitch_parties(session, pitch, _l("This conversation does not exist."))
    if kind == K.DECLINE:
        change_stage(
            session, pitch, PitchStage.PASSED, startup, investor, user_id, pass_reason=OTHER_REASON
        )
    other = startup if side == Side.INVESTOR else investor
    rows = notify_parties(
        session,
        members(other, but=user_id),
        f"funding.pitch_{kind}",
        startup=startup,
        investor=investor,
        link=link,
    )
    investor_id = investor.id
    commit(session)
    notifications.send_after_commit(session, rows)
    if kind == K.DECLINE:
        _profile_changed(investor_id)  # the engine learns from the outcome, as for a pass
    return message


def thread_sizes(session: Session, pitch_ids: list[int]) -> dict[int, int]:
    """Messages per pitch, for the links to each thread (one query)."""
    if not pitch_ids:
        return {}
    rows = session.execute(
        sa.select(PitchMessage.pitch_id, sa.func.count())
        .where(PitchMessage.pitch_id.in_(pitch_ids))
        .group_by(PitchMessage.pitch_id)
    ).all()
    return {pitch_id: int(n) for pitch_id, n in rows}
