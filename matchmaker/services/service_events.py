"""The service-event feed (issue 17): session held, booking completed, voucher redeemed,
support recorded, each recorded once, in the transaction that made it true.

Recording: an ``after_flush`` listener (installed explicitly by ``install``, from the API
blueprint's registration) sees every flushed row of the four sources and inserts one
``ServiceEvent`` per fact: a mentor session or booking whose status became ``completed``, a
``redeem`` voucher entry, a new support record. The facts' own services stay unaware of the feed,
and no path that writes them (web, jobs, imports, demo data) can forget it.

Reading: the cursor is the last sequence number seen. Numbers come from the single row of
``api_event_sequence``, updated (and so locked) by the writing transaction until it commits:
a transaction that takes number n+1 waits for n's commit, so when a reader sees n+1 it already
sees n, and ``sequence > cursor`` returns every event exactly once, whatever arrives meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, utcnow
from matchmaker.models.api import ApiEventSequence, ServiceEvent
from matchmaker.models.bookings import EquipmentBooking, Voucher, VoucherEntry
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.operator import SupportRecord

MAX_PAGE = 500


@dataclass(frozen=True)
class _Fact:
    kind: str
    source_id: int
    occurred_at: datetime
    startup_id: int | None
    facility_id: int | None
    subject_id: int | None
    amount: Decimal | None


def _became_completed(obj: Any, session: Session) -> bool:
    if obj.status != "completed":
        return False
    if obj in session.new:
        return True
    history = sa.inspect(obj).attrs.status.history
    return bool(history.added) and "completed" in history.added


def _facts(session: Session, objects: Iterable[Any]) -> list[_Fact]:
    conn = session.connection()
    out = []
    for obj in objects:
        if isinstance(obj, MentorSession) and _became_completed(obj, session):
            out.append(
                _Fact("session_held", obj.id, obj.starts_at or utcnow(), obj.startup_id, None,
                      obj.mentor_id, None)
            )  # fmt: skip
        elif isinstance(obj, EquipmentBooking) and _became_completed(obj, session):
            facility = conn.scalar(
                sa.select(Equipment.facility_id).where(Equipment.id == obj.equipment_id)
            )
            out.append(
                _Fact("booking_completed", obj.id, obj.completed_at or obj.ends_at,
                      obj.startup_id, facility, obj.equipment_id, None)
            )  # fmt: skip
        elif isinstance(obj, VoucherEntry) and obj in session.new and obj.kind == "redeem":
            startup = conn.scalar(sa.select(Voucher.startup_id).where(Voucher.id == obj.voucher_id))
            out.append(
                _Fact("voucher_redeemed", obj.id, obj.created_at or utcnow(), startup,
                      obj.facility_id, obj.voucher_id, obj.amount)
            )  # fmt: skip
        elif isinstance(obj, SupportRecord) and obj in session.new:
            out.append(
                _Fact("support_recorded", obj.id, obj.created_at or utcnow(), obj.startup_id,
                      None, obj.policy_id, obj.amount)
            )  # fmt: skip
    return out


def _dialect_insert(session: Session, table: Any) -> Any:
    name = session.get_bind().dialect.name
    return (postgresql if name == "postgresql" else sqlite).insert(table)


def _take_sequence(session: Session, count: int) -> int:
    """Reserve ``count`` numbers; returns the last. Locks the sequence row until commit."""
    table = ApiEventSequence.__table__
    stmt = (
        _dialect_insert(session, table)
        .values(id=1, last=count)
        .on_conflict_do_update(index_elements=[table.c.id], set_={"last": table.c.last + count})
        .returning(table.c.last)
    )
    return int(session.connection().execute(stmt).scalar_one())


def _record(session: Session, flush_context: Any) -> None:
    facts = _facts(session, [*session.new, *session.dirty])
    if not facts:
        return
    last = _take_sequence(session, len(facts))
    table = ServiceEvent.__table__
    now = utcnow()
    rows = [
        {
            "sequence": last - len(facts) + 1 + i,
            "kind": f.kind,
            "source_id": f.source_id,
            "occurred_at": f.occurred_at,
            "startup_id": f.startup_id,
            "facility_id": f.facility_id,
            "subject_id": f.subject_id,
            "amount": f.amount,
            "recorded_at": now,
        }
        for i, f in enumerate(facts)
    ]
    # A fact seen twice (a status set back and forth) keeps its first event; its number is
    # skipped, which a cursor does not mind.
    stmt = _dialect_insert(session, table).on_conflict_do_nothing(
        index_elements=[table.c.kind, table.c.source_id]
    )
    session.connection().execute(stmt, rows)


def install() -> None:
    """Record service events on every ORM session of this process (idempotent)."""
    if not event.contains(Session, "after_flush", _record):
        event.listen(Session, "after_flush", _record)


@dataclass(frozen=True)
class FeedPage:
    events: list[ServiceEvent]
    cursor: int  # pass back to get what came after


def events_since(session: Session, cursor: int, limit: int) -> FeedPage:
    """Events numbered after ``cursor``, oldest first, at most ``limit``."""
    limit = max(1, min(limit, MAX_PAGE))
    events = list(
        session.scalars(
            sa.select(ServiceEvent)
            .where(ServiceEvent.sequence > cursor)
            .order_by(ServiceEvent.sequence)
            .limit(limit)
        )
    )
    return FeedPage(events, events[-1].sequence if events else cursor)
