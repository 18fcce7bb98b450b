"""Declarative base, naming convention and the column types every area shares."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-naive UTC now: every timestamp column stores UTC (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


class CodeList(sa.types.TypeDecorator[list[str]]):
    """A list of vocabulary codes stored as ``|a|b|``.

    Portable between SQLite and PostgreSQL and filterable with a plain LIKE (see ``has_code``),
    which JSON columns are not on both. Codes must not contain ``|``.
    """

    impl = sa.String(1000)
    cache_ok = True

    def process_bind_param(self, value: Iterable[str] | None, dialect: Dialect) -> str:
        codes = [c.strip() for c in (value or []) if c and c.strip()]
        for code in codes:
            if "|" in code:
                raise ValueError(f"code {code!r} contains '|'")
        return "|" + "|".join(dict.fromkeys(codes)) + "|" if codes else ""

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[str]:
        return [c for c in (value or "").split("|") if c]

    def copy(self, **kw: Any) -> CodeList:
        return CodeList()


def has_code(column: Any, code: str) -> sa.ColumnElement[bool]:
    """SQL condition: the CodeList ``column`` contains ``code``."""
    return sa.type_coerce(column, sa.String).like(f"%|{code}|%")


def has_any_code(column: Any, codes: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.or_(*(has_code(column, c) for c in codes))


def unique_where(name: str, *columns: str, where: str) -> sa.Index:
    """A unique index over ``columns`` for the rows matching ``where`` only (a partial index),
    given to SQLite and PostgreSQL alike: a guarantee that one dialect lacked would let races
    through there."""
    return sa.Index(
        name,
        *columns,
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


Money = sa.Numeric(16, 2)
