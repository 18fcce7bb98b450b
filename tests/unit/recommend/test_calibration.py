"""Self-calibration on small hand-built histories where recency is, and is not, predictive."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from matchmaker.recommend.calibration import Calibration, CalibrationInvalid, calibrate
from matchmaker.recommend.embedding import HashingEmbedder
from matchmaker.recommend.features import SERVES_WEIGHTS
from matchmaker.recommend.history_check import split_history
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import InvestorProfile, PortfolioCompany, StartupProfile


def world(recency_predicts: bool) -> tuple[list[StartupProfile], list[InvestorProfile]]:
    """Five long-standing funds with many old deals (ids 1-5) and five funds with a burst of
    deals just before the last period (ids 6-10). In the last period, the burst funds invest
    again when ``recency_predicts``; otherwise the long-standing funds do and the burst stops."""
    startups = [
        StartupProfile(id=i, name=f"Company {i}", description="hardware") for i in range(1, 121)
    ]
    deals: dict[int, list[tuple[int, date]]] = {i: [] for i in range(1, 11)}
    sid = iter(range(1, 121))
    for fund in range(1, 6):  # ten deals each, 2008-2012
        deals[fund] += [(next(sid), date(2008, 1, 1) + timedelta(days=180 * k)) for k in range(10)]
    for fund in range(6, 11):  # three deals each, autumn 2015
        deals[fund] += [(next(sid), date(2015, 9, 1) + timedelta(days=30 * k)) for k in range(3)]
    active = range(6, 11) if recency_predicts else range(1, 6)
    for fund in active:  # the last period: three deals each in 2016
        deals[fund] += [(next(sid), date(2016, 3, 1) + timedelta(days=20 * k)) for k in range(3)]
    investors = [
        InvestorProfile(
            id=fund,
            name=f"Fund {fund}",
            portfolio=tuple(
                PortfolioCompany(company=f"Company {s}", startup_id=s, date=d) for s, d in rows
            ),
        )
        for fund, rows in deals.items()
    ]
    return startups, investors


def engine(recency_predicts: bool) -> Recommender:
    startups, investors = world(recency_predicts)
    return Recommender.from_profiles(
        HashingEmbedder(dim=32), startups=startups, investors=investors
    )


def test_the_split_holds_out_only_the_latest_relations() -> None:
    startups, investors = world(True)
    split = split_history(investors, {s.id for s in startups}, target_share=0.15)
    assert split is not None and 2016.0 < split.cutoff < 2016.5
    assert set().union(*split.targets.values()) == set(range(6, 11))
    past = {p.id: p for p in split.past}
    assert all(e.date is None or e.date.year < 2016 for p in past.values() for e in p.portfolio)
    assert len(past[1].portfolio) == 10 and len(past[6].portfolio) == 3


def test_recency_predictive_keeps_recency_and_beats_popularity() -> None:
    cal = calibrate(engine(True), "investor", target_share=0.15)
    assert cal.method in ("default", "fitted")
    chosen = cal.metrics["ndcg_fitted_cv" if cal.method == "fitted" else "ndcg_default"]
    assert chosen > cal.metrics["ndcg_popularity"] + 0.15
    assert cal.weights.get("activity", 0) + cal.weights.get("stage_activity", 0) > 0.2


def test_recency_not_predictive_falls_back_to_the_popularity_floor() -> None:
    rec = engine(False)
    cal = rec.calibrate("investor", target_share=0.15)
    floor = cal.metrics["ndcg_popularity"]
    assert cal.metrics["ndcg_default"] < floor, "the hand-set recency weights lose here"
    chosen = {
        "popularity": floor,
        "default": cal.metrics["ndcg_default"],
        "fitted": cal.metrics["ndcg_fitted_cv"],
    }[cal.method]
    assert chosen >= floor
    # A new startup now gets the long-standing funds first, not last autumn's burst.
    rec.upsert("startup", StartupProfile(id=500, name="Newco", description="hardware"))
    top5 = {r.id for r in rec.investors_for_startup(500, k=5)}
    assert top5 == {1, 2, 3, 4, 5}


def test_thin_history_keeps_the_default_weights() -> None:
    startups, investors = world(True)
    thin = [InvestorProfile(id=i.id, name=i.name, portfolio=i.portfolio[:1]) for i in investors]
    rec = Recommender.from_profiles(HashingEmbedder(dim=32), startups=startups, investors=thin)
    cal = calibrate(rec, "investor")
    assert cal.method == "default" and cal.weights == dict(SERVES_WEIGHTS) and cal.note


def test_artifact_round_trip_and_validation(tmp_path: Path) -> None:
    cal = calibrate(engine(False), "investor", target_share=0.15)
    path = tmp_path / "calibration-investor.json"
    cal.save(path)
    assert Calibration.load(path) == cal
    data = json.loads(path.read_text())
    assert data["metrics"]["ndcg_popularity"] == cal.metrics["ndcg_popularity"]
    data["weights"] = {"no_such_feature": 1.0}
    path.write_text(json.dumps(data))
    with pytest.raises(CalibrationInvalid):
        Calibration.load(path)
    data["weights"] = {"popularity": -1.0}
    path.write_text(json.dumps(data))
    with pytest.raises(CalibrationInvalid):
        Calibration.load(path)
    path.write_text("{not json")
    with pytest.raises(CalibrationInvalid):
        Calibration.load(path)


def noise_world() -> Recommender:
    """Twelve funds, each with a few deals spread evenly over the years: who invests in the last
    period is unrelated to anything the features see (a fixed pseudo-random draw)."""
    startups = [StartupProfile(id=i, name=f"Co {i}", description="hardware") for i in range(1, 201)]
    sid = iter(range(1, 201))
    deals: dict[int, list[tuple[int, date]]] = {f: [] for f in range(1, 13)}
    for k in range(150):
        fund = (k * 7 + (k * k) % 5) % 12 + 1
        deals[fund].append((next(sid), date(2010, 1, 1) + timedelta(days=15 * k)))
    investors = [
        InvestorProfile(
            id=fund,
            name=f"Fund {fund}",
            portfolio=tuple(
                PortfolioCompany(company=f"Co {s}", startup_id=s, date=d) for s, d in rows
            ),
        )
        for fund, rows in deals.items()
    ]
    return Recommender.from_profiles(
        HashingEmbedder(dim=32), startups=startups, investors=investors
    )


def test_fitted_weights_are_kept_only_with_a_sure_gain() -> None:
    for rec in (engine(True), engine(False), noise_world()):
        cal = calibrate(rec, "investor", target_share=0.15)
        if "fitted_gain_ci_low" in cal.metrics:
            # The stored interval decides: a fitted scorer only with its lower end above 0.
            assert (cal.method == "fitted") == (
                cal.metrics["fitted_gain_ci_low"] > 0
                and cal.metrics["ndcg_fitted_cv"]
                > max(cal.metrics["ndcg_default"], cal.metrics["ndcg_popularity"])
            )
    # Where nothing predicts the last period, no fitted weights are adopted from noise.
    assert calibrate(noise_world(), "investor", target_share=0.15).method != "fitted"
