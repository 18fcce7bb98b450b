"""Monitoring (监测、统计): the makerspace's figures for any period, as charts and numbers.

Each area's figures come from a small provider function registered in ``METRIC_PROVIDERS``;
a provider whose area's tables are not installed returns nothing, so the dashboard grows as
mentoring, funding and facilities land and never shows a figure it cannot compute.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, MatchOutcome, Startup
from matchmaker.models.operator import SupportRecord
from matchmaker.services.errors import Invalid
from matchmaker.services.operator import sources


@dataclass(frozen=True)
class Period:
    """Whole days from ``start`` to ``end`` inclusive."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def end_at(self) -> datetime:
        """Exclusive upper bound: midnight after ``end``."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def months(self) -> list[str]:
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def contains(self, moment: datetime | date | None) -> bool:
        if moment is None:
            return False
        if isinstance(moment, datetime):
            return self.start_at <= moment < self.end_at
        return self.start <= moment <= self.end

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def parse(cls, start: str | None, end: str | None, *, today: date | None = None) -> Period:
        """From ISO dates; the default is the last twelve months up to today."""
        today = today or date.today()
        try:
            end_day = date.fromisoformat(end) if end else today
            if start:
                start_day = date.fromisoformat(start)
            else:
                months = end_day.year * 12 + end_day.month - 1 - 11
                start_day = date(months // 12, months % 12 + 1, 1)
        except ValueError:
            raise Invalid(_l("Enter dates as YYYY-MM-DD."), field="start") from None
        if start_day > end_day:
            raise Invalid(_l("The period must start before it ends."), field="start")
        if (end_day - start_day).days > 3660:
            raise Invalid(_l("Choose a period of at most ten years."), field="start")
        return cls(start_day, end_day)


def month_of(moment: datetime | date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


@dataclass
class Dataset:
    label: Any
    data: list[float]


@dataclass
class Metric:
    """A figure: ``total`` (and ``unit``) for the headline, optional chart of ``datasets``."""

    key: str
    area: str
    title: Any
    total: float | None = None
    unit: Any = ""
    chart: str | None = None  # "bar" / "line" / None
    labels: list[str] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    note: Any = ""

    def chart_json(self) -> dict[str, Any]:
        return {
            "type": self.chart,
            "labels": self.labels,
            "datasets": [{"label": str(d.label), "data": d.data} for d in self.datasets],
        }


MetricProvider = Callable[[Session, Period, str | None], list[Metric]]
METRIC_PROVIDERS: list[MetricProvider] = []


def register_metric_provider(provider: MetricProvider) -> MetricProvider:
    """``provider(session, period, locale)`` returns the metrics of one area."""
    if provider not in METRIC_PROVIDERS:
        METRIC_PROVIDERS.append(provider)
    return provider


def collect(session: Session, period: Period, locale: str | None = None) -> list[Metric]:
    """Every provider's metrics for ``period``."""
    return [m for provider in METRIC_PROVIDERS for m in provider(session, period, locale)]


def _monthly(period: Period, moments: Iterable[datetime | date | None]) -> list[float]:
    counts = Counter(month_of(m) for m in moments if m is not None and period.contains(m))
    return [float(counts.get(month, 0)) for month in period.months()]


def _money(value: Any) -> float:
    return float(value or 0)


# --- startups (foundation) -------------------------------------------------------------------


def active_startups(session: Session, period: Period) -> list[Startup]:
    """Startups active on the platform and registered by the end of the period."""
    return list(
        session.scalars(
            sa.select(Startup).where(Startup.is_active, Startup.created_at < period.end_at)
        )
    )


@register_metric_provider
def startup_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    startups = active_startups(session, period)
    by_sector = Counter(code for s in startups for code in s.sectors)
    by_stage = Counter(s.stage for s in startups)
    sectors = [c for c in vocab.SECTORS if by_sector.get(c)]
    new = session.scalars(sa.select(Startup.created_at).where(Startup.is_active)).all()
    return [
        Metric(
            "startups_by_sector",
            "startups",
            _l("Active startups by sector"),
            total=float(len(startups)),
            unit=_l("startups"),
            chart="bar",
            labels=[vocab.label(vocab.SECTORS, c, locale) for c in sectors],
            datasets=[Dataset(_l("Startups"), [float(by_sector[c]) for c in sectors])],
            note=_l("A startup in several sectors counts once in each."),
        ),
        Metric(
            "startups_by_stage",
            "startups",
            _l("Active startups by stage"),
            total=float(len(startups)),
            unit=_l("startups"),
            chart="bar",
            labels=[vocab.label(vocab.STAGES, c, locale) for c in vocab.STAGES],
            datasets=[Dataset(_l("Startups"), [float(by_stage.get(c, 0)) for c in vocab.STAGES])],
        ),
        Metric(
            "new_startups",
            "startups",
            _l("New startups"),
            total=sum(_monthly(period, new)),
            unit=_l("startups"),
            chart="line",
            labels=period.months(),
            datasets=[Dataset(_l("New startups"), _monthly(period, new))],
        ),
    ]


# --- support recorded by operators -----------------------------------------------------------


@register_metric_provider
def support_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    rows = session.scalars(
        sa.select(SupportRecord).where(
            SupportRecord.granted_on >= period.start, SupportRecord.granted_on <= period.end
        )
    ).all()
    amount = sum((r.amount or Decimal(0) for r in rows), Decimal(0))
    return [
        Metric(
            "support_records",
            "support",
            _l("Support granted (subsidies, loans, awards)"),
            total=_money(amount),
            unit=_l("yuan"),
            chart="line",
            labels=period.months(),
            datasets=[Dataset(_l("Grants"), _monthly(period, [r.granted_on for r in rows]))],
            note=_l("%(n)d grants recorded by operators.", n=len(rows)),
        )
    ]


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


@register_metric_provider
def mentoring_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
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
                Dataset(_l("Requested"), _monthly(period, requested)),
                Dataset(_l("Held"), _monthly(period, held)),
                Dataset(_l("Rated"), _monthly(period, [at for at, _ in ratings])),
            ],
            note=_l("Average founder rating: %(r)s", r=f"{avg_rating:.2f}" if avg_rating else "–"),
        ),
        Metric(
            "mentor_response",
            "mentoring",
            _l("Mentor response time (median)"),
            total=round(statistics.median(waits), 1) if waits else None,
            unit=_l("hours"),
            note=_l("%(n)d answered requests.", n=len(waits)),
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


@register_metric_provider
def funding_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
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
                Dataset(_l("Pitches"), _monthly(period, pitches)),
                Dataset(_l("Introductions"), _monthly(period, [c for c, _, _ in intros])),
                Dataset(
                    _l("Introductions accepted"),
                    _monthly(period, [c for c, s, _ in intros if s == "accepted"]),
                ),
                Dataset(_l("Deals"), _monthly(period, deals)),
            ],
            note=_l("%(p)d pitches, %(i)d introductions.", p=len(pitches), i=len(intros)),
        ),
        Metric(
            "pitch_response",
            "funding",
            _l("Investor response time to pitches (median)"),
            total=round(statistics.median(waits), 1) if waits else None,
            unit=_l("hours"),
            note=_l("%(n)d pitches answered.", n=len(waits)),
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


@register_metric_provider
def facility_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    report = usage(session, period)
    voucher = sources.voucher_model()
    entry = sources.voucher_entry_model()
    metrics = []
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
                note=_l(
                    "%(n)d hours used of %(open)d open.",
                    n=float(total.hours_used),
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
        metrics.append(
            Metric(
                "vouchers",
                "facilities",
                _l("Innovation vouchers issued and redeemed"),
                total=sum(_money(a) for _, a in redeemed),
                unit=_l("yuan redeemed"),
                chart="bar",
                labels=period.months(),
                datasets=[
                    Dataset(_l("Issued (yuan)"), _monthly_sum(period, issued)),
                    Dataset(_l("Redeemed (yuan)"), _monthly_sum(period, redeemed)),
                ],
                note=_l(
                    "%(n)d vouchers issued for %(amount)s yuan.",
                    n=len(issued),
                    amount=f"{sum(_money(a) for _, a in issued):,.0f}",
                ),
            )
        )
    return metrics


def _monthly_sum(period: Period, rows: Iterable[tuple[datetime, Any]]) -> list[float]:
    sums: dict[str, float] = defaultdict(float)
    for at, amount in rows:
        if period.contains(at):
            sums[month_of(at)] += _money(amount)
    return [round(sums.get(m, 0.0), 2) for m in period.months()]
