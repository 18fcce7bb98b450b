"""Mentors by expertise, in either language: a need in the founder's words ("XRD", "专利",
"GMP", "融资路演") finds the mentor whose profile names it, also when the profile is written in
the other language (the multilingual embedder on the profile's short expertise phrases)."""

from __future__ import annotations

import pytest

from matchmaker.demo.tables import FACILITIES
from matchmaker.recommend.embedding import UniversalSentenceEncoder
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import EquipmentProfile, MentorProfile

MENTORS = [
    MentorProfile(
        id=1,
        name="张泽宇",
        headline="新材料方向教授",
        expertise="材料表征：X射线衍射（XRD）、扫描电镜。工艺放大和中试方案。",
    ),
    MentorProfile(
        id=2,
        name="Aoi Nakamura",
        headline="Patent attorney",
        expertise="Patent filing, freedom-to-operate reviews and IP strategy for hardware.",
    ),
    MentorProfile(
        id=3,
        name="黄敏",
        headline="医药研究室主任",
        expertise="药品生产质量管理规范（GMP）体系认证，注册检验和临床试验。",
    ),
    MentorProfile(
        id=4,
        name="Lucas Sharma",
        headline="Venture investor",
        expertise="Reviews pitch decks, rehearses investor roadshows and fundraising pitches.",
    ),
    MentorProfile(
        id=5,
        name="徐蕾",
        headline="科技项目申报与政策咨询顾问",
        expertise="帮助企业梳理可申报的政策：创业补贴、创新券。熟悉高企认定。",
    ),
    MentorProfile(
        id=6,
        name="James Silva",
        headline="Operations consultant for energy-saving scale-ups",
        expertise="Lean operations, hiring plans and supply chains.",
    ),
]


@pytest.fixture(scope="module")
def mentors() -> Recommender:
    return Recommender.from_profiles(UniversalSentenceEncoder(), mentors=MENTORS)


@pytest.mark.parametrize(
    ("need", "mentor"),
    [
        ("XRD", 1),  # same word
        ("X-ray diffraction of cathode powder", 1),  # English need, Chinese profile
        ("专利", 2),  # Chinese need, English profile
        ("专利申请", 2),
        ("GMP", 3),
        ("GMP certification for a drug plant", 3),
        ("融资路演", 4),  # Chinese need, English profile
        ("fundraising pitch", 4),
    ],
)
def test_need_finds_the_mentor_whose_profile_names_it(
    mentors: Recommender, need: str, mentor: int
) -> None:
    top = mentors.search(need, kinds=["mentor"], k=3)
    assert top and top[0].id == mentor, [(r.id, round(r.score, 3)) for r in top]
    assert top[0].reasons, "a hit without a reason is dropped by the search page"


def test_a_loosely_related_phrase_does_not_outrank_the_named_expertise(
    mentors: Recommender,
) -> None:
    # "创业补贴" (start-up subsidies) is near "fundraising" in meaning, not what is asked.
    assert mentors.search("fundraising pitch", kinds=["mentor"], k=1)[0].id != 5


def demo_instruments() -> list[EquipmentProfile]:
    """Every demo instrument (demo/data/facilities.json), Chinese- and English-described."""
    out = []
    for facility in FACILITIES:
        for name, category, model, description, *_ in facility["equipment"]:
            out.append(
                EquipmentProfile(
                    id=len(out) + 1,
                    name=name,
                    category=category,
                    model=model,
                    description=description,
                    facility_name=facility["name"],
                )
            )
    return out


@pytest.fixture(scope="module")
def instruments() -> Recommender:
    return Recommender.from_profiles(UniversalSentenceEncoder(), equipment=demo_instruments())


@pytest.mark.parametrize(
    ("need", "answer"),
    [
        ("激光切割", "Laser cutter"),  # 激光共聚焦显微镜, 激光跟踪仪 share the word 激光
        ("产品渲染", "Product rendering station"),
        ("桌面数控铣床", "Desktop CNC mill"),
        ("手持式三维扫描仪", "Handheld 3D scanner"),
        ("树脂光固化打印", "Resin 3D printer"),
        ("scanning electron microscope", "场发射扫描电镜（SEM）"),
    ],
)
def test_the_instrument_named_in_the_other_language_is_in_the_top_3(
    instruments: Recommender, need: str, answer: str
) -> None:
    # A short need is far from a whole profile in the other language and close to its name.
    top = instruments.search(need, kinds=["equipment"], k=3)
    names = [instruments.profile("equipment", r.id).name for r in top]
    assert answer in names, names
    assert top[names.index(answer)].reasons
