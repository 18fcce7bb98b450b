"""Usage and utilisation per instrument and facility for a period: the evidence a facility
needs for performance-based subsidies.

For a period of local days ``[first, last]``:

- hours open: published availability (windows + openings - blackouts) from the local day the
  instrument was listed (``created_at``): time before it existed was never offered;
- hours booked: confirmed, completed and no-show bookings, clipped to the period;
- hours used: minutes recorded for completed bookings that start in the period;
- utilisation: hours used / hours open;
- startups served: distinct startups with a completed booking;
- revenue: price of completed bookings; vouchers redeemed: voucher value redeemed on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment
from matchmaker.models.bookings import BookingStatus, EquipmentBooking, VoucherState
from matchmaker.services import exports
from matchmaker.services.facilities.equipment_availability import (
    Interval,
    clip,
    open_intervals_by_equipment,
    total_hours,
)
from matchmaker.timezones import to_utc, wall_clock

BOOKED_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
ZERO = Decimal("0")


@dataclass
class UsageRow:
    equipment_id: int
    name: str
    hours_open: Decimal = ZERO
    hours_booked: Decimal = ZERO
    hours_used: Decimal = ZERO
    startups: set[int] = field(default_factory=set)
    revenue: Decimal = ZERO
    vouchers_redeemed: Decimal = ZERO
    bookings: int = 0
    no_shows: int = 0

    @property
    def utilisation(self) -> Decimal:
        if not self.hours_open:
            return ZERO
        return (self.hours_used / self.hours_open * 100).quantize(Decimal("0.1"))

    @property
    def booking_rate(self) -> Decimal:
        if not self.hours_open:
            return ZERO
        return (self.hours_booked / self.hours_open * 100).quantize(Decimal("0.1"))

    @property
    def startups_served(self) -> int:
        return len(self.startups)


@dataclass
class UsageReport:
    first: date
    last: date
    rows: list[UsageRow]
    total: UsageRow
    days: list[date]
    daily_open: list[float]
    daily_booked: list[float]
    daily_used: list[float]


class _Daily:
    """Hours per local day of the period, for the chart."""

    def __init__(self, days: list[date]) -> None:
        self.index = {d: i for i, d in enumerate(days)}
        self.open = [0.0] * len(days)
        self.booked = [0.0] * len(days)
        self.used = [0.0] * len(days)

    def spread(self, target: list[float], s: datetime, e: datetime) -> None:
        """Add an interval to ``target``, split over the local days it crosses."""
        cursor = s
        while cursor < e:
            local = wall_clock(cursor)
            next_midnight = to_utc(datetime.combine(local.date() + timedelta(days=1), time()))
            stop = min(e, next_midnight)
            i = self.index.get(local.date())
            if i is not None:
                target[i] += (stop - cursor).total_seconds() / 3600
            cursor = stop


def usage_report(
    session: Session, equipment: Sequence[Equipment], first: date, last: date
) -> UsageReport:
    """The figures of the module docstring for each instrument and in total, over the local
    days ``[first, last]``, with hours open, booked and used per day for the chart."""
    start = to_utc(datetime.combine(first, time()))
    end = to_utc(datetime.combine(last + timedelta(days=1), time()))
    ids = [e.id for e in equipment]
    bookings = list(
        session.scalars(
            sa.select(EquipmentBooking).where(
                EquipmentBooking.equipment_id.in_(ids),
                EquipmentBooking.status.in_(BOOKED_STATUSES),
                EquipmentBooking.ends_at > start,
                EquipmentBooking.starts_at < end,
            )
        )
    )
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    daily = _Daily(days)
    rows = []
    total = UsageRow(equipment_id=0, name="")
    # Open from the day an instrument was listed (its hours before that were never offered).
    listed = {
        e.id: to_utc(datetime.combine(wall_clock(e.created_at).date(), time())) for e in equipment
    }
    opened = open_intervals_by_equipment(
        session, {i: (max(start, since), end) for i, since in listed.items() if since < end}
    )
    for eq in equipment:
        mine = [b for b in bookings if b.equipment_id == eq.id]
        row = _usage_row(eq, mine, opened.get(eq.id, []), start, end, daily)
        rows.append(row)
        total.hours_open += row.hours_open
        total.hours_booked += row.hours_booked
        total.hours_used += row.hours_used
        total.startups |= row.startups
        total.revenue += row.revenue
        total.vouchers_redeemed += row.vouchers_redeemed
        total.bookings += row.bookings
        total.no_shows += row.no_shows
    return UsageReport(
        first=first,
        last=last,
        rows=rows,
        total=total,
        days=days,
        daily_open=[round(x, 2) for x in daily.open],
        daily_booked=[round(x, 2) for x in daily.booked],
        daily_used=[round(x, 2) for x in daily.used],
    )


def _usage_row(
    eq: Equipment,
    mine: list[EquipmentBooking],
    opened: list[Interval],
    start: datetime,
    end: datetime,
    daily: _Daily,
) -> UsageRow:
    """One instrument's figures over ``[start, end)`` (``opened``: its open time in it, from
    its listing day), its hours added to ``daily``."""
    row = UsageRow(equipment_id=eq.id, name=eq.name)
    row.hours_open = total_hours(opened)
    for s, e in opened:
        daily.spread(daily.open, s, e)
    booked = clip(((b.starts_at, b.ends_at) for b in mine), start, end)
    row.hours_booked = total_hours(booked)
    for s, e in booked:
        daily.spread(daily.booked, s, e)
    for b in mine:
        row.bookings += 1
        if b.status == BookingStatus.NO_SHOW:
            row.no_shows += 1
        if b.status != BookingStatus.COMPLETED or not (start <= b.starts_at < end):
            continue
        used = Decimal(b.actual_minutes or 0) / Decimal(60)
        row.hours_used += used
        i = daily.index.get(wall_clock(b.starts_at).date())
        if i is not None:
            daily.used[i] += float(used)
        row.startups.add(b.startup_id)
        row.revenue += b.price
        if b.voucher_state == VoucherState.REDEEMED:
            row.vouchers_redeemed += b.voucher_amount
    row.hours_used = row.hours_used.quantize(Decimal("0.01"))
    return row


HEADER = (
    "equipment",
    "hours_open",
    "hours_booked",
    "hours_used",
    "utilisation_percent",
    "booking_rate_percent",
    "startups_served",
    "bookings",
    "no_shows",
    "revenue_cny",
    "vouchers_redeemed_cny",
)


def _table(report: UsageReport, total_label: str) -> list[list[object]]:
    out: list[list[object]] = []
    for row in [*report.rows, report.total]:
        out.append(
            [
                row.name or total_label,
                row.hours_open,
                row.hours_booked,
                row.hours_used,
                row.utilisation,
                row.booking_rate,
                row.startups_served,
                row.bookings,
                row.no_shows,
                row.revenue,
                row.vouchers_redeemed,
            ]
        )
    return out


def _period(report: UsageReport) -> list[object]:
    return [*exports.header(["period"]), report.first.isoformat(), report.last.isoformat()]


def report_csv(report: UsageReport, total_label: str | None = None) -> str:
    """Headers in the current locale (call it under the reader's locale)."""
    total = total_label or str(_l("Total"))
    return exports.csv_text([_period(report), exports.header(HEADER), *_table(report, total)])


def report_xlsx(report: UsageReport, total_label: str | None = None) -> bytes:
    """The report as an Excel workbook (the same columns as ``report_csv``)."""
    total = total_label or str(_l("Total"))
    daily = [
        [d.isoformat(), report.daily_open[i], report.daily_booked[i], report.daily_used[i]]
        for i, d in enumerate(report.days)
    ]
    return exports.to_xlsx(
        [
            (
                str(_l("Utilisation")),
                _period(report),
                [exports.header(HEADER), *_table(report, total)],
            ),
            (
                str(_l("By day")),
                exports.header(["date", "hours_open", "hours_booked", "hours_used"]),
                daily,
            ),
        ]
    )
