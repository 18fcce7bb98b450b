"""Watermarks: one small statement that tells whether rows a remembered answer was computed
from may have changed since (issue 12: a served engine remembers its answers per process, and
a page built from the engine's answer and database rows remembers the rows' part by these).

A table's watermark is its row count and the newest ``updated_at`` (``TimestampMixin``, set by
the ORM on every insert and update): an insert or an update moves the time, a delete moves the
count, and going back to a state already seen (a row added, then removed) gives its watermark
back, with the answer that was right for it. Writes outside the ORM, and machines whose clocks
disagree, are not seen: callers also bound how long an answer is kept (``KEEP_SECONDS``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import (
    Equipment,
    Facility,
    FundingAsk,
    Investor,
    MentorProfile,
    PortfolioEntry,
    Startup,
    User,
)

# At most this long an answer is kept even when no watermark moved (the serving rule: an edit
# is visible in every worker within 5 s).
KEEP_SECONDS = 5.0


def watermark_query(*tables: Any, where: Any = None) -> sa.Select[Any]:
    """The statement of ``watermark``: count and newest ``updated_at`` of each model in
    ``tables`` (every row; ``where`` maps a model to a condition that narrows it). Built once
    by its callers (with bound parameters for what varies): building it is most of its cost."""
    columns: list[Any] = []
    for model in tables:
        condition = (where or {}).get(model, sa.true())
        columns += [
            sa.select(sa.func.count()).select_from(model).where(condition).scalar_subquery(),
            sa.select(sa.func.max(model.updated_at)).where(condition).scalar_subquery(),
        ]
    return sa.select(*columns)


def watermark(session: Session, query: sa.Select[Any], **params: Any) -> tuple[Any, ...]:
    """The watermark ``query`` (``watermark_query``) reads now, in one statement."""
    return tuple(session.execute(query, params).one())


_STARTUP_ID: sa.BindParameter[int] = sa.bindparam("startup_id", type_=sa.Integer)
_STARTUP_PANEL = watermark_query(
    *(MentorProfile, User, Equipment, Facility, Investor, PortfolioEntry, Startup, FundingAsk),
    where={Startup: Startup.id == _STARTUP_ID, FundingAsk: FundingAsk.startup_id == _STARTUP_ID},
)


def startup_panel_watermark(session: Session, startup_id: int) -> tuple[Any, ...]:
    """Every row a startup's recommendation panel shows or filters on: the mentors and their
    users, the instruments and their facilities, the funds and their portfolios, and the
    startup itself with its funding asks (its need); one statement."""
    return watermark(session, _STARTUP_PANEL, startup_id=startup_id)
