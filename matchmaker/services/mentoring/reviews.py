"""After a session: each side's review (a rating, private notes, follow-up actions).

A founder's rating is also written onto the session's ``MatchOutcome`` and becomes one of the
engine's features (the aggregates are read by ``ratings``); a founder may ask for a follow-up
session and share a comment on the mentor's page.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import MatchOutcome, Notification, User
from matchmaker.models.mentoring import SessionReview, SessionStatus, Side
from matchmaker.services import notifications
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.errors import Conflict, Invalid
from matchmaker.services.mentoring.notices import SessionLink, session_path, tell
from matchmaker.services.mentoring.sessions import lock_session, refuse, require_party
from matchmaker.services.transactions import commit, use_case

ALREADY_REVIEWED = _l("You have already reviewed this session.")


@use_case
def review_session(
    session: Session,
    user: User,
    session_id: int,
    *,
    rating: int,
    notes: str = "",
    follow_up_actions: str = "",
    wants_follow_up: bool = False,
    public_comment: str = "",
    share_comment: bool = False,
    link_for: SessionLink = session_path,
) -> SessionReview:
    """One side's rating (1-5), private notes and follow-up actions for a completed session,
    once per author. Only a founder's review asks for a follow-up, shares a comment or rates the
    mentor (the mentor's profile is then re-snapshotted for the engine, after the commit)."""
    ms = lock_session(session, session_id)
    side = require_party(ms, user)
    if ms.status != SessionStatus.COMPLETED:
        raise refuse(ms, _l("review"))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Invalid(_l("Give a rating from 1 to 5."), field="rating")
    existing = session.scalar(
        sa.select(SessionReview.id).where(
            SessionReview.session_id == ms.id, SessionReview.author_id == user.id
        )
    )
    if existing is not None:
        raise Conflict(ALREADY_REVIEWED)
    review = SessionReview(
        session_id=ms.id,
        author_id=user.id,
        side=side,
        rating=rating,
        notes=(notes or "").strip()[:4000],
        follow_up_actions=(follow_up_actions or "").strip()[:4000],
        wants_follow_up=bool(wants_follow_up) and side == Side.FOUNDER,
        # Only founders' comments are shown (on the mentor's page), and only if they agreed.
        public_comment=(public_comment or "").strip()[:1000] if side == Side.FOUNDER else "",
        share_comment=bool(share_comment) and side == Side.FOUNDER,
    )
    session.add(review)
    mentor_id = ms.mentor_id
    sent: list[Notification] = []
    if side == Side.FOUNDER:
        outcome = session.get(MatchOutcome, ms.outcome_id) if ms.outcome_id else None
        if outcome is not None and outcome.rating is None:
            outcome.rating = rating
        if review.wants_follow_up:
            sent = tell(session, ms, Side.MENTOR, "mentoring.follow_up_wanted", link_for=link_for)
    # A double-clicked review loses at the unique (session, author) constraint.
    commit(session, ALREADY_REVIEWED)
    notifications.send_after_commit(session, sent)
    if side == Side.FOUNDER:
        # The mentor's rating is one of the engine's features: re-snapshot the profile (its
        # text, hence its vector, is unchanged, so nothing is re-embedded).
        profile_changed("mentor", mentor_id)
    return review
