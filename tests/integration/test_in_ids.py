"""``database.in_ids``: the same rows as ``IN`` with bound parameters, ids written as integers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.database import in_ids
from matchmaker.models import User
from tests.factories import make_user

pytestmark = pytest.mark.db


def test_the_same_rows_as_in_with_parameters(db_session: Session) -> None:
    ids = [make_user(db_session, "founder").id for _ in range(5)]
    asked = [ids[0], ids[2], ids[4], max(ids) + 1000]  # one that does not exist
    literal = set(db_session.scalars(sa.select(User.id).where(in_ids(User.id, asked))))
    bound = set(db_session.scalars(sa.select(User.id).where(User.id.in_(asked))))
    assert literal == bound == {ids[0], ids[2], ids[4]}


def test_only_integers_reach_the_sql(db_session: Session) -> None:
    with pytest.raises(ValueError):
        in_ids(User.id, ["1) OR (1=1"])  # type: ignore[list-item]
