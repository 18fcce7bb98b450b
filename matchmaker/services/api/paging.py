"""Cursor paging shared by every list the open data API serves: rows come in id order, and the
cursor of the next page is the last id seen (None once a page comes back short)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def rows_after(
    session: Session, stmt: sa.Select[Any], id_column: Any, after: int, limit: int
) -> list[Any]:
    """At most ``limit`` rows of ``stmt`` whose ``id_column`` is past the cursor ``after``."""
    return list(session.scalars(stmt.where(id_column > after).order_by(id_column).limit(limit)))


def next_cursor(rows: Sequence[Any], limit: int) -> int | None:
    """The cursor of the page after ``rows`` (a full page), or None at the end."""
    return rows[-1].id if len(rows) == limit else None
