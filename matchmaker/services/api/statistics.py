"""Statistics for the open data API: exactly the operator console's figures for a period.

Nothing is recomputed here: the makerspace's metrics are ``dashboard.collect`` (the monitoring
page) and the per-facility figures are ``operator_scores.facility_figures`` (the performance
page, itself the facilities area's usage report). This module only flattens them to rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from matchmaker.services.operator.evaluation import scores
from matchmaker.services.operator.monitoring import dashboard


def statistics(session: Session, period: dashboard.Period, locale: str) -> dict[str, Any]:
    metrics = dashboard.collect(session, period, locale)
    facilities = scores.facility_figures(session, period)
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "months": period.months(),
        "metrics": [m.as_json() for m in metrics],
        "facilities": [
            {
                "id": f.facility.id,
                "name": f.facility.name,
                "hours_booked": f.hours,
                "hours_used": f.hours_used,
                "utilisation": f.utilisation,
                "startups_served": f.startups,
                "bookings": f.bookings,
                "no_shows": f.no_shows,
                "vouchers_redeemed": f.voucher_redeemed,
                "equipment": [
                    {
                        "id": equipment_id,
                        "hours_booked": hours,
                        "utilisation": f.equipment_utilisation.get(equipment_id),
                    }
                    for equipment_id, hours in sorted(f.equipment_hours.items())
                ],
            }
            for f in facilities
        ],
    }
