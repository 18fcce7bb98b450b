"""Where a mentoring session happens (a place and/or a video link), and the one dispute of a
no-show by the side marked absent. Both are use cases on a scheduled or closed session that
leave its status alone, so they live beside the state machine (``sessions``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import User
from matchmaker.models.mentoring import MentorSession, SessionStatus
from matchmaker.services import meeting_places
from matchmaker.services.errors import Conflict, Forbidden, Invalid
from matchmaker.services.mentoring.notices import (
    SessionLink,
    commit_and_send,
    session_path,
    tell_other_side,
)
from matchmaker.services.mentoring.sessions import lock_session, now_or_utcnow, require_party
from matchmaker.services.transactions import use_case


@use_case
def set_meeting_place(
    session: Session,
    user: User,
    session_id: int,
    *,
    place: str,
    url: str,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """Either side says where a scheduled session happens; the other side is told."""
    place, url = meeting_places.checked_place(
        place, url, place_field="meeting_place", url_field="meeting_url"
    )
    ms = lock_session(session, session_id)
    side = require_party(ms, user)
    if ms.status != SessionStatus.SCHEDULED:
        raise Conflict(_l("Only a scheduled session can have its place changed."))
    ms.meeting_place, ms.meeting_url = place, url
    sent = tell_other_side(
        session,
        ms,
        side,
        "mentoring.place_set",
        link_for=link_for,
        name=user.display_name,
        where=meeting_places.where_text(place, url),
    )
    commit_and_send(session, sent)
    return ms


@use_case
def dispute_no_show(
    session: Session,
    user: User,
    session_id: int,
    *,
    note: str,
    now: datetime | None = None,
    link_for: SessionLink = session_path,
) -> MentorSession:
    """The side marked absent says it was there, once. The dispute is recorded and shown to
    both sides and the operators; the status stays a no-show (an operator settles it)."""
    note = (note or "").strip()
    if not note:
        raise Invalid(_l("Say what happened."), field="note")
    if len(note) > 2000:
        raise Invalid(_l("Enter at most %(n)d characters.", n=2000), field="note")
    ms = lock_session(session, session_id)
    side = require_party(ms, user)
    if ms.status != SessionStatus.NO_SHOW:
        raise Conflict(_l("Only a no-show can be disputed."))
    if side != ms.absent_side:
        raise Forbidden(_l("Only the side marked absent can dispute a no-show."))
    if ms.no_show_disputed_at is not None:
        raise Conflict(_l("This no-show has already been disputed."))
    ms.no_show_disputed_at = now_or_utcnow(now)
    ms.no_show_dispute_note = note
    sent = tell_other_side(
        session, ms, side, "mentoring.no_show_disputed", link_for=link_for, name=user.display_name
    )
    commit_and_send(session, sent)
    return ms
