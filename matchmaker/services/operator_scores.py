"""Performance scores of mentors, investors and facilities from outcomes (年度评估、择优奖励).

Each score is 0-100, a weighted sum of capped parts; the formula is returned with the score so
the page shows exactly how it was computed. Sources: the engine's ``MatchOutcome`` rows (written
by every area), the funding pipeline and equipment bookings where those tables exist.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from matchmaker.models import Equipment, Facility, Investor, MatchOutcome, MentorProfile
from matchmaker.services import operator_sources as sources
from matchmaker.services.monitoring import Period, available_hours, booked_hours, utilisation

MENTOR_FORMULA = (
    "40 × rating/5 + 25 × min(held/10, 1) + 20 × answered share + 15 × min(startups/5, 1)"
)
INVESTOR_FORMULA = (
    "35 × answered share + 25 × min(meetings/5, 1) + 25 × min(deals/3, 1) + 15 × min(startups/5, 1)"
)
FACILITY_FORMULA = (
    "40 × min(utilisation/60%, 1) + 25 × min(startups/10, 1) + 20 × (1 − no-show share) "
    "+ 15 × min(hours/200, 1)"
)


@dataclass
class PerformanceScore:
    kind: str
    id: int
    name: str
    score: float
    parts: dict[str, Any] = field(default_factory=dict)  # label -> shown value
    formula: str = ""


def _cap(x: float) -> float:
    return max(0.0, min(1.0, x))


def _outcomes(session: Session, kind: str, period: Period) -> list[MatchOutcome]:
    return list(
        session.scalars(
            sa.select(MatchOutcome).where(
                MatchOutcome.candidate_kind == kind,
                MatchOutcome.created_at >= period.start_at,
                MatchOutcome.created_at < period.end_at,
            )
        )
    )


def mentor_scores(session: Session, period: Period) -> list[PerformanceScore]:
    by_mentor: dict[int, list[MatchOutcome]] = defaultdict(list)
    for o in _outcomes(session, "mentor", period):
        by_mentor[o.candidate_id].append(o)
    mentors = session.scalars(
        sa.select(MentorProfile)
        .where(MentorProfile.id.in_(list(by_mentor)))
        .options(selectinload(MentorProfile.user))
    ).all()
    out = []
    for m in mentors:
        rows = by_mentor[m.id]
        held = [o for o in rows if o.outcome == "completed"]
        ratings = [o.rating for o in held if o.rating is not None]
        answered = sum(o.outcome in ("accepted", "declined") for o in rows)
        asked = answered + sum(o.outcome == "expired" for o in rows)
        startups = len({o.startup_id for o in rows if o.outcome in ("accepted", "completed")})
        rating = statistics.fmean(ratings) if ratings else 0.0
        share = answered / asked if asked else 0.0
        score = 40 * rating / 5 + 25 * _cap(len(held) / 10) + 20 * share + 15 * _cap(startups / 5)
        out.append(
            PerformanceScore(
                "mentor",
                m.id,
                m.name,
                round(score, 1),
                {
                    _l("Average rating"): f"{rating:.2f}" if ratings else "–",
                    _l("Sessions held"): len(held),
                    _l("Answered share"): f"{share:.0%}" if asked else "–",
                    _l("Startups served"): startups,
                },
                MENTOR_FORMULA,
            )
        )
    return sorted(out, key=lambda s: (-s.score, s.name))


def investor_scores(session: Session, period: Period) -> list[PerformanceScore]:
    by_investor: dict[int, list[MatchOutcome]] = defaultdict(list)
    for o in _outcomes(session, "investor", period):
        by_investor[o.candidate_id].append(o)
    pitches: dict[int, list[str]] = defaultdict(list)
    pitch = sources.pitch_model()
    if pitch is not None:
        for iid, stage in session.execute(
            sa.select(pitch.investor_id, pitch.stage).where(
                pitch.created_at >= period.start_at, pitch.created_at < period.end_at
            )
        ):
            pitches[iid].append(stage)
    ids = set(by_investor) | set(pitches)
    out = []
    for inv in session.scalars(sa.select(Investor).where(Investor.id.in_(list(ids)))):
        rows = by_investor.get(inv.id, [])
        meetings = sum(o.outcome in ("meeting", "introduced") for o in rows)
        deals = sum(o.outcome == "invested" for o in rows)
        startups = len({o.startup_id for o in rows})
        received = pitches.get(inv.id, [])
        if received:
            share = sum(stage != "new" for stage in received) / len(received)
        else:
            decided = sum(
                o.outcome in ("meeting", "introduced", "invested", "passed") for o in rows
            )
            share = decided / len(rows) if rows else 0.0
        score = (
            35 * share + 25 * _cap(meetings / 5) + 25 * _cap(deals / 3) + 15 * _cap(startups / 5)
        )
        out.append(
            PerformanceScore(
                "investor",
                inv.id,
                inv.name,
                round(score, 1),
                {
                    _l("Pitches received"): len(received),
                    _l("Answered share"): f"{share:.0%}",
                    _l("Meetings and introductions"): meetings,
                    _l("Deals"): deals,
                    _l("Startups engaged"): startups,
                },
                INVESTOR_FORMULA,
            )
        )
    return sorted(out, key=lambda s: (-s.score, s.name))


@dataclass
class FacilityFigures:
    facility: Facility
    hours: float
    utilisation: float | None
    startups: int
    bookings: int
    no_shows: int
    voucher_redeemed: float
    equipment_hours: dict[int, float]
    equipment_utilisation: dict[int, float | None]


def facility_figures(session: Session, period: Period) -> list[FacilityFigures]:
    facilities = session.scalars(
        sa.select(Facility).options(selectinload(Facility.equipment)).order_by(Facility.name)
    ).all()
    hours = booked_hours(session, period)
    available = available_hours(session, period)
    booking = sources.booking_model()
    per_startups: dict[int, set[int]] = defaultdict(set)
    counts: dict[int, list[str]] = defaultdict(list)
    if booking is not None:
        for eid, sid, status in session.execute(
            sa.select(booking.equipment_id, booking.startup_id, booking.status).where(
                booking.starts_at >= period.start_at, booking.starts_at < period.end_at
            )
        ):
            counts[eid].append(status)
            if status in ("confirmed", "completed"):
                per_startups[eid].add(sid)
    else:
        for o in _outcomes(session, "equipment", period):
            if o.outcome == "booked":
                counts[o.candidate_id].append("completed")
                per_startups[o.candidate_id].add(o.startup_id)
    redeemed: dict[int, float] = defaultdict(float)
    entry = sources.voucher_entry_model()
    if entry is not None:
        for fid, amount in session.execute(
            sa.select(entry.facility_id, entry.amount).where(
                entry.kind == "redeem",
                entry.created_at >= period.start_at,
                entry.created_at < period.end_at,
            )
        ):
            if fid is not None:
                redeemed[fid] += float(amount)
    out = []
    for f in facilities:
        ids = [e.id for e in f.equipment]
        f_hours = {i: hours.get(i, 0.0) for i in ids}
        f_avail = {i: available[i] for i in ids if i in available}
        statuses = [s for i in ids for s in counts.get(i, [])]
        out.append(
            FacilityFigures(
                f,
                round(sum(f_hours.values()), 1),
                utilisation(f_hours, f_avail),
                len(set().union(*(per_startups.get(i, set()) for i in ids))) if ids else 0,
                sum(s in ("confirmed", "completed", "no_show") for s in statuses),
                sum(s == "no_show" for s in statuses),
                round(redeemed.get(f.id, 0.0), 2),
                f_hours,
                {
                    i: utilisation({i: f_hours[i]}, {i: f_avail[i]}) if i in f_avail else None
                    for i in ids
                },
            )
        )
    return out


def facility_scores(
    session: Session, period: Period, figures: Sequence[FacilityFigures] | None = None
) -> list[PerformanceScore]:
    figures = facility_figures(session, period) if figures is None else figures
    out = []
    for f in figures:
        if not f.bookings and not f.hours:
            continue
        no_show = f.no_shows / f.bookings if f.bookings else 0.0
        rate = f.utilisation or 0.0
        score = (
            40 * _cap(rate / 0.6)
            + 25 * _cap(f.startups / 10)
            + 20 * (1 - no_show)
            + 15 * _cap(f.hours / 200)
        )
        out.append(
            PerformanceScore(
                "facility",
                f.facility.id,
                f.facility.name,
                round(score, 1),
                {
                    _l("Utilisation"): f"{rate:.0%}" if f.utilisation is not None else "–",
                    _l("Startups served"): f.startups,
                    _l("No-show share"): f"{no_show:.0%}",
                    _l("Hours booked"): f.hours,
                },
                FACILITY_FORMULA,
            )
        )
    return sorted(out, key=lambda s: (-s.score, s.name))


def equipment_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    return dict(
        session.execute(sa.select(Equipment.id, Equipment.name).where(Equipment.id.in_(ids))).all()
    )
