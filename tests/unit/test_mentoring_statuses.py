"""The session statuses the code names are the ones the database accepts, and the state machine
moves only between them."""

from __future__ import annotations

import re

import sqlalchemy as sa

from matchmaker.models.mentoring import MentorSession, SessionStatus
from matchmaker.services.mentoring.sessions import STATUS_LABELS, TRANSITIONS


def _checked_statuses() -> set[str]:
    table = MentorSession.__table__
    assert isinstance(table, sa.Table)
    check = next(
        c
        for c in table.constraints
        if isinstance(c, sa.CheckConstraint) and str(c.name).endswith("status_known")
    )
    return set(re.findall(r"'(\w+)'", str(check.sqltext)))


def test_status_enum_matches_the_check_constraint():
    assert {s.value for s in SessionStatus} == _checked_statuses()


def test_transitions_and_labels_cover_only_known_statuses():
    moves = set(TRANSITIONS) | {s for targets in TRANSITIONS.values() for s in targets}
    assert moves <= set(SessionStatus)
    assert set(STATUS_LABELS) == {s.value for s in SessionStatus}


def test_a_status_is_its_plain_value():
    # Stored and compared as text: the enum adds names, not a new column type.
    assert SessionStatus.NO_SHOW == "no_show"
    assert f"{SessionStatus.SCHEDULED}" == "scheduled"
