"""What founders thought of a mentor: the number of founder ratings, their mean, and the latest
comments their authors agreed to show. Read by the mentor's page and passed to the engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models.mentoring import MentorSession, SessionReview, Side

RECENT_COMMENTS = 3


@dataclass(frozen=True)
class SharedComment:
    text: str
    rating: int
    written_at: datetime


@dataclass(frozen=True)
class MentorRating:
    count: int = 0
    mean: float | None = None  # None with no rating: not the same as a poor one
    comments: list[SharedComment] = field(default_factory=list)


def mentor_ratings(session: Session, mentor_ids: Iterable[int]) -> dict[int, MentorRating]:
    """Founders' ratings per mentor in one query (mentors without one are absent).

    This is the engine's input: ``recommendations.profiles.load_profiles`` calls it once for
    all mentors and ``count`` and ``mean`` become the ``founder_rating`` feature (a founder's
    review announces the mentor's profile change). Only founders' reviews count (a mentor's
    rating of a startup says nothing about the mentor)."""
    ids = list(mentor_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(
            MentorSession.mentor_id,
            sa.func.count(SessionReview.id),
            sa.func.avg(SessionReview.rating),
        )
        .join(SessionReview, SessionReview.session_id == MentorSession.id)
        .where(MentorSession.mentor_id.in_(ids), SessionReview.side == Side.FOUNDER)
        .group_by(MentorSession.mentor_id)
    ).all()
    return {
        mentor_id: MentorRating(count=int(n), mean=round(float(mean), 2))
        for mentor_id, n, mean in rows
        if n
    }


def mentor_rating(session: Session, mentor_id: int) -> MentorRating:
    """One mentor's aggregate with the latest comments founders agreed to share."""
    summary = mentor_ratings(session, [mentor_id]).get(mentor_id, MentorRating())
    shared = session.execute(
        sa.select(SessionReview.public_comment, SessionReview.rating, SessionReview.created_at)
        .join(MentorSession, SessionReview.session_id == MentorSession.id)
        .where(
            MentorSession.mentor_id == mentor_id,
            SessionReview.side == Side.FOUNDER,
            SessionReview.share_comment.is_(True),
            SessionReview.public_comment != "",
        )
        .order_by(SessionReview.created_at.desc(), SessionReview.id.desc())
        .limit(RECENT_COMMENTS)
    ).all()
    return MentorRating(
        count=summary.count,
        mean=summary.mean,
        comments=[SharedComment(text, rating, at) for text, rating, at in shared],
    )
