"""Learned ranker: trains, round-trips through JSON, is used only when trustworthy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matchmaker.recommend.features import FEATURE_NAMES
from matchmaker.recommend.learn import (
    LearnedRanker,
    RankerInvalid,
    load_usable_ranker,
    train_ranker,
)
from matchmaker.recommend.ranking import Recommender, RecommenderConfig


def outcome_rows(n: int, seed: int = 0) -> list[tuple[dict[str, float], int]]:
    """Synthetic outcomes that depend on 'lexical' only."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        f = {name: float(rng.random()) for name in FEATURE_NAMES}
        rows.append((f, int(f["lexical"] + 0.1 * rng.normal() > 0.5)))
    return rows


def test_train_learns_the_signal_and_reports_metrics() -> None:
    ranker = train_ranker("mentor", outcome_rows(600), FEATURE_NAMES)
    coef = dict(zip(ranker.feature_names, ranker.coef, strict=True))
    assert max(coef, key=lambda k: abs(coef[k])) == "lexical"
    assert ranker.metrics["auc"] > 0.9 and ranker.n_train == 600
    high = ranker.score({**{n: 0.5 for n in FEATURE_NAMES}, "lexical": 0.9})
    low = ranker.score({**{n: 0.5 for n in FEATURE_NAMES}, "lexical": 0.1})
    assert high > 0.5 > low


def test_json_round_trip_without_pickle(tmp_path: Path) -> None:
    ranker = train_ranker("investor", outcome_rows(300), FEATURE_NAMES)
    path = tmp_path / "models" / "ranker-investor.json"
    ranker.save(path)
    data = json.loads(path.read_text())  # plain JSON a human can read
    assert data["feature_names"] == list(FEATURE_NAMES) and "auc" in data["metrics"]
    assert LearnedRanker.load(path) == ranker
    assert not list(path.parent.glob("*.tmp"))


def test_invalid_files_raise(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("[1, 2]")
    with pytest.raises(RankerInvalid):
        LearnedRanker.load(path)
    good = train_ranker("mentor", outcome_rows(100), FEATURE_NAMES)
    good.save(path)
    data = json.loads(path.read_text())
    data["coef"] = data["coef"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(RankerInvalid):
        LearnedRanker.load(path)


def test_usable_only_with_enough_rows_and_matching_kind(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    assert load_usable_ranker(path, "mentor", FEATURE_NAMES) is None  # absent
    train_ranker("mentor", outcome_rows(150), FEATURE_NAMES).save(path)
    assert load_usable_ranker(path, "mentor", FEATURE_NAMES, min_rows=200) is None
    assert load_usable_ranker(path, "investor", FEATURE_NAMES, min_rows=10) is None
    assert load_usable_ranker(path, "mentor", FEATURE_NAMES, min_rows=100) is not None


def test_recommender_uses_ranker_only_above_min_rows(
    world, hashing_embedder, build_recommender
) -> None:  # noqa: ANN001
    rec: Recommender = build_recommender(world, hashing_embedder)
    default = {r.id: r.score for r in rec.mentors_for_startup(1, k=5)}
    ranker = train_ranker("mentor", outcome_rows(300), FEATURE_NAMES)
    small = Recommender(
        hashing_embedder,
        rankers={"mentor": ranker},
        config=RecommenderConfig(min_training_rows=1000),
    )
    for kind, profiles in (("startup", world.startups), ("mentor", world.mentors)):
        small.sync(kind, profiles)
    assert {r.id: r.score for r in small.mentors_for_startup(1, k=5)} == pytest.approx(default)
    small.config = RecommenderConfig(min_training_rows=100)
    learned = small.mentors_for_startup(1, k=5)
    feats = learned[0].features
    base = {k: v for k, v in feats.items() if not k.startswith("rerank_")}
    expected = ranker.score(base) * feats["rerank_capacity"] * feats["rerank_exposure"]
    assert learned[0].score == pytest.approx(expected)


def test_recommender_loads_usable_rankers_from_models_folder(
    tmp_path: Path, hashing_embedder
) -> None:  # noqa: ANN001
    train_ranker("mentor", outcome_rows(300), FEATURE_NAMES).save(tmp_path / "ranker-mentor.json")
    train_ranker("investor", outcome_rows(50), FEATURE_NAMES).save(
        tmp_path / "ranker-investor.json"
    )
    rec = Recommender(hashing_embedder)
    assert set(rec.load_rankers(tmp_path)) == {"mentor"}, "the investor ranker has too few rows"
