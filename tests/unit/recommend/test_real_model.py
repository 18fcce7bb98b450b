"""The engine with the real sentence-transformers model (loaded once per session)."""

from __future__ import annotations

import pytest

from matchmaker.recommend.ranking import Recommender

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_recommender(real_embedder, build_recommender_module) -> Recommender:  # noqa: ANN001
    return build_recommender_module(real_embedder)


def test_semantic_equipment_search(real_recommender: Recommender) -> None:
    # No shared word with "X-ray diffraction ... crystal structure": the model must know XRD.
    top = real_recommender.equipment_for_need("XRD testing for a battery cathode", k=1)[0]
    assert top.id == 30


def test_battery_startup_gets_the_battery_expert_over_marketing(
    real_recommender: Recommender,
) -> None:
    recs = real_recommender.mentors_for_startup(3, k=5, exclude=())
    # Both battery mentors already mentored CellPack (3), so they are excluded as past mentors.
    assert {r.id for r in recs}.isdisjoint({10, 12})
    recs = real_recommender.mentors_for_startup(1, k=5)
    dense = {r.id: r.features["dense"] for r in recs}
    assert 12 in dense and dense[12] > 0.3, "cathode startup and cathode chemist are close"


def test_similar_startups_with_real_model(real_recommender: Recommender) -> None:
    assert real_recommender.similar_startups(1, k=1)[0].id == 3
