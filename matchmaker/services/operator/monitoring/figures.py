"""What a monitoring figure is made of: the period it covers (whole days, counted by month on
charts) and the figure itself, a headline number with an optional chart."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.errors import Invalid


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

    def covers(self, column: QueryableAttribute[Any]) -> sa.ColumnElement[bool]:
        """The SQL condition that a timestamp ``column`` falls in the period (as ``contains``)."""
        return sa.and_(column >= self.start_at, column < self.end_at)

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
    """The ``YYYY-MM`` label of the month ``moment`` falls in (as on chart axes)."""
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

    def as_json(self) -> dict[str, Any]:
        """The figure as plain JSON values, its labels worded in the language in force (the open
        API's statistics, a stored annual report)."""
        return {
            "key": self.key,
            "area": self.area,
            "title": str(self.title),
            "total": self.total,
            "unit": str(self.unit),
            "note": str(self.note),
            "labels": [str(label) for label in self.labels],
            "datasets": [{"label": str(d.label), "data": list(d.data)} for d in self.datasets],
        }

    def chart_json(self) -> dict[str, Any]:
        return {
            "type": self.chart,
            "labels": self.labels,
            "datasets": [{"label": str(d.label), "data": d.data} for d in self.datasets],
        }


def monthly_counts(period: Period, moments: Iterable[datetime | date | None]) -> list[float]:
    """How many of ``moments`` fall in each month of ``period`` (outside ones are dropped)."""
    counts = Counter(month_of(m) for m in moments if m is not None and period.contains(m))
    return [float(counts.get(month, 0)) for month in period.months()]


def money(value: Any) -> float:
    """An amount (Decimal or None) as a chart number; None counts as 0."""
    return float(value or 0)


def monthly_sums(period: Period, rows: Iterable[tuple[datetime, Any]]) -> list[float]:
    """The amounts of ``(moment, amount)`` rows summed per month of ``period``, to the fen."""
    sums: dict[str, float] = defaultdict(float)
    for at, amount in rows:
        if period.contains(at):
            sums[month_of(at)] += money(amount)
    return [round(sums.get(m, 0.0), 2) for m in period.months()]


def monthly_count_chart(
    key: str,
    area: str,
    title: Any,
    period: Period,
    series: Iterable[tuple[Any, Iterable[datetime | date | None]]],
    *,
    total: float,
    unit: Any,
    note: Any = "",
) -> Metric:
    """A line chart with one line per ``(label, moments)`` of ``series``: how many moments fall
    in each month of ``period``."""
    return Metric(
        key,
        area,
        title,
        total=total,
        unit=unit,
        chart="line",
        labels=period.months(),
        datasets=[Dataset(label, monthly_counts(period, moments)) for label, moments in series],
        note=note,
    )


def median_hours(key: str, area: str, title: Any, hours: list[float], note: Any) -> Metric:
    """A waiting time figure: the median of ``hours`` to a tenth (none when nobody waited)."""
    return Metric(
        key,
        area,
        title,
        total=round(statistics.median(hours), 1) if hours else None,
        unit=_l("hours"),
        note=note,
    )
