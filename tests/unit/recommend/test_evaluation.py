"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from matchmaker.recommend.evaluation import evaluate, ndcg_at_k, recall_at_k, reciprocal_rank


def test_metrics_by_hand() -> None:
    ranked = [5, 1, 7, 3]
    relevant = {1, 3, 9}
    assert recall_at_k(ranked, relevant, k=2) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, relevant) == pytest.approx(1 / 2)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, relevant, k=10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k([1, 3, 9], relevant) == pytest.approx(1.0)
    assert reciprocal_rank([2, 4], relevant) == 0.0


def test_evaluate_averages_and_counts_missing_queries_as_zero() -> None:
    result = evaluate({1: [10, 11]}, {1: {10}, 2: {20}}, k=10)
    assert result["mrr"] == pytest.approx(0.5)
    assert result["recall@10"] == pytest.approx(0.5)
    assert result["queries"] == 2


def test_undefined_inputs_raise() -> None:
    with pytest.raises(ValueError):
        recall_at_k([1], set())
    with pytest.raises(ValueError):
        evaluate({}, {})


def test_paired_bootstrap_interval_covers_the_mean_and_sees_a_real_difference() -> None:
    from matchmaker.recommend.evaluation import compare_with_best_baseline, paired_bootstrap

    same = paired_bootstrap([0.2, 0.4, 0.1, 0.3], [0.2, 0.4, 0.1, 0.3])
    assert same["diff"] == same["ci_low"] == same["ci_high"] == 0.0
    better = paired_bootstrap([0.5 + 0.01 * i for i in range(50)], [0.2] * 50)
    assert 0 < better["ci_low"] < better["diff"] < better["ci_high"]
    noisy = paired_bootstrap([1.0, 0.0] * 20, [0.0, 1.0] * 20)
    assert noisy["ci_low"] < 0 < noisy["ci_high"]
    relevant = {1: {10}, 2: {20}}
    out = compare_with_best_baseline(
        {1: [10, 20], 2: [20, 10]}, {"pop": {1: [20, 10], 2: [20, 10]}}, relevant
    )
    assert out["best_baseline"] == "pop" and out["diff"] > 0 and out["ratio"] > 1
