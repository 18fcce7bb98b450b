"""Founders' ratings as an engine feature: neutral when unknown, shrunk toward the middle, and
deciding between otherwise identical mentors."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from matchmaker.recommend import features as F
from matchmaker.recommend.calibration import Calibration
from matchmaker.recommend.embedding import HashingEmbedder
from matchmaker.recommend.learn import load_usable_ranker, train_ranker
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import InvestorProfile, MentorProfile, StartupProfile

STARTUP = StartupProfile(
    id=1,
    name="Cellsense",
    one_liner="Battery cell monitoring for electric buses",
    sectors=("energy",),
    mentoring_topics=("fundraising",),
)


def _mentor(mentor_id: int, **rating: object) -> MentorProfile:
    # Same name and text on purpose: every feature but the rating is equal.
    return MentorProfile(
        id=mentor_id,
        name="Wang Lei",
        headline="Battery engineer turned operator",
        expertise="battery cells, fundraising for hardware startups",
        topics=("fundraising",),
        sectors=("energy",),
        **rating,  # type: ignore[arg-type]
    )


def _recommender(hashing_embedder: HashingEmbedder, *mentors: MentorProfile) -> Recommender:
    return Recommender.from_profiles(hashing_embedder, startups=[STARTUP], mentors=mentors)


def test_no_rating_is_unknown_and_leaves_the_score_exactly_as_without_the_feature(
    hashing_embedder: HashingEmbedder,
) -> None:
    assert F.founder_rating(0, None) == F.UNKNOWN
    assert F.founder_rating(0, 4.0) == F.UNKNOWN
    rec = _recommender(hashing_embedder, _mentor(10), _mentor(11))
    results = rec.mentors_for_startup(1, 5)
    assert [r.features["founder_rating"] for r in results] == [F.UNKNOWN, F.UNKNOWN]
    without = {k: w for k, w in F.SERVES_WEIGHTS.items() if k != "founder_rating"}
    for r in results:
        assert F.serves_score(r.features) == F.serves_score(r.features, without)  # bit for bit
    # An investor is never rated by founders here: unknown too.
    inv = Recommender.from_profiles(
        hashing_embedder,
        startups=[STARTUP],
        investors=[InvestorProfile(id=5, name="Fund", thesis="batteries", sectors=("energy",))],
    )
    assert inv.investors_for_startup(1, 5)[0].features["founder_rating"] == F.UNKNOWN


def test_shrinkage_one_perfect_review_is_worth_less_than_twenty_good_ones() -> None:
    one_five = F.founder_rating(1, 5.0)
    twenty_good = F.founder_rating(20, 4.6)
    assert F.UNKNOWN < one_five < twenty_good < 1.0
    assert F.founder_rating(20, 1.4) < F.founder_rating(1, 1.0) < F.UNKNOWN
    assert F.founder_rating(3, 3.0) == F.UNKNOWN  # middling ratings: no signal
    assert F.founder_rating(10_000, 1.0) >= 0.0 and F.founder_rating(10_000, 5.0) <= 1.0


@pytest.mark.parametrize("first_rated_well", [True, False])
def test_a_well_rated_mentor_ranks_above_an_identical_poorly_rated_one(
    hashing_embedder: HashingEmbedder, first_rated_well: bool
) -> None:
    good = {"rating_count": 8, "rating_mean": 4.8}
    poor = {"rating_count": 8, "rating_mean": 2.1}
    a, b = (good, poor) if first_rated_well else (poor, good)
    rec = _recommender(hashing_embedder, _mentor(10, **a), _mentor(11, **b))
    results = rec.mentors_for_startup(1, 5)
    assert [r.id for r in results] == ([10, 11] if first_rated_well else [11, 10])
    assert results[0].score > results[1].score
    equal = {n for n in F.FEATURE_NAMES if n != "founder_rating"}
    assert {n: results[0].features[n] for n in equal} == {n: results[1].features[n] for n in equal}

    # A new rating reaches the engine through upsert (the text is unchanged: no re-embedding).
    rec.upsert("mentor", replace(rec.profile("mentor", 10), rating_count=0, rating_mean=None))
    rec.upsert("mentor", replace(rec.profile("mentor", 11), rating_count=0, rating_mean=None))
    tied = rec.mentors_for_startup(1, 5)
    assert tied[0].score == tied[1].score


def test_calibration_and_ranker_files_without_the_feature_still_load(
    tmp_path: object, hashing_embedder: HashingEmbedder
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "calibration-mentor.json"
    old = Calibration("mentor", "default", {"activity": 0.5, "dense": 0.5})  # no founder_rating
    old.save(path)
    loaded = Calibration.load(path)
    assert "founder_rating" not in loaded.weights
    f = {n: F.UNKNOWN for n in F.FEATURE_NAMES} | {"founder_rating": 0.9}
    assert loaded.score(f, []) == loaded.score(f | {"founder_rating": 0.1}, [])  # ignored

    # A ranker file written before the feature existed still loads and scores.
    rows = [
        ({n: float((i * 7 + j) % 10) / 10 for j, n in enumerate(F.FEATURE_NAMES[:-1])}, i % 2)
        for i in range(300)
    ]
    ranker_path = Path(str(tmp_path)) / "ranker-mentor.json"
    train_ranker("mentor", rows, F.FEATURE_NAMES[:-1]).save(ranker_path)
    assert "founder_rating" not in json.loads(ranker_path.read_text())["feature_names"]
    ranker = load_usable_ranker(ranker_path, "mentor", F.FEATURE_NAMES, min_rows=10)
    assert ranker is not None
    assert ranker.score(f) == ranker.score(f | {"founder_rating": 0.1})


def test_the_rating_is_a_reason_only_when_the_shrunk_mean_says_well_rated(
    hashing_embedder: HashingEmbedder,
) -> None:
    rec = _recommender(
        hashing_embedder,
        _mentor(10, rating_count=6, rating_mean=4.83),
        _mentor(11, rating_count=1, rating_mean=5.0),  # one review: not yet a reason
        _mentor(12, rating_count=9, rating_mean=2.5),
    )
    reasons = {
        r.id: [x for x in r.reasons if x.code == "founder_rating"]
        for r in rec.mentors_for_startup(1, 5)
    }
    assert [x.params for x in reasons[10]] == [{"mean": 4.83, "count": 6}]
    assert reasons[11] == [] and reasons[12] == []
