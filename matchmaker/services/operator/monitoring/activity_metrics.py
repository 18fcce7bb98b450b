"""Monitoring figures of the mentoring, funding and facilities areas: response times, sessions,
pitches and deals, equipment hours and innovation vouchers."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext
from matchmaker.models import Equipment, MatchOutcome
from matchmaker.models.bookings import VoucherEntry, VoucherEntryKind
from matchmaker.models.funding import Introduction, Pitch, PitchStageChange
from matchmaker.models.mentoring import MentorSession, SessionReview
from matchmaker.services.facilities.utilisation import UsageReport, usage_report
from matchmaker.services.operator.monitoring.figures import (
    Dataset,
    Metric,
    Period,
    median_hours,
    money,
    month_of,
    monthly_count_chart,
    monthly_sums,
)


def moments_in(
    session: Session,
    period: Period,
    column: QueryableAttribute[Any],
    *where: sa.ColumnElement[bool],
) -> list[Any]:
    """The values of the timestamp ``column`` that fall in ``period``, of the rows matching
    ``where``: what a monthly count is made of."""
    return list(session.scalars(sa.select(column).where(period.covers(column), *where)))


# --- mentoring -------------------------------------------------------------------------------


def mentor_response_hours(session: Session, period: Period) -> list[float]:
    """Hours between a session request and the mentor's answer (accept or decline), for
    requests made in the period; the answer is the engine outcome the mentoring area writes."""
    requests = session.execute(
        sa.select(
            MentorSession.startup_id, MentorSession.mentor_id, MentorSession.created_at
        ).where(period.covers(MentorSession.created_at))
    ).all()
    if not requests:
        return []
    answers: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for sid, mid, at in session.execute(
        sa.select(MatchOutcome.startup_id, MatchOutcome.candidate_id, MatchOutcome.created_at)
        .where(
            MatchOutcome.candidate_kind == "mentor",
            MatchOutcome.outcome.in_(("accepted", "declined")),
            MatchOutcome.created_at >= period.start_at,
        )
        .order_by(MatchOutcome.created_at)
    ):
        answers[(sid, mid)].append(at)
    out = []
    for sid, mid, asked in requests:
        answer = next((a for a in answers.get((sid, mid), []) if a >= asked), None)
        if answer is not None:
            out.append((answer - asked).total_seconds() / 3600)
    return out


def mentoring_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    """Mentoring: sessions requested, held and rated by month with the average rating, and how
    fast mentors answer (median hours)."""
    requested = moments_in(session, period, MentorSession.created_at)
    held = moments_in(session, period, MentorSession.starts_at, MentorSession.status == "completed")
    ratings = session.execute(
        sa.select(SessionReview.created_at, SessionReview.rating).where(
            SessionReview.side == "founder", period.covers(SessionReview.created_at)
        )
    ).all()
    waits = mentor_response_hours(session, period)
    avg_rating = statistics.fmean(r for _, r in ratings) if ratings else None
    return [
        monthly_count_chart(
            "mentor_sessions",
            "mentoring",
            _l("Mentor sessions: requested, held, rated"),
            period,
            [
                (_l("Requested"), requested),
                (_l("Held"), held),
                (_l("Rated"), [at for at, _ in ratings]),
            ],
            total=float(len(held)),
            unit=_l("sessions held"),
            note=_l("Average founder rating: %(r)s", r=f"{avg_rating:.2f}" if avg_rating else "–"),
        ),
        median_hours(
            "mentor_response",
            "mentoring",
            _l("Mentor response time (median)"),
            waits,
            lazy_ngettext("%(num)d answered request.", "%(num)d answered requests.", len(waits)),
        ),
    ]


# --- funding ---------------------------------------------------------------------------------


def pitch_response_hours(session: Session, period: Period) -> list[float]:
    """Hours from a pitch being sent to the fund's first move in its pipeline."""
    change = PitchStageChange
    first = (
        sa.select(change.pitch_id, sa.func.min(change.created_at).label("at"))
        .where(change.from_stage != "")
        .group_by(change.pitch_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Pitch.created_at, first.c.at)
        .join(first, first.c.pitch_id == Pitch.id)
        .where(period.covers(Pitch.created_at))
    ).all()
    return [(at - sent).total_seconds() / 3600 for sent, at in rows if at >= sent]


def funding_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    """Funding: pitches, accepted introductions and deals by month, and how fast investors
    answer pitches (median hours)."""
    pitches = moments_in(session, period, Pitch.created_at)
    intros = session.execute(
        sa.select(Introduction.created_at, Introduction.status).where(
            period.covers(Introduction.created_at)
        )
    ).all()
    deals = moments_in(
        session,
        period,
        MatchOutcome.created_at,
        MatchOutcome.candidate_kind == "investor",
        MatchOutcome.outcome == "invested",
    )
    waits = pitch_response_hours(session, period)
    return [
        monthly_count_chart(
            "funding_flow",
            "funding",
            _l("Pitches, introductions and deals"),
            period,
            [
                (_l("Pitches"), pitches),
                (_l("Introductions"), [c for c, _ in intros]),
                (_l("Introductions accepted"), [c for c, s in intros if s == "accepted"]),
                (_l("Deals"), deals),
            ],
            total=float(len(deals)),
            unit=_l("deals"),
            note=_l(
                "%(pitches)s, %(introductions)s.",
                pitches=lazy_ngettext("%(num)d pitch", "%(num)d pitches", len(pitches)),
                introductions=lazy_ngettext(
                    "%(num)d introduction", "%(num)d introductions", len(intros)
                ),
            ),
        ),
        median_hours(
            "pitch_response",
            "funding",
            _l("Investor response time to pitches (median)"),
            waits,
            lazy_ngettext("%(num)d pitch answered.", "%(num)d pitches answered.", len(waits)),
        ),
    ]


# --- facilities ------------------------------------------------------------------------------


def usage(
    session: Session, period: Period, equipment: Sequence[Equipment] | None = None
) -> UsageReport:
    """The facilities area's usage report for ``period`` (all instruments by default), so the
    operator's utilisation is the same figure the facility reports."""
    if equipment is None:
        equipment = session.scalars(sa.select(Equipment).order_by(Equipment.id)).all()
    return usage_report(session, list(equipment), period.start, period.end)


def facility_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    """Facilities: equipment hours booked and utilisation (the facilities area's own usage
    report), and innovation vouchers issued and redeemed."""
    report = usage(session, period)
    monthly: dict[str, float] = defaultdict(float)
    for day, hours in zip(report.days, report.daily_booked, strict=True):
        monthly[month_of(day)] += hours
    total = report.total
    return [
        Metric(
            "equipment_hours",
            "facilities",
            _l("Equipment hours booked"),
            total=round(float(total.hours_booked), 1),
            unit=_l("hours"),
            chart="bar",
            labels=period.months(),
            datasets=[
                Dataset(_l("Hours"), [round(monthly.get(m, 0.0), 1) for m in period.months()])
            ],
            note=lazy_ngettext(
                "%(num)d hour used of %(open)d open.",
                "%(num)d hours used of %(open)d open.",
                int(total.hours_used),
                open=float(total.hours_open),
            ),
        ),
        Metric(
            "equipment_utilisation",
            "facilities",
            _l("Equipment utilisation"),
            total=float(total.utilisation) if total.hours_open else None,
            unit="%",
            note=_l(
                "Hours used over published opening hours; booked: %(rate)s%%.",
                rate=total.booking_rate,
            ),
        ),
        _voucher_metric(session, period),
    ]


def _voucher_ledger(
    session: Session, period: Period, kind: VoucherEntryKind
) -> list[tuple[datetime, Any]]:
    """``(moment, amount)`` of the voucher ledger's entries of ``kind`` in ``period``."""
    rows = session.execute(
        sa.select(VoucherEntry.created_at, VoucherEntry.amount).where(
            VoucherEntry.kind == kind, period.covers(VoucherEntry.created_at)
        )
    )
    return [(at, amount) for at, amount in rows]


def _voucher_metric(session: Session, period: Period) -> Metric:
    """Vouchers issued and redeemed in ``period``, from the voucher ledger."""
    # Issued when the ledger says so (its ``issue`` entry), not when the voucher row was
    # written: an imported or back-dated voucher would otherwise count as issued months
    # after it was redeemed.
    issued = _voucher_ledger(session, period, VoucherEntryKind.ISSUE)
    redeemed = _voucher_ledger(session, period, VoucherEntryKind.REDEEM)
    return Metric(
        "vouchers",
        "facilities",
        _l("Innovation vouchers issued and redeemed"),
        total=sum(money(a) for _, a in redeemed),
        unit=_l("yuan redeemed"),
        chart="bar",
        labels=period.months(),
        datasets=[
            Dataset(_l("Issued (yuan)"), monthly_sums(period, issued)),
            Dataset(_l("Redeemed (yuan)"), monthly_sums(period, redeemed)),
        ],
        note=lazy_ngettext(
            "%(num)d voucher issued for %(amount)s yuan.",
            "%(num)d vouchers issued for %(amount)s yuan.",
            len(issued),
            amount=f"{sum(money(a) for _, a in issued):,.0f}",
        ),
    )
