"""Mentors by expertise across languages on the startup page: a founder who writes 专利 reaches
the mentor whose profile says "patent", and the reverse, by the multilingual embedder's vectors of
single words (``recommend.expertise_meaning``), with a reason naming both words as written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matchmaker.recommend import features as F
from matchmaker.recommend.embedding import UniversalSentenceEncoder
from matchmaker.recommend.expertise import mentor_expertise_text
from matchmaker.recommend.expertise_meaning import expertise_words, may_mean_across
from matchmaker.recommend.phrases import phrase_texts
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import MentorProfile, StartupProfile, startup_own_words

EN_PATENTS = StartupProfile(
    id=1,
    name="Quillon Diagnostics",
    description=(
        "A point-of-care sepsis test from one drop of blood. We have filed three patent"
        " applications and look for a lawyer to register our trademark."
    ),
    sectors=("medicine_health",),
    mentoring_topics=("fundraising", "legal"),
)
ZH_PATENTS = StartupProfile(
    id=2,
    name="磐石技术转移",
    description="高校成果转化服务平台。团队已提交五项发明专利申请，需要律师帮助商标注册和技术许可。",
    sectors=("modern_services",),
    mentoring_topics=("fundraising", "legal"),
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
            "A scheduling app for yoga studios.",
        ),
        start=3,
    )
]
RECENT = date(2026, 10, 1)


def generalist(mid: int, name: str, expertise: str, mentees: tuple[int, ...]) -> MentorProfile:
    """A mentor on the startups' stated topics, with a record of recent mentees."""
    return MentorProfile(
        id=mid,
        name=name,
        headline="Startup coach",
        expertise=expertise,
        topics=("fundraising", "marketing"),
        sectors=("medicine_health", "modern_services", "internet"),
        past_mentee_ids=mentees,
        past_mentee_dates=tuple(RECENT - timedelta(days=30 * k) for k in range(len(mentees))),
    )


MENTORS = [
    generalist(10, "路演教练", "辅导创业大赛的路演和答辩，打磨商业计划书。", (3, 4, 5)),
    generalist(11, "Growth coach", "Go-to-market, pricing and first sales channels.", (4, 5, 6)),
    generalist(12, "投融资顾问", "帮助梳理融资节奏，模拟投委会提问。", (3, 7)),
    generalist(13, "Operations coach", "Lean operations, hiring plans and supply chains.", (6,)),
    MentorProfile(
        id=20,
        name="周律师",
        headline="专利代理师、执业律师",
        expertise="擅长专利挖掘与布局、商标和著作权保护，处理过多起专利侵权纠纷。",
        topics=("legal",),
        sectors=("biotech",),
    ),
    MentorProfile(
        id=21,
        name="Dana Whitfield",
        headline="Patent attorney for university spin-offs",
        expertise="Patent drafting and prosecution, trademark registration and licensing.",
        topics=("legal",),
        sectors=("modern_services",),
    ),
]


@pytest.fixture(scope="module")
def rec() -> Recommender:
    return Recommender.from_profiles(
        UniversalSentenceEncoder(), startups=[EN_PATENTS, ZH_PATENTS, *OTHERS], mentors=MENTORS
    )


@pytest.mark.parametrize(("startup", "specialist"), [(1, 20), (2, 21)])
def test_a_need_in_one_language_reaches_the_mentor_naming_it_in_the_other(
    startup: int, specialist: int
) -> None:
    # The only patent lawyer on the platform writes in the other language than the founder.
    mentors = [m for m in MENTORS if m.id < 20 or m.id == specialist]
    rec = Recommender.from_profiles(
        UniversalSentenceEncoder(), startups=[EN_PATENTS, ZH_PATENTS, *OTHERS], mentors=mentors
    )
    top = rec.mentors_for_startup(startup, k=3)
    assert specialist in [r.id for r in top], [(r.id, round(r.score, 3)) for r in top]
    (mine,) = [r for r in top if r.id == specialist]
    assert mine.features["expertise_named"] > F.UNKNOWN
    (reason,) = [r for r in mine.reasons if r.code == "expertise_meaning"]
    pairs = {(a.casefold(), b.casefold()) for a, b in reason.params["pairs"]}
    expected = ("patent", "专利") if startup == 1 else ("专利", "patent")
    assert expected in pairs, pairs


def test_the_reason_names_words_each_side_wrote(rec: Recommender) -> None:
    for sid in (1, 2):
        s = rec.profile("startup", sid)
        for r in rec.mentors_for_startup(sid, k=6):
            mentor = rec.profile("mentor", r.id)
            for reason in r.reasons:
                if reason.code != "expertise_meaning":
                    continue
                for founder_word, mentor_word in reason.params["pairs"]:
                    assert founder_word in startup_own_words(s), (founder_word, s.description)
                    assert mentor_word in mentor_expertise_text(mentor), (mentor_word, r.id)


def test_same_language_and_unrelated_mentors_get_no_meaning_match(rec: Recommender) -> None:
    across = rec.corpus.expertise_across()
    # The English founder and the English patent attorney share the word itself: that is the
    # literal leg's (``expertise``), not a match across languages.
    assert across.match(EN_PATENTS, 21)[1] == []
    for generalist_id in (10, 11, 12, 13):
        assert across.match(EN_PATENTS, generalist_id) == (0.0, [])
        assert across.match(ZH_PATENTS, generalist_id) == (0.0, [])


def test_everyday_chinese_words_never_match_across_languages() -> None:
    # 大型 / big are translations (cosine 0.85) and say nothing about expertise; 专利 is a term.
    assert not may_mean_across("大型") and not may_mean_across("销售")
    assert may_mean_across("专利") and may_mean_across("临床") and may_mean_across("patent")


def test_expertise_words_have_published_vectors() -> None:
    # The index build embeds every phrase of ``phrase_texts``: the words compared across
    # languages are among them, so a served (frozen) engine never embeds them in a request.
    published = set(phrase_texts([EN_PATENTS, MENTORS[4]]).values())
    assert {"patent", "专利"} <= published
    assert set(expertise_words(MENTORS[4])) <= published


def test_a_frozen_corpus_without_word_vectors_matches_nothing() -> None:
    rec = Recommender.from_profiles(
        UniversalSentenceEncoder(), startups=[EN_PATENTS, *OTHERS], mentors=MENTORS
    )
    rec.corpus.frozen = True  # no phrase index was published: no word has a vector
    assert rec.corpus.expertise_across().match(EN_PATENTS, 20) == (0.0, [])


def test_glossary_abbreviations_match_what_chinese_texts_write_out() -> None:
    # XRD / X射线衍射 and pitch / 路演: cosines of 0.39 and 0.41, below MEANING_MIN; the glossary
    # of general laboratory and startup-support vocabulary links them.
    founder = StartupProfile(
        id=1,
        name="Ember Materials",
        description="Coated cathode powders. We need XRD phase analysis and help with our pitch.",
    )
    mentors = [
        MentorProfile(
            id=20,
            name="陈静怡",
            headline="新材料方向研究员",
            expertise="熟悉X射线衍射物相分析和工艺放大。",
        ),
        MentorProfile(id=21, name="路演教练", expertise="辅导创业大赛的融资路演和答辩。"),
        *[
            MentorProfile(id=i, name=f"m{i}", expertise="Go-to-market and first sales channels.")
            for i in range(30, 40)
        ],
    ]
    rec = Recommender.from_profiles(
        UniversalSentenceEncoder(), startups=[founder, *OTHERS], mentors=mentors
    )
    across = rec.corpus.expertise_across()
    assert ("xrd", "衍射") in across.match(founder, 20)[1]
    assert ("pitch", "路演") in across.match(founder, 21)[1]
    assert across.match(founder, 30) == (0.0, [])
