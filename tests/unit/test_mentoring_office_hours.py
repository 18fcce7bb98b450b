"""Office-hours assignment: optimal against brute force on small cases."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from matchmaker.services.mentoring.office_hours import assign


def brute_force(scores: np.ndarray) -> float:
    """Best total over every way to give each startup (row) at most one distinct slot."""
    n_rows, n_cols = scores.shape
    best = 0.0
    for k in range(min(n_rows, n_cols) + 1):
        for rows in itertools.combinations(range(n_rows), k):
            for cols in itertools.permutations(range(n_cols), k):
                total = sum(max(scores[r, c], 0.0) for r, c in zip(rows, cols, strict=True))
                best = max(best, total)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_assignment_is_optimal_on_small_cases(seed):
    rng = random.Random(seed)
    n_startups, n_slots = rng.randint(1, 5), rng.randint(1, 5)
    scores = np.array(
        [[round(rng.uniform(-0.2, 1.0), 3) for _ in range(n_slots)] for _ in range(n_startups)]
    )
    result = assign(scores)
    assert len({a.row for a in result}) == len(result)  # a startup at most once
    assert len({a.col for a in result}) == len(result)  # a slot at most once
    assert all(a.score > 0 for a in result)
    assert sum(a.score for a in result) == pytest.approx(brute_force(scores))


def test_empty_inputs():
    assert assign(np.zeros((0, 3))) == []
    assert assign(np.zeros((2, 0))) == []


def test_a_greedy_choice_is_not_taken():
    # Greedy would give startup 0 the 0.9 slot and leave startup 1 with 0.1 (total 1.0); the
    # optimum is 0.8 + 0.85.
    scores = np.array([[0.9, 0.8], [0.85, 0.1]])
    result = assign(scores)
    assert sum(a.score for a in result) == pytest.approx(1.65)
