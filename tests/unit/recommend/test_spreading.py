"""Capacity-aware spreading of mentors: a generalist with recent activity must not fill every
startup's top 3 when its stated capacity cannot serve them, while a specialist whose expertise a
startup names keeps its place there."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest

from matchmaker.recommend.embedding import HashingEmbedder
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.rerank import demand_factor
from matchmaker.recommend.texts import MentorProfile, StartupProfile

SECTORS = {
    "battery": "battery cathode materials, XRD characterisation of powders",
    "biotech": "biotech fermentation scale-up, GMP production",
    "software": "software platform for logistics, SaaS sales",
}


def demo_like(capacity: int | None) -> Recommender:
    """30 startups in three sectors; one generalist mentor who mentored many startups lately,
    and four specialists per sector with one older mentee each (13 mentors: 90 top-3 places
    over 13 mentors is about a quarter each when spread). Every mentor states ``capacity``
    sessions a month (None: not stated)."""
    startups = [
        StartupProfile(
            id=i,
            name=f"{sector} {i}",
            description=f"We build {text}. We need advice on {text.split(',')[0]}.",
            sectors=(sector,),
        )
        for i, (sector, text) in enumerate(
            ((s, t) for s, t in SECTORS.items() for _ in range(10)), start=1
        )
    ]
    recent = date(2026, 10, 1)
    mentors = [
        MentorProfile(
            id=100,
            name="Generalist",
            headline="Operations consultant for scale-ups",
            expertise="Operations, hiring and general management for any company",
            capacity_per_month=capacity,
            past_mentee_ids=(1, 11, 21, 2, 12, 22),
            past_mentee_dates=tuple(recent - timedelta(days=7 * k) for k in range(6)),
        )
    ]
    for j, (sector, text) in enumerate(SECTORS.items()):
        for k in range(4):
            mentors.append(
                MentorProfile(
                    id=101 + 4 * j + k,
                    name=f"{sector} expert {k}",
                    headline=f"{sector} specialist",
                    expertise=text,
                    sectors=(sector,),
                    capacity_per_month=capacity,
                    past_mentee_ids=(3 + 10 * j + k,),
                    past_mentee_dates=(date(2025, 1, 1),),
                )
            )
    return Recommender.from_profiles(HashingEmbedder(dim=256), startups=startups, mentors=mentors)


def top3_share(rec: Recommender) -> tuple[int, float]:
    counts: Counter[int] = Counter()
    startups = sorted(rec.corpus.profiles["startup"])
    for sid in startups:
        counts.update(r.id for r in rec.mentors_for_startup(sid, k=3))
    mentor, n = counts.most_common(1)[0]
    return mentor, n / len(startups)


def test_demand_factor() -> None:
    assert demand_factor(40.0, None, 0.0) == 1.0  # no stated capacity: no spreading
    assert demand_factor(3.0, 4, 0.0) == 1.0  # demand within capacity
    assert demand_factor(16.0, 4, 0.0) == pytest.approx(0.5)  # (4 / 16) ** 0.5
    assert demand_factor(16.0, 4, 1.0) == 1.0  # the best fit of the startup keeps its score
    assert 0.5 < demand_factor(16.0, 4, 0.5) < 1.0


def test_without_stated_capacity_the_generalist_crowds() -> None:
    mentor, share = top3_share(demo_like(None))
    assert mentor == 100 and share > 2 / 3  # what the spreading is for


def test_stated_capacity_spreads_the_generalist_to_at_most_a_third() -> None:
    rec = demo_like(4)
    mentor, share = top3_share(rec)
    assert share <= 1 / 3, (mentor, share)
    assert rec.load_prices("mentor")[100] < 1.0


def test_the_specialist_a_startup_names_stays_in_its_top_3() -> None:
    rec = demo_like(4)
    for sid, experts in (
        (9, set(range(101, 105))),
        (19, set(range(105, 109))),
        (29, set(range(109, 113))),
    ):
        top = {r.id for r in rec.mentors_for_startup(sid, k=3)}
        assert top & experts, (sid, top)


def test_prices_follow_changes() -> None:
    rec = demo_like(4)
    assert 100 in rec.load_prices("mentor")
    generalist = rec.profile("mentor", 100)
    rec.upsert("mentor", replace(generalist, capacity_per_month=None))
    # Within the price's age the old estimate stands, but capacity is read as stated now.
    assert 100 in rec.load_prices("mentor")
    (pair,) = [r for r in rec.mentors_for_startup(30, k=20) if r.id == 100]
    assert pair.features["rerank_demand"] == 1.0
    rec.config = replace(rec.config, demand_max_age=0.0)
    assert 100 not in rec.load_prices("mentor")  # re-estimated: no capacity, no price
