"""The rows a profile owns (a fund's portfolio entries, a facility's instruments): one way to add,
edit and remove them.

Whoever may edit the profile may edit its rows, and nobody else; values go through the same
checks as a profile's (``profile_values``); every change commits once and is then announced
(``profile_events``) for the profile the engine matches: the fund for a portfolio entry, the
instrument itself for equipment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from matchmaker.models import User
from matchmaker.services.accounts.profile_events import profile_changed
from matchmaker.services.accounts.profile_values import Validation, apply_values, checked_values
from matchmaker.services.errors import NotFound
from matchmaker.services.transactions import commit

Owner = TypeVar("Owner")
Row = TypeVar("Row")


@dataclass(frozen=True)
class OwnedRows(Generic[Owner, Row]):
    """How one kind of row hangs off its profile, and which profile a change re-indexes."""

    model: type[Row]
    fields: tuple[str, ...]
    required: tuple[str, ...]
    validate: Validation
    editable_owner: Callable[[Session, User, int], Owner]
    """The owning profile, or ``NotFound``/``Forbidden`` for an actor who may not edit it."""
    owner_id: Callable[[Row], int]
    rows_of: Callable[[Owner], list[Row]]
    announced: Callable[[Row], tuple[str, int]]
    """The (kind, id) of the matched profile that a change of this row changes."""
    missing: Any  # the lazy "No such ..." message

    def editable(self, session: Session, actor: User, row_id: int) -> Row:
        """The row, if ``actor`` may edit its profile."""
        row = session.get(self.model, row_id)
        if row is None:
            raise NotFound(self.missing)
        self.editable_owner(session, actor, self.owner_id(row))
        return row

    def add(self, session: Session, actor: User, owner_id: int, values: Mapping[str, Any]) -> Row:
        """A new row of the profile ``owner_id`` (no ``@use_case`` here: the caller is one)."""
        owner = self.editable_owner(session, actor, owner_id)
        row = self.model(
            **checked_values(values, self.fields, self.validate, required=self.required)
        )
        self.rows_of(owner).append(row)
        commit(session)
        profile_changed(*self.announced(row))
        return row

    def update(self, session: Session, actor: User, row_id: int, values: Mapping[str, Any]) -> Row:
        """The row ``row_id`` with the checked ``values`` set."""
        row = self.editable(session, actor, row_id)
        apply_values(row, checked_values(values, self.fields, self.validate))
        commit(session)
        profile_changed(*self.announced(row))
        return row

    def remove(self, session: Session, actor: User, row_id: int) -> None:
        """Delete the row; its profile is re-indexed without it."""
        row = self.editable(session, actor, row_id)
        announced = self.announced(row)  # read before the row is gone
        session.delete(row)
        commit(session)
        profile_changed(*announced)
