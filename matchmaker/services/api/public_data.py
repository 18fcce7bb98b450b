"""What the open data API publishes to a ``public`` token: the directories (public fields only),
published policies and disclosure records. Each function returns plain rows (dicts) and the
cursor of the next page (the last id seen, or None at the end).

The field lists below are the whole of what is published: contacts (e-mail, phone, WeChat),
internal notes and amounts a profile keeps private (a startup's funding need) are never read
into a row, so no serializer can leak them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.models import Equipment, Facility, Investor, Mentor, Startup, User, utcnow
from matchmaker.models.operator import Policy
from matchmaker.services.api.paging import next_cursor, rows_after
from matchmaker.services.facilities.equipment_availability import free_intervals, total_hours
from matchmaker.services.operator import disclosure

Row = dict[str, Any]
AVAILABILITY_DAYS = 7


def _money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def startups(session: Session, after: int, limit: int) -> tuple[list[Row], int | None]:
    rows = rows_after(
        session, sa.select(Startup).where(Startup.is_active), Startup.id, after, limit
    )
    return [
        {
            "id": s.id, "name": s.name, "one_liner": s.one_liner, "description": s.description,
            "sectors": list(s.sectors), "stage": s.stage, "funding_round": s.funding_round,
            "location": s.location, "team_size": s.team_size,
            "founded_on": s.founded_on.isoformat() if s.founded_on else None,
            "website": s.website,
        }
        for s in rows
    ], next_cursor(rows, limit)  # fmt: skip


def mentors(session: Session, after: int, limit: int) -> tuple[list[Row], int | None]:
    stmt = (
        sa.select(Mentor)
        .join(User, Mentor.user_id == User.id)
        .where(Mentor.is_active, User.is_active)
        .options(selectinload(Mentor.user))
    )
    rows = rows_after(session, stmt, Mentor.id, after, limit)
    return [
        {
            "id": m.id, "name": m.user.display_name, "kind": m.kind, "headline": m.headline,
            "expertise": m.expertise, "sectors": list(m.sectors), "languages": list(m.languages),
            "mentoring_topics": list(m.mentoring_topics), "organisation": m.organisation,
            "location": m.location, "accepting_requests": m.accepting_requests,
        }
        for m in rows
    ], next_cursor(rows, limit)  # fmt: skip


def funds(session: Session, after: int, limit: int) -> tuple[list[Row], int | None]:
    rows = rows_after(
        session, sa.select(Investor).where(Investor.is_active), Investor.id, after, limit
    )
    return [
        {
            "id": i.id, "name": i.name, "type": i.type, "thesis": i.thesis,
            "sectors": list(i.sectors), "stages": list(i.stages),
            "ticket_min": _money(i.ticket_min), "ticket_max": _money(i.ticket_max),
            "currency": i.currency, "instruments": list(i.instruments),
            "regions": list(i.regions), "location": i.location, "website": i.website,
        }
        for i in rows
    ], next_cursor(rows, limit)  # fmt: skip


def facilities(session: Session, after: int, limit: int) -> tuple[list[Row], int | None]:
    stmt = sa.select(Facility).where(Facility.is_active).options(selectinload(Facility.equipment))
    rows = rows_after(session, stmt, Facility.id, after, limit)
    return [
        {
            "id": f.id, "name": f.name, "kind": f.kind, "description": f.description,
            "address": f.address, "location": f.location, "opening_hours": f.opening_hours,
            "equipment_ids": sorted(e.id for e in f.equipment if e.is_active),
        }
        for f in rows
    ], next_cursor(rows, limit)  # fmt: skip


def equipment(
    session: Session, after: int, limit: int, now: datetime | None = None
) -> tuple[list[Row], int | None]:
    """Instruments with their free bookable hours over the next week and the first free
    moment (opening hours minus active bookings and their buffers, as the booking page)."""
    stmt = (
        sa.select(Equipment)
        .join(Facility, Equipment.facility_id == Facility.id)
        .where(Equipment.is_active, Facility.is_active)
    )
    rows = rows_after(session, stmt, Equipment.id, after, limit)
    start = (now or utcnow()).replace(second=0, microsecond=0)
    end = start + timedelta(days=AVAILABILITY_DAYS)
    out = []
    for e in rows:
        free = free_intervals(session, e, start, end)
        out.append(
            {
                "id": e.id, "facility_id": e.facility_id, "name": e.name,
                "category": e.category, "model_specs": e.model_specs,
                "description": e.description, "price_per_hour": float(e.price_per_hour),
                "voucher_eligible": e.voucher_eligible,
                "training_required": e.training_required, "booking_mode": e.booking_mode,
                "availability": {
                    "window_start": start.isoformat(), "window_end": end.isoformat(),
                    "free_hours": float(total_hours(free)),
                    "next_free_at": free[0][0].isoformat() if free else None,
                },
            }
        )  # fmt: skip
    return out, next_cursor(rows, limit)


def published_policies(
    session: Session, after: int, limit: int, locale: str
) -> tuple[list[Row], int | None]:
    # The policy center's criterion (``policies.published_policies``), paged by id.
    stmt = sa.select(Policy).where(Policy.is_published.is_(True))
    rows = rows_after(session, stmt, Policy.id, after, limit)
    return [
        {
            "id": p.id, "kind": p.kind, "title": p.title(locale), "issuer": p.issuer(locale),
            "document_number": p.document_number, "summary": p.summary(locale),
            "sectors": list(p.sectors), "stages": list(p.stages),
            "benefit_amount": _money(p.benefit_amount), "benefit_currency": p.benefit_currency,
            "deadline": p.deadline.isoformat() if p.deadline else None,
            "published_at": p.published_at.isoformat() if p.published_at else None,
        }
        for p in rows
    ], next_cursor(rows, limit)  # fmt: skip


def disclosures(
    session: Session, after: int, limit: int, locale: str, year: int | None = None
) -> tuple[list[Row], int | None]:
    """The public disclosure page's records (its own public fields only), newest first; the
    cursor is a position in that order, since the records come from several sources."""
    items = disclosure.disclosed_support(session, locale=locale, year=year)
    page = items[after : after + limit]
    fields = disclosure.public_fields()
    rows = []
    for i in page:
        row = {name: getattr(i, name) for name in fields}
        row["startup_id"] = i.startup_id
        row["amount"] = _money(row["amount"])
        row["day"] = i.day.isoformat()
        rows.append(row)
    return rows, after + limit if after + limit < len(items) else None
