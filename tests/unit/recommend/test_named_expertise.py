"""Mentors by expertise on the startup page: when a founder's own words name what a mentor says
they know ("XRD、SEM表征", "GMP", "专利"), that mentor is among the startup's first three even
without past mentees, ahead of generalists whose only edge is a busy recent record and whose
topics match the startup's stated ones (fundraising, marketing)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matchmaker.recommend import features as F
from matchmaker.recommend.embedding import HashingEmbedder
from matchmaker.recommend.expertise import ExpertiseTerms, words
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import MentorProfile, StartupProfile

BATTERY = StartupProfile(
    id=1,
    name="澜锂新材料",
    description=(
        "高镍三元正极材料的包覆改性。实验室做出的材料循环寿命和批次一致性差，迟迟过不了电池厂认证。"
        "团队掌握原子层沉积包覆工艺，XRD、SEM表征数据完整。"
    ),
    sectors=("new_materials",),
    mentoring_topics=("fundraising", "marketing"),
)
PHARMA = StartupProfile(
    id=2,
    name="Saffron Biosciences",
    description="A sterile injectable plant that must pass GMP certification before first sales.",
    sectors=("medicine_health",),
    mentoring_topics=("fundraising", "marketing"),
)
OTHERS = [
    StartupProfile(
        id=i,
        name=f"Startup {i}",
        description=desc,
        sectors=("internet",),
        mentoring_topics=("fundraising", "marketing"),
    )
    for i, desc in enumerate(
        (
            "外卖骑手换电柜和电池资产管理平台，已在主城五区布设。",
            "面向中小餐饮门店的收银和会员营销小程序。",
            "A marketplace for second-hand lab furniture.",
            "An online course platform for vocational training.",
            "社区团购的冷链配送网络。",
            "A scheduling app for dental clinics.",
            "A scheduling app for yoga studios.",  # id 9: nobody's mentee, names no expertise
        ),
        start=3,
    )
]
RECENT = date(2026, 10, 1)


def generalist(mid: int, name: str, expertise: str, mentees: tuple[int, ...]) -> MentorProfile:
    """A mentor on the startup's stated topics, with a record of recent mentees."""
    return MentorProfile(
        id=mid,
        name=name,
        headline="Startup coach",
        expertise=expertise,
        topics=("fundraising", "marketing"),
        sectors=("new_materials", "medicine_health", "internet"),
        past_mentee_ids=mentees,
        past_mentee_dates=tuple(RECENT - timedelta(days=30 * k) for k in range(len(mentees))),
    )


MENTORS = [
    generalist(10, "路演教练", "辅导创业大赛的路演和答辩，打磨商业计划书。", (3, 4, 5, 6)),
    generalist(11, "Growth coach", "Go-to-market, pricing and first sales channels.", (4, 5, 6)),
    generalist(12, "投融资顾问", "帮助梳理融资节奏，模拟投委会提问。", (3, 7)),
    generalist(13, "Operations coach", "Lean operations, hiring plans and supply chains.", (8,)),
    MentorProfile(
        id=20,
        name="陈静怡",
        headline="新材料方向研究员",
        expertise="熟悉材料表征（XRD、SEM、热分析）和工艺放大，可以帮助设计中试方案和检测计划。",
        topics=("technology",),
        sectors=("new_materials",),
    ),
    MentorProfile(
        id=21,
        name="Dr. Amal Haddad",
        headline="Former QA director at a sterile injectables plant",
        expertise="GMP audits and certification, validation of clean rooms and sterile filling.",
        topics=("operations",),
        sectors=("medicine_health",),
    ),
]


@pytest.fixture(scope="module")
def rec() -> Recommender:
    return Recommender.from_profiles(
        HashingEmbedder(dim=256), startups=[BATTERY, PHARMA, *OTHERS], mentors=MENTORS
    )


@pytest.mark.parametrize(("startup", "specialist"), [(1, 20), (2, 21)])
def test_the_mentor_whose_expertise_the_founder_names_is_in_the_top_3(
    rec: Recommender, startup: int, specialist: int
) -> None:
    top = rec.mentors_for_startup(startup, k=3)
    assert specialist in [r.id for r in top], [(r.id, round(r.score, 3)) for r in top]
    # The founder sees why: the shared words are the reason.
    (mine,) = [r for r in top if r.id == specialist]
    terms = [t for r in mine.reasons if r.code == "matched_terms" for t in r.params["terms"]]
    assert {"xrd", "gmp"} & set(terms), mine.reasons


def test_a_startup_that_names_no_expertise_keeps_the_behaviour_ranking(rec: Recommender) -> None:
    # Nothing specific shared: the feature is UNKNOWN, which leaves the score exactly as it was.
    pairs = rec.pair_features("mentor", 9, [10, 11, 12, 13, 20, 21], explain=False)
    assert all(p.features["expertise_named"] == F.UNKNOWN for p in pairs)
    top = [r.id for r in rec.mentors_for_startup(9, k=3)]
    assert 20 not in top and 21 not in top, top


def test_specific_words_are_few_mentors_words_and_not_common_in_founders_texts() -> None:
    mentors = [
        MentorProfile(id=i, name=f"m{i}", expertise=f"XRD analysis and team building {i}")
        for i in (1, 2)
    ] + [MentorProfile(id=i, name=f"m{i}", expertise="team building") for i in range(3, 30)]
    startups = [StartupProfile(id=1, name="s", description="we need XRD for our team")]
    terms = ExpertiseTerms.build(mentors, startups)
    assert "xrd" in terms.terms[1] and "building" not in terms.terms[1]
    value, shared = terms.match(startups[0], 1)
    assert shared == ["xrd"] and 0.0 < value < 1.0  # one word: some evidence, not the most
    assert terms.match(startups[0], 5) == (0.0, [])
    assert "专利" in words("擅长专利挖掘与布局") and not any(
        w.startswith("~") for w in words("专利")
    )


def test_the_words_are_rebuilt_when_a_text_changes_not_when_a_figure_does() -> None:
    from dataclasses import replace

    rec = Recommender.from_profiles(HashingEmbedder(dim=64), startups=[BATTERY], mentors=MENTORS)
    built = rec.corpus.expertise()
    busy = replace(rec.profile("mentor", 20), sessions_this_month=3)  # a booking: same text
    rec.upsert("mentor", busy)
    assert rec.corpus.expertise() is built
    edited = replace(busy, expertise=busy.expertise + " 也熟悉XPS。")
    rec.upsert("mentor", edited)
    assert rec.corpus.expertise() is not built
    assert "xps" in rec.corpus.expertise().terms[20]
