"""neighbour_vote: the funds of the startups most like this one (user-kNN over startup texts)."""

from __future__ import annotations

import pytest

from matchmaker.recommend.embedding import HashingEmbedder
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import InvestorProfile, PortfolioCompany, StartupProfile


def world() -> Recommender:
    battery = "solid-state battery cathode coating for electric vehicles"
    bakery = "artisan sourdough bakery chain with delivery"
    startups = [StartupProfile(id=i, name=f"Volt {i}", description=battery) for i in (1, 2, 3)]
    startups += [StartupProfile(id=i, name=f"Crumb {i}", description=bakery) for i in (4, 5, 6)]
    startups.append(StartupProfile(id=7, name="Anode", description=battery + " and anodes"))
    investors = [
        InvestorProfile(
            id=10,
            name="Battery Fund",
            portfolio=tuple(PortfolioCompany(f"Volt {i}", startup_id=i) for i in (1, 2, 3)),
        ),
        InvestorProfile(
            id=11,
            name="Food Fund",
            portfolio=tuple(PortfolioCompany(f"Crumb {i}", startup_id=i) for i in (4, 5, 6)),
        ),
    ]
    return Recommender.from_profiles(
        HashingEmbedder(dim=256), startups=startups, investors=investors
    )


def test_the_funds_of_similar_startups_get_the_vote() -> None:
    rec = world()
    pairs = rec.pair_features("investor", 7, [10, 11])
    votes = {p.candidate_id: p.features["neighbour_vote"] for p in pairs}
    assert votes[10] > 0.5 > votes[11]
    assert all(0.0 <= v <= 1.0 for v in votes.values())


def test_the_vote_does_not_depend_on_the_other_candidates() -> None:
    rec = world()
    (alone,) = rec.pair_features("investor", 7, [10])
    both = {p.candidate_id: p for p in rec.pair_features("investor", 7, [10, 11])}
    assert alone.features["neighbour_vote"] == both[10].features["neighbour_vote"]
    assert alone.score == pytest.approx(both[10].score)  # cosines of another batch shape


def test_the_startup_itself_does_not_vote() -> None:
    rec = world()
    # Volt 1 is Battery Fund's own portfolio company: its vote comes from its neighbours (Volt
    # 2, 3, Anode), not from its own tie; an unknown startup with the same text counts Volt 1.
    votes = rec.corpus.neighbour_votes("investor", 1, rec.corpus.vector("startup", 1))
    own = rec.corpus.neighbour_votes("investor", 999, rec.corpus.vector("startup", 1))
    assert votes[10] < own[10]
