"""Monitoring (监测、统计): the makerspace's figures for any period, as charts and numbers.

Each area's figures come from a small provider function listed in ``METRIC_PROVIDERS`` (the
startups' and support figures here, the other areas' in ``activity_metrics``). What a figure
and a period are: ``figures``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

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
    monthly_count_chart,
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


def _startups_by(
    key: str,
    title: Any,
    startups: Sequence[Startup],
    counts: Counter[str],
    vocabulary: vocab.Labels,
    locale: str | None,
    *,
    skip_empty: bool = False,
    note: Any = "",
) -> Metric:
    """A bar per code of ``vocabulary`` (in its order) with how many ``startups`` it
    ``counts``; ``skip_empty`` leaves out codes nobody has (there are many sectors)."""
    codes = [c for c in vocabulary if counts.get(c) or not skip_empty]
    return Metric(
        key,
        "startups",
        title,
        total=float(len(startups)),
        unit=_l("startups"),
        chart="bar",
        labels=[vocab.label(vocabulary, c, locale) for c in codes],
        datasets=[Dataset(_l("Startups"), [float(counts.get(c, 0)) for c in codes])],
        note=note,
    )


def startup_metrics(session: Session, period: Period, locale: str | None) -> list[Metric]:
    """Startups active by the end of the period, by sector and by stage, and the new ones by
    month."""
    startups = active_startups(session, period)
    by_sector = Counter(code for s in startups for code in s.sectors)
    by_stage = Counter(s.stage for s in startups)
    new = session.scalars(sa.select(Startup.created_at).where(Startup.is_active)).all()
    return [
        _startups_by(
            "startups_by_sector",
            _l("Active startups by sector"),
            startups,
            by_sector,
            vocab.SECTORS,
            locale,
            skip_empty=True,
            note=_l("A startup in several sectors counts once in each."),
        ),
        _startups_by(
            "startups_by_stage",
            _l("Active startups by stage"),
            startups,
            by_stage,
            vocab.STAGES,
            locale,
        ),
        monthly_count_chart(
            "new_startups",
            "startups",
            _l("New startups"),
            period,
            [(_l("New startups"), new)],
            total=sum(monthly_counts(period, new)),
            unit=_l("startups"),
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
        monthly_count_chart(
            "support_records",
            "support",
            _l("Support granted (subsidies, loans, awards)"),
            period,
            [(_l("Grants"), [r.granted_on for r in rows])],
            total=money(amount),
            unit=_l("yuan"),
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
