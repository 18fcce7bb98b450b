"""A signed-in user's own data for an ``own`` API token, read-only: the recommendations their
pages show (with the engine's reasons), their mentor sessions, equipment bookings and pitches.

"Own" means: the startups the user is a member of, and the mentor profile that is theirs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import MentorProfile, Startup, StartupMember
from matchmaker.models.bookings import EquipmentBooking
from matchmaker.models.funding import Pitch
from matchmaker.models.mentoring import MentorSession
from matchmaker.services.api.paging import next_cursor, rows_after
from matchmaker.services.funding import asks
from matchmaker.services.recommendations import bridge as reco
from matchmaker.services.recommendations.engine_settings import Caller

Row = dict[str, Any]
RECOMMENDATIONS_PER_KIND = 5


def _startup_ids(user_id: int) -> sa.Select[Any]:
    return sa.select(StartupMember.startup_id).where(StartupMember.user_id == user_id)


def _mentor_id(session: Session, user_id: int) -> int | None:
    return session.scalar(sa.select(MentorProfile.id).where(MentorProfile.user_id == user_id))


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def recommendations(
    session: Session, user_id: int, *, caller: Caller
) -> list[tuple[str, int, reco.Match]]:
    """(for whom, its id, match): mentors and funds for each of the user's startups, startups
    for the user's mentor profile. The engine's reasons stay structured on each match.
    ``caller``: who asks the engine (the API view: ``Caller.web_request``)."""
    out: list[tuple[str, int, reco.Match]] = []
    for startup_id in session.scalars(_startup_ids(user_id).order_by(StartupMember.startup_id)):
        out += [("startup", startup_id, m) for m in reco.recommend_mentors(
            session, startup_id, RECOMMENDATIONS_PER_KIND, caller=caller)]  # fmt: skip
        # The dashboard's investor list: one fit filter (round, ticket, instrument, region).
        startup = session.get(Startup, startup_id)
        if startup is not None:
            out += [("startup", startup_id, m) for m in asks.investor_recommendations(
                session, startup, RECOMMENDATIONS_PER_KIND, caller=caller)]  # fmt: skip
    mentor_id = _mentor_id(session, user_id)
    if mentor_id is not None:
        out += [("mentor", mentor_id, m) for m in reco.recommend_startups_for_mentor(
            session, mentor_id, RECOMMENDATIONS_PER_KIND, caller=caller)]  # fmt: skip
    return out


def sessions(session: Session, user_id: int, after: int, limit: int) -> tuple[list[Row], Any]:
    mentor_id = _mentor_id(session, user_id)
    mine: sa.ColumnElement[bool] = MentorSession.startup_id.in_(_startup_ids(user_id))
    if mentor_id is not None:
        mine = sa.or_(mine, MentorSession.mentor_id == mentor_id)
    rows = rows_after(session, sa.select(MentorSession).where(mine), MentorSession.id, after, limit)
    return [
        {
            "id": s.id, "role": "mentor" if s.mentor_id == mentor_id else "founder",
            "mentor_id": s.mentor_id, "startup_id": s.startup_id, "status": s.status,
            "topic": s.topic, "starts_at": _iso(s.starts_at), "ends_at": _iso(s.ends_at),
        }
        for s in rows
    ], next_cursor(rows, limit)  # fmt: skip


def bookings(session: Session, user_id: int, after: int, limit: int) -> tuple[list[Row], Any]:
    mine = sa.or_(
        EquipmentBooking.user_id == user_id,
        EquipmentBooking.startup_id.in_(_startup_ids(user_id)),
    )
    rows = rows_after(
        session, sa.select(EquipmentBooking).where(mine), EquipmentBooking.id, after, limit
    )
    return [
        {
            "id": b.id, "equipment_id": b.equipment_id, "startup_id": b.startup_id,
            "status": b.status, "starts_at": _iso(b.starts_at), "ends_at": _iso(b.ends_at),
            "price": float(b.price), "voucher_amount": float(b.voucher_amount),
        }
        for b in rows
    ], next_cursor(rows, limit)  # fmt: skip


def pitches(session: Session, user_id: int, after: int, limit: int) -> tuple[list[Row], Any]:
    mine = Pitch.startup_id.in_(_startup_ids(user_id))
    rows = rows_after(session, sa.select(Pitch).where(mine), Pitch.id, after, limit)
    return [
        {
            "id": p.id, "startup_id": p.startup_id, "investor_id": p.investor_id,
            "stage": p.stage, "sent_at": _iso(p.created_at),
        }
        for p in rows
    ], next_cursor(rows, limit)  # fmt: skip
