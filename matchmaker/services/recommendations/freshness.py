"""When a remembered answer may be stale (issue 12: a served engine remembers its answers per
process, and a page built from the engine's answer and database rows, such as a startup's
recommendation groups, remembers the rows' part too). Three checks, each cheap at any size:

- **The startup's own rows** (``startup_watermark``): the row count and newest ``updated_at``
  (``TimestampMixin``, set by the ORM on every insert and update) of the startup and of its
  funding asks, read on every request in one statement by primary and foreign key: a founder's
  own edit is on their next page in every worker.
- **Any write this process committed** (``local_writes``): a counter every ORM commit that wrote
  moves, so an edit made through this worker is on its next page.
- **Everything else** (another worker's edit of a mentor, a fund, an instrument): an answer is
  kept at most ``KEEP_SECONDS``, the serving rule (an edit visible in every worker within 5 s).
  The same bound covers writes outside the ORM. No statement reads whole tables, so the check
  costs the same at 100,000 profiles per kind as at demo size.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import FundingAsk, Startup

# At most this long an answer is kept (the serving rule: an edit is visible in every worker
# within 5 s).
KEEP_SECONDS = 5.0

_WROTE = "freshness_wrote"
_local_writes = 0
_local_writes_lock = threading.Lock()


@sa.event.listens_for(Session, "after_flush")
def _note_flush(session: Session, flush_context: Any) -> None:
    session.info[_WROTE] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _note_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@sa.event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    global _local_writes
    if session.info.pop(_WROTE, False):
        with _local_writes_lock:
            _local_writes += 1


@sa.event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_WROTE, None)


def local_writes() -> int:
    """How many transactions that wrote this process has committed: part of a remembered
    answer's key, so that an edit made here is read at once."""
    return _local_writes


_STARTUP_ID: sa.BindParameter[int] = sa.bindparam("startup_id", type_=sa.Integer)


def _count_and_newest(model: Any, condition: Any) -> list[Any]:
    return [
        sa.select(sa.func.count()).select_from(model).where(condition).scalar_subquery(),
        sa.select(sa.func.max(model.updated_at)).where(condition).scalar_subquery(),
    ]


# Built once: building the statement is most of what reading it costs.
_STARTUP_ROWS = sa.select(
    *_count_and_newest(Startup, Startup.id == _STARTUP_ID),
    *_count_and_newest(FundingAsk, FundingAsk.startup_id == _STARTUP_ID),
)


def startup_watermark(session: Session, startup_id: int) -> tuple[Any, ...]:
    """The startup's row and its funding asks (its need): count and newest ``updated_at`` of
    each, in one statement. An insert or update moves the time, a delete the count."""
    return tuple(session.execute(_STARTUP_ROWS, {"startup_id": startup_id}).one())
