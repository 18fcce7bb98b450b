"""Deterministic bilingual demo data: ``flask --app matchmaker demo-data``.

``load_demo_data`` writes the core dataset (``core.py``: accounts, startups, investors, mentors,
facilities), commits, then each area's ``load_area(session, ctx)`` listed in ``area_loaders``
(bookings, funding, mentoring, operator), each committing its own rows. ``ctx`` is a
``DemoContext``.

Everything is written by our own code from curated phrase banks with ``random.Random(2026)``;
nothing depends on the clock (dates are offsets from ``context.ANCHOR``) or on set ordering.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.demo.context import (
    ANCHOR,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    SEED,
    DemoContext,
    DemoResult,
)
from matchmaker.models import Base, User

__all__ = [
    "ANCHOR",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DemoContext",
    "DemoResult",
    "area_loaders",
    "load_demo_data",
]

AreaLoader = Callable[[Session, DemoContext], None]


def area_loaders() -> list[tuple[str, AreaLoader]]:
    """(area name, load_area) of each area's demo rows, in the order they are loaded."""
    from matchmaker.demo import facility_bookings, funding, mentoring, operator

    areas = (facility_bookings, funding, mentoring, operator)
    return [(area.__name__.rsplit(".", 1)[-1], area.load_area) for area in areas]


def load_demo_data(session: Session, force: bool = False) -> DemoResult | None:
    """Load the demo dataset; None (and nothing written) if the database already has users.

    ``force`` loads into a database that has users, unless the demo accounts are already there
    (their e-mail addresses are unique, so a second copy cannot be written): then None too.
    Each area gets the context with a random generator of its own, seeded from its module name,
    so adding an area never changes the data of another. The core and each area commit on their
    own: an area that fails is rolled back and its error raised, with the core data kept.
    """
    started = time.perf_counter()
    if session.scalar(sa.select(User.id).limit(1)) is not None:
        demo_there = session.scalar(
            sa.select(User.id).where(User.email.in_(list(DEMO_LOGINS.values()))).limit(1)
        )
        if not force or demo_there is not None:
            return None
    from matchmaker.demo.core import load_core

    ctx = load_core(session)
    areas = []
    for name, load_area in area_loaders():
        try:
            load_area(session, dataclasses.replace(ctx, rng=random.Random(f"{SEED}:{name}")))
            session.commit()
        except Exception:
            session.rollback()
            raise
        areas.append(name)
    counts = {
        table.name: session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for table in sorted(Base.metadata.sorted_tables, key=lambda t: t.name)
    }
    return DemoResult(counts=counts, areas=areas, seconds=time.perf_counter() - started)
