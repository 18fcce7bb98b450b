"""Outcomes of matches, the engine's training data.

Every area writes a row when something happens between a startup and a candidate (a mentor
accepts or declines, a session is rated, an instrument is booked, a fund invests or passes), so
the learned ranker reads one table and knows no workflow.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.models.base import Base, utcnow

OUTCOME_LABELS = {
    # outcome -> training label: 1 a good match, 0 a bad one
    "accepted": 1.0,
    "completed": 1.0,
    "invested": 1.0,
    "meeting": 1.0,
    "booked": 1.0,
    "introduced": 1.0,
    "declined": 0.0,
    "passed": 0.0,
    "no_show": 0.0,
    "expired": 0.0,
}


class MatchOutcome(Base):
    __tablename__ = "match_outcomes"
    __table_args__ = (sa.Index("ix_match_outcomes_kind_created", "candidate_kind", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("startups.id", ondelete="CASCADE"), index=True
    )
    candidate_kind: Mapped[str] = mapped_column(sa.String(20))  # mentor / investor / equipment
    candidate_id: Mapped[int]
    outcome: Mapped[str] = mapped_column(sa.String(20))
    # 1-5 where the outcome carries a rating (a completed session), else None.
    rating: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> float:
        """1.0 for a good match, 0.0 for a bad one; ratings of 1-2 count as bad."""
        if self.rating is not None and self.rating <= 2:
            return 0.0
        return OUTCOME_LABELS.get(self.outcome, 0.0)
