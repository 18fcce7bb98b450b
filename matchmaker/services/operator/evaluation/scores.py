"""Performance scores of mentors, investors and facilities from outcomes (年度评估、择优奖励).

Each score is 0-100, a weighted sum of capped parts; the formula is returned with the score so
the page shows exactly how it was computed. Sources: the engine's ``MatchOutcome`` rows (written
by every area), the funding pipeline and the facilities area's usage report.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, Investor, MatchOutcome, Mentor
from matchmaker.models.funding import Pitch
from matchmaker.services.operator.monitoring.activity_metrics import usage
from matchmaker.services.operator.monitoring.figures import Period

MENTOR_FORMULA = _l(
    "40 × average rating/5 + 25 × min(sessions held/10, 1) + 20 × answered share "
    "+ 15 × min(startups served/5, 1); answered share = (accepted + declined) / (accepted + "
    "declined + expired), 1 when nobody asked"
)
INVESTOR_FORMULA = _l(
    "35 × answered share + 25 × min(meetings and introductions/5, 1) + 25 × min(deals/3, 1) "
    "+ 15 × min(startups engaged/5, 1); answered share = pitches moved past “new” / pitches "
    "received"
)
FACILITY_FORMULA = _l(
    "40 × min(utilisation/0.6, 1) + 25 × min(startups served/10, 1) + 20 × (1 − no-show "
    "share) + 15 × min(hours booked/200, 1); utilisation = hours used / hours open"
)


@dataclass
class PerformanceScore:
    kind: str
    id: int
    name: str
    score: float
    parts: dict[str, Any] = field(default_factory=dict)  # label -> shown value
    formula: Any = ""


def _cap(x: float) -> float:
    return max(0.0, min(1.0, x))


def _outcomes(session: Session, kind: str, period: Period) -> list[MatchOutcome]:
    return list(
        session.scalars(
            sa.select(MatchOutcome).where(
                MatchOutcome.candidate_kind == kind, period.covers(MatchOutcome.created_at)
            )
        )
    )


def mentor_scores(session: Session, period: Period) -> list[PerformanceScore]:
    """Mentors recommended in ``period``, scored by ``MENTOR_FORMULA`` (rating, sessions held,
    requests answered, startups served), best first."""
    by_mentor: dict[int, list[MatchOutcome]] = defaultdict(list)
    for o in _outcomes(session, "mentor", period):
        by_mentor[o.candidate_id].append(o)
    mentors = session.scalars(
        sa.select(Mentor).where(Mentor.id.in_(list(by_mentor))).options(selectinload(Mentor.user))
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
        share = answered / asked if asked else 1.0
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
    """Investors recommended in ``period``, scored by ``INVESTOR_FORMULA`` (pitches answered,
    meetings and introductions, deals, startups engaged), best first."""
    by_investor: dict[int, list[MatchOutcome]] = defaultdict(list)
    for o in _outcomes(session, "investor", period):
        by_investor[o.candidate_id].append(o)
    pitches: dict[int, list[str]] = defaultdict(list)
    for iid, stage in session.execute(
        sa.select(Pitch.investor_id, Pitch.stage).where(period.covers(Pitch.created_at))
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
    hours: float  # booked
    hours_used: float
    utilisation: float | None  # used over open, 0-1; None when no opening hours are published
    startups: int
    bookings: int
    no_shows: int
    voucher_redeemed: float
    equipment_hours: dict[int, float]
    equipment_utilisation: dict[int, float | None]


def facility_figures(session: Session, period: Period) -> list[FacilityFigures]:
    """Per facility, from the facilities area's usage report (the same figures its managers
    see)."""
    facilities = session.scalars(
        sa.select(Facility).options(selectinload(Facility.equipment)).order_by(Facility.name)
    ).all()
    out = []
    for f in facilities:
        report = usage(session, period, f.equipment)
        total = report.total
        out.append(
            FacilityFigures(
                f,
                round(float(total.hours_booked), 1),
                round(float(total.hours_used), 1),
                float(total.utilisation) / 100 if total.hours_open else None,
                total.startups_served,
                total.bookings,
                total.no_shows,
                round(float(total.vouchers_redeemed), 2),
                {r.equipment_id: round(float(r.hours_booked), 1) for r in report.rows},
                {
                    r.equipment_id: float(r.utilisation) / 100 if r.hours_open else None
                    for r in report.rows
                },
            )
        )
    return out


def facility_scores(
    session: Session, period: Period, figures: Sequence[FacilityFigures] | None = None
) -> list[PerformanceScore]:
    """Facilities with any activity in ``period``, scored by ``FACILITY_FORMULA`` (utilisation,
    startups served, no-shows, hours), best first. Pass ``figures`` when already computed."""
    figures = facility_figures(session, period) if figures is None else figures
    out = []
    for f in figures:
        if not f.bookings and not f.hours and not f.startups:
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
    """Instrument names by id, for the instruments in ``ids``."""
    return dict(
        session.execute(sa.select(Equipment.id, Equipment.name).where(Equipment.id.in_(ids))).all()
    )
