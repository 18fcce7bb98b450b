"""Monitoring figures of the mentoring, funding and facilities areas: response times, sessions,
pitches and deals, equipment hours and innovation vouchers. Each function returns nothing for
an area whose tables are not installed."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext
from matchmaker.models import Equipment, MatchOutcome
from matchmaker.services.operator.monitoring import sources
from matchmaker.services.operator.monitoring.figures import (
    Dataset,
    Metric,
    Period,
    money,
    month_of,
    monthly_counts,
    monthly_sums,
)

# --- mentoring -------------------------------------------------------------------------------


def mentor_response_hours(session: Session, period: Period) -> list[float]:
    """Hours between a session request and the mentor's answer (accept or decline), for
    requests made in the period; the answer is the engine outcome the mentoring area writes."""
    model = sources.mentor_session_model()
    if model is None:
        return []
    requests = session.execute(
        sa.select(model.startup_id, model.mentor_id, model.created_at).where(
            model.created_at >= period.start_at, model.created_at < period.end_at
        )
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
    fast mentors answer (median hours); nothing when the mentoring area is not installed."""
    model = sources.mentor_session_model()
    review = sources.session_review_model()
    if model is None or review is None:
        return []
    requested = session.scalars(
        sa.select(model.created_at).where(
            model.created_at >= period.start_at, model.created_at < period.end_at
        )
    ).all()
    held = session.scalars(
        sa.select(model.starts_at).where(
            model.status == "completed",
            model.starts_at >= period.start_at,
            model.starts_at < period.end_at,
        )
    ).all()
    ratings = session.execute(
        sa.select(review.created_at, review.rating).where(
            review.side == "founder",
            review.created_at >= period.start_at,
            review.created_at < period.end_at,
        )
    ).all()
    waits = mentor_response_hours(session, period)
    avg_rating = statistics.fmean(r for _, r in ratings) if ratings else None
    return [
        Metric(
            "mentor_sessions",
            "mentoring",
            _l("Mentor sessions: requested, held, rated"),
            total=float(len(held)),
            unit=_l("sessions held"),
            chart="line",
            labels=period.months(),
            datasets=[
                Dataset(_l("Requested"), monthly_counts(period, requested)),
                Dataset(_l("Held"), monthly_counts(period, held)),
                Dataset(_l("Rated"), monthly_counts(period, [at for at, _ in ratings])),
            ],
            note=_l("Average founder rating: %(r)s", r=f"{avg_rating:.2f}" if avg_rating else "–"),
        ),
        Metric(
            "mentor_response",
            "mentoring",
            _l("Mentor response time (median)"),
            total=round(statistics.median(waits), 1) if waits else None,
            unit=_l("hours"),
            note=lazy_ngettext(
                "%(num)d answered request.", "%(num)d answered requests.", len(waits)
            ),
        ),
    ]


# --- funding ---------------------------------------------------------------------------------


def pitch_response_hours(session: Session, period: Period) -> list[float]:
    """Hours from a pitch being sent to the fund's first move in its pipeline."""
    pitch = sources.pitch_model()
    change = sources.pitch_stage_change_model()
    if pitch is None or change is None:
        return []
    first = (
        sa.select(change.pitch_id, sa.func.min(change.created_at).label("at"))
        .where(change.from_stage != "")
        .group_by(change.pitch_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(pitch.created_at, first.c.at)
        .join(first, first.c.pitch_id == pitch.id)
        .where(pitch.created_at >= period.start_at, pitch.created_at < period.end_at)
    ).all()
    return [(at - sent).total_seconds() / 3600 for sent, at in rows if at >= sent]


def funding_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    """Funding: pitches, accepted introductions and deals by month, and how fast investors
    answer pitches (median hours); nothing when the funding area is not installed."""
    pitch = sources.pitch_model()
    intro = sources.introduction_model()
    if pitch is None or intro is None:
        return []
    pitches = session.scalars(
        sa.select(pitch.created_at).where(
            pitch.created_at >= period.start_at, pitch.created_at < period.end_at
        )
    ).all()
    intros = session.execute(
        sa.select(intro.created_at, intro.status, intro.updated_at).where(
            intro.created_at >= period.start_at, intro.created_at < period.end_at
        )
    ).all()
    deals = session.scalars(
        sa.select(MatchOutcome.created_at).where(
            MatchOutcome.candidate_kind == "investor",
            MatchOutcome.outcome == "invested",
            MatchOutcome.created_at >= period.start_at,
            MatchOutcome.created_at < period.end_at,
        )
    ).all()
    waits = pitch_response_hours(session, period)
    return [
        Metric(
            "funding_flow",
            "funding",
            _l("Pitches, introductions and deals"),
            total=float(len(deals)),
            unit=_l("deals"),
            chart="line",
            labels=period.months(),
            datasets=[
                Dataset(_l("Pitches"), monthly_counts(period, pitches)),
                Dataset(_l("Introductions"), monthly_counts(period, [c for c, _, _ in intros])),
                Dataset(
                    _l("Introductions accepted"),
                    monthly_counts(period, [c for c, s, _ in intros if s == "accepted"]),
                ),
                Dataset(_l("Deals"), monthly_counts(period, deals)),
            ],
            note=_l(
                "%(pitches)s, %(introductions)s.",
                pitches=lazy_ngettext("%(num)d pitch", "%(num)d pitches", len(pitches)),
                introductions=lazy_ngettext(
                    "%(num)d introduction", "%(num)d introductions", len(intros)
                ),
            ),
        ),
        Metric(
            "pitch_response",
            "funding",
            _l("Investor response time to pitches (median)"),
            total=round(statistics.median(waits), 1) if waits else None,
            unit=_l("hours"),
            note=lazy_ngettext("%(num)d pitch answered.", "%(num)d pitches answered.", len(waits)),
        ),
    ]


# --- facilities ------------------------------------------------------------------------------


def usage(session: Session, period: Period, equipment: Sequence[Any] | None = None) -> Any | None:
    """The facilities area's usage report for ``period`` (all instruments by default), or None
    when that area is not installed."""
    report = sources.usage_report_function()
    if report is None:
        return None
    if equipment is None:
        equipment = session.scalars(sa.select(Equipment).order_by(Equipment.id)).all()
    return report(session, list(equipment), period.start, period.end)


def facility_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    """Facilities: equipment hours booked and utilisation (the facilities area's own usage
    report), and innovation vouchers issued and redeemed."""
    report = usage(session, period)
    voucher = sources.voucher_model()
    entry = sources.voucher_entry_model()
    metrics: list[Metric] = []
    if report is not None:
        monthly: dict[str, float] = defaultdict(float)
        for day, hours in zip(report.days, report.daily_booked, strict=True):
            monthly[month_of(day)] += hours
        total = report.total
        metrics += [
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
        ]
    if voucher is not None and entry is not None:
        metrics.append(_voucher_metric(session, period, entry))
    return metrics


def _voucher_metric(session: Session, period: Period, entry: Any) -> Metric:
    """Vouchers issued and redeemed in ``period``, from the voucher ledger (``entry``)."""
    # Issued when the ledger says so (its ``issue`` entry), not when the voucher row was
    # written: an imported or back-dated voucher would otherwise count as issued months
    # after it was redeemed.
    issued = session.execute(
        sa.select(entry.created_at, entry.amount).where(
            entry.kind == "issue",
            entry.created_at >= period.start_at,
            entry.created_at < period.end_at,
        )
    ).all()
    redeemed = session.execute(
        sa.select(entry.created_at, entry.amount).where(
            entry.kind == "redeem",
            entry.created_at >= period.start_at,
            entry.created_at < period.end_at,
        )
    ).all()
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
