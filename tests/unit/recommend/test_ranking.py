"""Recommender behaviour a user would notice: who is (not) recommended, and why."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from matchmaker.recommend import free_text, hybrid
from matchmaker.recommend.ranking import Recommendation, Recommender, UnknownProfile
from matchmaker.recommend.reasons import Reason
from matchmaker.recommend.texts import MentorProfile


def ids(recs: list[Recommendation]) -> list[int]:
    return [r.id for r in recs]


def reason(rec: Recommendation, code: str) -> Reason | None:
    return next((r for r in rec.reasons if r.code == code), None)


def test_investor_whose_stages_exclude_the_ask_is_not_recommended(recommender: Recommender) -> None:
    recs = recommender.investors_for_startup(1, k=10)  # asks for an angel round
    assert 21 not in ids(recs), "Growth Capital only does b_plus"
    assert 23 not in ids(recs), "inactive investor"
    assert ids(recs)[0] == 20
    # Change the ask to b_plus: now the PE fund may see it and the angel fund may not.
    later = replace(recommender.profile("startup", 1), ask_round="b_plus")
    later_ids = ids(recommender.investors_for_startup(later, k=10))
    assert 21 in later_ids and 20 not in later_ids


def test_investor_reasons_are_true(recommender: Recommender) -> None:
    startup = recommender.profile("startup", 1)
    top = recommender.investors_for_startup(1, k=1)[0]
    investor = recommender.profile("investor", top.id)
    sectors = reason(top, "shared_sectors")
    assert sectors is not None
    assert set(sectors.params["sectors"]) <= set(startup.sectors) & set(investor.sectors)
    stage = reason(top, "stage_fit")
    assert stage is not None and stage.params["round"] in investor.stages
    ticket = reason(top, "ticket_fit")
    assert ticket is not None
    assert investor.ticket_min <= startup.ask_amount <= investor.ticket_max
    assert reason(top, "instrument_fit") is not None


def test_every_shared_sectors_reason_names_only_common_sectors(recommender: Recommender) -> None:
    for sid in (1, 2, 3, 4):
        s = recommender.profile("startup", sid)
        for kind, method in (
            ("mentor", recommender.mentors_for_startup),
            ("investor", recommender.investors_for_startup),
        ):
            for rec in method(sid, k=10):
                c = recommender.profile(kind, rec.id)
                for r in rec.reasons:
                    if r.code == "shared_sectors":
                        assert set(r.params["sectors"]) <= set(s.sectors) & set(c.sectors)
                    if r.code == "free_capacity":
                        assert r.params["left"] == c.capacity_left > 0


def test_portfolio_neighbour_and_existing_investors_excluded(recommender: Recommender) -> None:
    # CellPack (3) is already in Green Angel's portfolio: it must not be offered again...
    assert 20 not in ids(recommender.investors_for_startup(3, k=10))
    # ...and for the battery startup, the portfolio neighbour reason names a real portfolio company.
    top = recommender.investors_for_startup(1, k=10)[0]
    neighbour = reason(top, "portfolio_neighbour")
    if neighbour is not None:
        companies = {e.company for e in recommender.profile("investor", top.id).portfolio}
        assert neighbour.params["company"] in companies


def test_mentors_not_accepting_or_at_capacity_are_filtered(recommender: Recommender) -> None:
    recs = recommender.mentors_for_startup(2, k=10)  # the farming startup wants marketing help
    assert 11 not in ids(recs), "Alice is at capacity this month"
    assert 13 not in ids(recs), "Carol is not accepting requests"
    assert all(recommender.profile("mentor", i).accepting_requests for i in ids(recs))


def test_chinese_founder_needing_a_patent_lawyer_gets_the_lawyer(recommender: Recommender) -> None:
    recs = recommender.mentors_for_startup(1, k=3)
    assert 10 in ids(recs)
    lawyer = next(r for r in recs if r.id == 10)
    assert reason(lawyer, "shared_topics") == Reason("shared_topics", {"topics": ["legal_ip"]})


def test_free_text_search_across_kinds(recommender: Recommender) -> None:
    top = recommender.search("专利律师", kinds=("mentor", "investor", "equipment"), k=3)[0]
    assert (top.kind, top.id) == ("mentor", 10)
    terms = reason(top, "matched_terms")
    assert terms is not None and {"专利", "律师"} <= set(terms.params["terms"])
    xrd = recommender.search("XRD testing for a battery cathode", kinds=("equipment",), k=3)
    assert xrd[0].id == 30


def test_equipment_for_need_filters_category_and_reports_capacity(
    recommender: Recommender,
) -> None:
    recs = recommender.equipment_for_need("battery cathode crystal structure", k=3)
    assert recs[0].id == 30
    assert reason(recs[0], "free_capacity") == Reason("free_capacity", {"hours": 12})
    assert reason(recs[0], "voucher_eligible") is not None
    assert ids(recommender.equipment_for_need("battery", category="prototyping")) == [31]


def test_capacity_rerank_demotes_a_fully_booked_instrument(recommender: Recommender) -> None:
    # SEM (32) matches "battery electrode surfaces imaging" best by text, but has no free hours.
    recs = recommender.equipment_for_need("SEM imaging of battery electrode surfaces", k=3)
    sem = next(r for r in recs if r.id == 32)
    assert sem.features["rerank_capacity"] == pytest.approx(0.1)
    assert recs[0].id != 32


def test_exposure_spreads_recommendations(recommender: Recommender) -> None:
    before = recommender.mentors_for_startup(1, k=3)
    top = before[0].id
    recommender.record_exposure("mentor", [top] * 500)
    after = recommender.mentors_for_startup(1, k=3)
    assert next(r for r in after if r.id == top).score < before[0].score


def test_reverse_direction_scores_the_same_pair(recommender: Recommender) -> None:
    startups = recommender.startups_for_mentor(10, k=5)
    assert 3 not in ids(startups), "already a mentee"
    assert startups[0].id == 1
    forward = next(r for r in recommender.mentors_for_startup(1, k=5) if r.id == 10)
    assert startups[0].features["history_top3"] == pytest.approx(forward.features["history_top3"])
    assert 1 in ids(recommender.startups_for_investor(20, k=5))


def test_similar_startups(recommender: Recommender) -> None:
    recs = recommender.similar_startups(1, k=2)
    assert 1 not in ids(recs)
    assert recs[0].id == 3, "the other battery company"
    assert reason(recs[0], "shared_sectors") == Reason(
        "shared_sectors", {"sectors": ["new_energy"]}
    )


def test_incremental_upsert_and_remove(recommender: Recommender) -> None:
    new = MentorProfile(
        id=14,
        name="刘律师",
        kind="lawyer",
        headline="专利律师",
        expertise="专利律师，电池材料专利",
        topics=("legal_ip",),
    )
    recommender.upsert("mentor", new)
    assert 14 in ids(recommender.search("专利律师", kinds=("mentor",), k=3))
    recommender.remove("mentor", 14)
    assert 14 not in ids(recommender.search("专利律师", kinds=("mentor",), k=5))
    assert 14 not in ids(recommender.mentors_for_startup(1, k=10))
    with pytest.raises(UnknownProfile):
        recommender.profile("mentor", 14)


def test_unchanged_profiles_are_not_re_embedded(
    world, counting_embedder, build_recommender, tmp_path
) -> None:  # noqa: ANN001
    rec = build_recommender(world, counting_embedder)
    rec.save_indexes(tmp_path, "2026-01-01")
    fresh = Recommender(counting_embedder)
    watermarks = fresh.load_indexes(tmp_path)
    assert watermarks["mentor"] == "2026-01-01"
    counting_embedder.calls.clear()
    fresh.sync("startup", world.startups)
    fresh.sync("mentor", world.mentors)
    assert sum(counting_embedder.calls) == 0, "everything came from the persisted index"
    fresh.upsert("mentor", world.mentors[0])  # same text
    assert sum(counting_embedder.calls) == 0
    fresh.upsert("mentor", replace(world.mentors[0], expertise="商标律师"))
    assert sum(counting_embedder.calls) == 1


def test_rejects_unknown_kind_and_wrong_profile_type(recommender: Recommender, world) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        recommender.sync("robots", [])
    with pytest.raises(TypeError):
        recommender.upsert("mentor", world.startups[0])


def test_chinese_need_ranks_the_instrument_first_and_explains_with_domain_terms(
    recommender: Recommender,
) -> None:
    top = recommender.equipment_for_need("电池正极材料需要做XRD物相测试，我们公司提供样品", k=3)
    assert top[0].id == 30
    terms = reason(top[0], "matched_terms")
    assert terms is not None and "xrd" in terms.params["terms"]
    assert not {"我们", "公司", "提供"} & set(terms.params["terms"])


def test_a_figures_only_update_leaves_the_lexical_rows_alone(
    recommender: Recommender, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A capacity refresh upserts every mentor whose sessions moved: re-transforming an
    # unchanged text would re-stack the whole lexical matrix before the next search.
    from matchmaker.recommend.lexical import LexicalIndex

    before = recommender.search("battery", kinds=("mentor",), k=3)
    mentor = next(iter(recommender.corpus.profiles["mentor"].values()))

    def refuse(self: LexicalIndex, item_id: int, text: str) -> None:
        raise AssertionError("an unchanged text was transformed again")

    monkeypatch.setattr(LexicalIndex, "upsert", refuse)
    recommender.upsert(
        "mentor", replace(mentor, sessions_this_month=mentor.sessions_this_month + 1)
    )
    with pytest.raises(AssertionError):
        recommender.upsert("mentor", replace(mentor, expertise=mentor.expertise + " and GMP"))
    monkeypatch.undo()
    assert [r.id for r in recommender.search("battery", kinds=("mentor",), k=3)] == ids(before)


@pytest.fixture
def explained(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every result a reason was worked out for, by kind and id."""
    seen: list[tuple[str, int]] = []
    real = hybrid.explain_matches

    def spy(corpus: Any, kind: str, text: str, recs: Any, q: Any) -> Any:
        seen.extend((kind, r.id) for r in recs)
        return real(corpus, kind, text, recs, q)

    monkeypatch.setattr(hybrid, "explain_matches", spy)
    monkeypatch.setattr(free_text, "explain_matches", spy)
    return seen


def test_search_explains_only_the_results_it_returns(
    recommender: Recommender, explained: list[tuple[str, int]]
) -> None:
    text = "battery materials testing and patents"
    kinds = ("mentor", "investor", "equipment")
    recs = recommender.search(text, kinds=kinds, k=2)
    assert len(recs) == 2 and sorted(explained) == sorted((r.kind, r.id) for r in recs)
    for r in recs:  # with the reasons each kind's own search gives them
        own = {o.id: o for o in recommender.search(text, kinds=(r.kind,), k=50)}
        assert r.reasons == own[r.id].reasons and r.reasons


def test_equipment_for_need_explains_only_the_instruments_it_returns(
    recommender: Recommender, explained: list[tuple[str, int]]
) -> None:
    recs = recommender.equipment_for_need("battery cathode crystal structure", k=1)
    assert explained == [("equipment", recs[0].id)]
    assert reason(recs[0], "matched_terms") is not None
    assert reason(recs[0], "free_capacity") == Reason("free_capacity", {"hours": 12})
