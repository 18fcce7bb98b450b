"""The annual evaluation report (年度评估): for the whole makerspace and for one facility, as a
printable page and an Excel workbook built from the same figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Facility
from matchmaker.models.operator import Policy, SupportRecord
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.exports import to_xlsx
from matchmaker.services.operator.evaluation import scores as operator_scores
from matchmaker.services.operator.monitoring import dashboard


@dataclass
class AnnualReport:
    year: int
    period: dashboard.Period
    metrics: list[dashboard.Metric]
    mentors: list[operator_scores.PerformanceScore]
    investors: list[operator_scores.PerformanceScore]
    facilities: list[operator_scores.PerformanceScore]
    facility_figures: list[operator_scores.FacilityFigures]
    support_count: int = 0
    support_amount: Decimal = Decimal(0)
    policies_published: int = 0
    facility: Facility | None = None
    equipment_rows: list[dict[str, Any]] = field(default_factory=list)
    locale: str | None = None  # the language the report was asked in (its labels)


def check_year(year: int) -> None:
    if not 2000 <= year <= date.today().year + 1:
        raise Invalid(_l("Choose a year between 2000 and next year."), field="year")


def makerspace_report(session: Session, year: int, locale: str | None = None) -> AnnualReport:
    """The makerspace's annual evaluation for ``year``: every monitoring figure, the scores of
    mentors, investors and facilities, support granted and policies published."""
    check_year(year)
    period = dashboard.Period.year(year)
    figures = operator_scores.facility_figures(session, period)
    support = session.execute(
        sa.select(sa.func.count(SupportRecord.id), sa.func.sum(SupportRecord.amount)).where(
            SupportRecord.granted_on >= period.start, SupportRecord.granted_on <= period.end
        )
    ).one()
    published = (
        session.scalar(
            sa.select(sa.func.count(Policy.id)).where(
                Policy.is_published.is_(True),
                Policy.published_at < period.end_at,
            )
        )
        or 0
    )
    return AnnualReport(
        year,
        period,
        dashboard.collect(session, period, locale),
        operator_scores.mentor_scores(session, period),
        operator_scores.investor_scores(session, period),
        operator_scores.facility_scores(session, period, figures),
        figures,
        support_count=int(support[0] or 0),
        support_amount=Decimal(support[1] or 0),
        policies_published=int(published),
        locale=locale,
    )


def facility_report(
    session: Session, year: int, facility_id: int, locale: str | None = None
) -> AnnualReport:
    """One facility's annual evaluation for ``year``: its figures, its score and each
    instrument's hours and utilisation. ``NotFound`` for an unknown facility."""
    check_year(year)
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFound(_l("No such facility."))
    period = dashboard.Period.year(year)
    figures = [
        f for f in operator_scores.facility_figures(session, period) if f.facility.id == facility_id
    ]
    scores = operator_scores.facility_scores(session, period, figures)
    rows = []
    fig = figures[0]
    for e in facility.equipment:
        rate = fig.equipment_utilisation.get(e.id)
        rows.append(
            {
                "name": e.name,
                "category": e.category,
                "hours": round(fig.equipment_hours.get(e.id, 0.0), 1),
                "utilisation": rate,
                "voucher_eligible": e.voucher_eligible,
            }
        )
    return AnnualReport(
        year,
        period,
        [],
        [],
        [],
        scores,
        figures,
        facility=facility,
        equipment_rows=rows,
        locale=locale,
    )


def report_data(report: AnnualReport) -> dict[str, Any]:
    """The report as plain JSON values, every label worded in the language in force (call it
    under ``force_locale(report.locale)``): what is stored for the page to show later, however
    the data, a facility's name or a translation changes meanwhile."""
    return {
        "year": report.year,
        "period": {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()},
        "facility": _facility_data(report.facility) if report.facility else None,
        "support_count": report.support_count,
        "support_amount": str(report.support_amount),
        "policies_published": report.policies_published,
        "metrics": [m.as_json() for m in report.metrics],
        "facility_figures": [
            {
                "facility": _facility_data(f.facility),
                "hours": f.hours,
                "hours_used": f.hours_used,
                "utilisation": f.utilisation,
                "startups": f.startups,
                "bookings": f.bookings,
                "no_shows": f.no_shows,
                "voucher_redeemed": f.voucher_redeemed,
            }
            for f in report.facility_figures
        ],
        "equipment_rows": [
            {
                **row,
                "category_label": vocab.label(
                    vocab.EQUIPMENT_CATEGORIES, row["category"], report.locale
                ),
            }
            for row in report.equipment_rows
        ],
        "scores": [
            {"group": group, "rows": [_score_data(s) for s in scores]}
            for group, scores in (
                ("mentors", report.mentors),
                ("investors", report.investors),
                ("facilities", report.facilities),
            )
        ],
    }


def _facility_data(facility: Facility) -> dict[str, Any]:
    return {"id": facility.id, "name": facility.name}


def _score_data(score: operator_scores.PerformanceScore) -> dict[str, Any]:
    # Parts as [label, value] pairs: their order is the table's column order, which a JSON
    # object loses on PostgreSQL's jsonb (and is not promised by every JSON reader).
    return {
        "kind": score.kind,
        "id": score.id,
        "name": score.name,
        "score": score.score,
        "parts": [[str(label), value] for label, value in score.parts.items()],
        "formula": str(score.formula),
    }


Sheet = tuple[str, list[str], list[list[Any]]]


def report_xlsx(report: AnnualReport) -> bytes:
    """The report as a workbook: summary, monthly figures, scores (with formulas), equipment."""
    sheets = [_summary_sheet(report), *_metric_sheets(report), *_score_sheets(report)]
    if report.equipment_rows:
        sheets.append(_equipment_sheet(report))
    return to_xlsx(sheets)


def _summary_sheet(report: AnnualReport) -> Sheet:
    title = (
        _("Annual evaluation %(year)d: %(name)s", year=report.year, name=report.facility.name)
        if report.facility
        else _("Annual evaluation %(year)d: the makerspace", year=report.year)
    )
    summary: list[list[Any]] = [
        [title, ""],
        [_("Period"), f"{report.period.start} – {report.period.end}"],
    ]
    if report.facility is None:
        summary += [
            [_("Support granted (records)"), report.support_count],
            [_("Support granted (yuan)"), float(report.support_amount)],
            [_("Policies published"), report.policies_published],
        ]
        summary += [[str(m.title), m.total if m.total is not None else "–"] for m in report.metrics]
    for f in report.facility_figures:
        summary += [
            [_("Hours booked") + f" · {f.facility.name}", f.hours],
            [
                _("Utilisation") + f" · {f.facility.name}",
                f.utilisation if f.utilisation is not None else "–",
            ],
            [_("Startups served") + f" · {f.facility.name}", f.startups],
            [_("Vouchers redeemed (yuan)") + f" · {f.facility.name}", f.voucher_redeemed],
        ]
    return (_("Summary"), [_("Figure"), _("Value")], summary)


def _metric_sheets(report: AnnualReport) -> list[Sheet]:
    # Only series by month go under the month headers; counts by sector or stage have their
    # own sheet (they used to land under "2026-01", "2026-02"... and past the last month).
    months = report.period.months()
    monthly: list[list[Any]] = []
    by_category: list[list[Any]] = []
    for m in report.metrics:
        for d in m.datasets:
            if list(m.labels) == months and len(d.data) == len(months):
                monthly.append([str(m.title), str(d.label), *d.data])
            else:
                by_category += [
                    [str(m.title), str(d.label), str(label), value]
                    for label, value in zip(m.labels, d.data, strict=False)
                ]
    sheets: list[Sheet] = []
    if monthly:
        sheets.append((_("Monthly"), [_("Figure"), _("Series"), *months], monthly))
    if by_category:
        sheets.append(
            (_("By category"), [_("Figure"), _("Series"), _("Category"), _("Value")], by_category)
        )
    return sheets


def _score_sheets(report: AnnualReport) -> list[Sheet]:
    sheets: list[Sheet] = []
    for name, scores in (
        (_("Mentors"), report.mentors),
        (_("Investors"), report.investors),
        (_("Facilities"), report.facilities),
    ):
        if not scores:
            continue
        keys = list(scores[0].parts)
        percent = {k for k in keys if any(_is_percent(s.parts.get(k)) for s in scores)}
        labels = [f"{k} (%)" if k in percent else str(k) for k in keys]
        rows = [
            [s.name, s.score, *[_as_number(s.parts.get(k)) for k in keys], str(s.formula)]
            for s in scores
        ]
        sheets.append((name, [_("Name"), _("Score"), *labels, _("Formula")], rows))
    return sheets


def _equipment_sheet(report: AnnualReport) -> Sheet:
    locale = report.locale
    return (
        _("Equipment"),
        [_("Instrument"), _("Category"), _("Hours booked"), _("Utilisation")],
        [
            [
                r["name"],
                vocab.label(vocab.EQUIPMENT_CATEGORIES, r["category"], locale),
                r["hours"],
                r["utilisation"] if r["utilisation"] is not None else "–",
            ]
            for r in report.equipment_rows
        ],
    )


def _is_percent(value: Any) -> bool:
    return isinstance(value, str) and value.endswith("%")


def _as_number(value: Any) -> Any:
    """A score part as a number a spreadsheet can sum ("35%" -> 35.0); "–" (no figure) ->
    an empty cell; other text stays text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value).strip()
    if text in ("–", "-", ""):
        return None
    try:
        return float(text[:-1]) if text.endswith("%") else float(text)
    except ValueError:
        return text
