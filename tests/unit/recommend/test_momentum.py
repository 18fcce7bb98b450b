"""momentum: a candidate's pace of the last half year against the two years before it."""

from __future__ import annotations

from datetime import date

import pytest

from matchmaker.recommend.embedding import HashingEmbedder
from matchmaker.recommend.history import Relation, momentum
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import InvestorProfile, PortfolioCompany, StartupProfile


def deals(*whens: float | None) -> list[Relation]:
    return [Relation(f"Co {i}", i, "startup", i, w, None, ()) for i, w in enumerate(whens)]


def test_speeding_up_is_above_steady_and_steady_above_slowing_down() -> None:
    latest = 2015.0
    speeding = momentum(deals(2014.9, 2014.8, 2014.7, 2014.6, 2013.5), latest)
    steady = momentum(deals(2014.8, 2014.1, 2013.6, 2013.1, 2012.8), latest)
    slowing = momentum(deals(2014.2, 2013.9, 2013.5, 2013.2, 2012.9, 2012.7), latest)
    assert speeding > steady > slowing
    assert steady == pytest.approx(0.5, abs=0.05)
    assert all(0.0 < m < 1.0 for m in (speeding, steady, slowing))


def test_no_dated_history_is_neutral_and_one_deal_is_not_a_trend() -> None:
    assert momentum([], 2015.0) == 0.5
    assert momentum(deals(None, None), 2015.0) == 0.5
    one = momentum(deals(2014.9), 2015.0)
    four = momentum(deals(2014.9, 2014.8, 2014.7, 2014.6), 2015.0)
    assert 0.5 < one < four  # the half-deal prior keeps a single deal from reading as a boom


def test_pair_features_carry_momentum() -> None:
    startups = [StartupProfile(id=i, name=f"Co {i}", description="robotics") for i in range(1, 9)]
    recent = (date(2014, 11, 1), date(2014, 10, 1), date(2014, 9, 1))
    old = (date(2013, 11, 1), date(2013, 6, 1), date(2013, 1, 1))
    investors = [
        InvestorProfile(  # three deals in the last half year, none before
            id=10,
            name="Rising",
            portfolio=tuple(
                PortfolioCompany(f"Co {i}", startup_id=i, date=d)
                for i, d in zip((1, 2, 3), recent, strict=True)
            )
            + (PortfolioCompany("Co 7", startup_id=7, date=date(2012, 12, 1)),),
        ),
        InvestorProfile(  # as many deals, in the two years before, none lately
            id=11,
            name="Fading",
            portfolio=tuple(
                PortfolioCompany(f"Co {i}", startup_id=i, date=d)
                for i, d in zip((4, 5, 6), old, strict=True)
            )
            + (PortfolioCompany("Co 8", startup_id=8, date=date(2013, 3, 1)),),
        ),
    ]
    rec = Recommender.from_profiles(HashingEmbedder(dim=64), startups=startups, investors=investors)
    new = StartupProfile(id=99, name="New", description="robotics")
    feats = {p.candidate_id: p.features for p in rec.pair_features("investor", new, [10, 11])}
    assert feats[10]["momentum"] > 0.5 > feats[11]["momentum"]
    # Everything else about the two is alike (four deals each, the same texts): the rising fund
    # ranks first on momentum and recency together.
    assert [r.id for r in rec.investors_for_startup(new, k=2)] == [10, 11]
