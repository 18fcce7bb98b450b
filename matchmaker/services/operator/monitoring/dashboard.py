"""Monitoring (监测、统计): the makerspace's figures for any period, as charts and numbers.

Each area's figures come from a small provider function listed in ``METRIC_PROVIDERS`` (the
startups' and support figures here, the other areas' in ``activity_metrics``); a provider
whose area's tables are not installed returns nothing, so the dashboard never shows a figure
it cannot compute. What a figure and a period are: ``figures``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext
from matchmaker.models import Startup
from matchmaker.models.operator import SupportRecord
from matchmaker.services.operator.monitoring.activity_metrics import (
    facility_metrics,
    funding_metrics,
    mentoring_metrics,
)
from matchmaker.services.operator.monitoring.figures import (
    Dataset,
    Metric,
    Period,
    money,
    monthly_counts,
)

# ``provider(session, period, locale)`` returns the metrics of one area.
MetricProvider = Callable[[Session, Period, str | None], list[Metric]]


def collect(session: Session, period: Period, locale: str | None = None) -> list[Metric]:
    """Every provider's metrics for ``period``."""
    return [m for provider in METRIC_PROVIDERS for m in provider(session, period, locale)]


# --- startups (foundation) -------------------------------------------------------------------


def active_startups(session: Session, period: Period) -> list[Startup]:
    """Startups active on the platform and registered by the end of the period."""
    return list(
        session.scalars(
            sa.select(Startup).where(Startup.is_active, Startup.created_at < period.end_at)
        )
    )


def startup_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    """Startups active by the end of the period, by sector and by stage, and the new ones by
    month."""
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
            total=sum(monthly_counts(period, new)),
            unit=_l("startups"),
            chart="line",
            labels=period.months(),
            datasets=[Dataset(_l("New startups"), monthly_counts(period, new))],
        ),
    ]


# --- support recorded by operators -----------------------------------------------------------


def support_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    """Support operators recorded in the period (subsidies, loans, awards...): grants by month
    and the yuan granted."""
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
            total=money(amount),
            unit=_l("yuan"),
            chart="line",
            labels=period.months(),
            datasets=[Dataset(_l("Grants"), monthly_counts(period, [r.granted_on for r in rows]))],
            note=lazy_ngettext(
                "%(num)d grant recorded by operators.",
                "%(num)d grants recorded by operators.",
                len(rows),
            ),
        )
    ]


# In the order the dashboard shows them.
METRIC_PROVIDERS: tuple[MetricProvider, ...] = (
    startup_metrics,
    support_metrics,
    mentoring_metrics,
    funding_metrics,
    facility_metrics,
)
