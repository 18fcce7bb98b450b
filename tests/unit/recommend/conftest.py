"""Fixtures for the engine's unit tests: embedders, a small bilingual world, a recommender.

The world is built by functions (never shared mutable module state) so each test can change its
own copy. The real sentence-transformers model is loaded once per session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pytest

from matchmaker.recommend.embedding import (
    CombinedEmbedder,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    UniversalSentenceEncoder,
)
from matchmaker.recommend.ranking import Recommender
from matchmaker.recommend.texts import (
    EquipmentProfile,
    InvestorProfile,
    MentorProfile,
    PortfolioCompany,
    StartupProfile,
)


class CountingEmbedder:
    """Wraps an embedder and counts the texts it embeds (to prove nothing is re-embedded)."""

    def __init__(self, inner: HashingEmbedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.calls: list[int] = []

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        self.calls.append(len(texts))
        return self.inner.encode(texts, batch_size=batch_size, show_progress=show_progress)


@pytest.fixture(scope="session")
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=128)


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder()
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def use_embedder() -> UniversalSentenceEncoder:
    embedder = UniversalSentenceEncoder()
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def combined_embedder(
    use_embedder: UniversalSentenceEncoder, real_embedder: SentenceTransformerEmbedder
) -> CombinedEmbedder:
    return CombinedEmbedder([use_embedder, real_embedder])


@dataclass
class World:
    startups: list[StartupProfile] = field(default_factory=list)
    mentors: list[MentorProfile] = field(default_factory=list)
    investors: list[InvestorProfile] = field(default_factory=list)
    equipment: list[EquipmentProfile] = field(default_factory=list)


def make_world() -> World:
    battery = StartupProfile(
        id=1,
        name="锂电新材",
        one_liner="Solid-state battery cathode materials",
        description="We develop high-nickel cathode materials for solid-state lithium batteries. "
        "需要专利律师 to protect our cathode coating patents.",
        sectors=("new_energy", "new_materials"),
        stage="prototype",
        funding_round="seed",
        location="重庆 Chongqing",
        languages=("zh", "en"),
        mentoring_topics=("legal_ip",),
        services_needed=("testing",),
        ask_round="angel",
        ask_amount=3_000_000,
        ask_currency="CNY",
        ask_instrument="equity",
        founded_year=2023,
    )
    farm = StartupProfile(
        id=2,
        name="AgriSense",
        one_liner="Soil sensors for smart farming",
        description="Low-cost IoT soil moisture sensors and an app for farmers.",
        sectors=("modern_agriculture", "electronic_information"),
        stage="pilot",
        location="Chengdu",
        languages=("en",),
        mentoring_topics=("marketing",),
        ask_round="pre_a",
        ask_amount=5_000_000,
        ask_currency="CNY",
        founded_year=2021,
    )
    cells = StartupProfile(
        id=3,
        name="CellPack",
        one_liner="Battery pack management systems",
        description="Battery management systems and lithium battery packs for e-bikes.",
        sectors=("new_energy",),
        stage="market",
        location="Chongqing",
        founded_year=2019,
    )
    medic = StartupProfile(
        id=4,
        name="康复机器人",
        one_liner="Rehabilitation robots",
        description="康复机器人 for stroke patients in hospitals.",
        sectors=("medicine_health", "high_end_equipment"),
        stage="prototype",
        founded_year=2022,
    )
    mentors = [
        MentorProfile(
            id=10,
            name="张律师",
            kind="lawyer",
            headline="知识产权律师，专利代理人",
            expertise="专利申请、专利诉讼与知识产权保护，十年经验",
            topics=("legal_ip",),
            sectors=("new_materials",),
            languages=("zh",),
            location="重庆",
            capacity_per_month=4,
            sessions_this_month=1,
            past_mentee_ids=(3,),
            past_mentee_dates=(date(2024, 5, 1),),
        ),
        MentorProfile(
            id=11,
            name="Alice Market",
            kind="consultant",
            headline="Go-to-market for hardware",
            expertise="Marketing and sales for agricultural IoT and consumer hardware",
            topics=("marketing",),
            sectors=("modern_agriculture",),
            languages=("en",),
            capacity_per_month=2,
            sessions_this_month=2,  # at capacity
        ),
        MentorProfile(
            id=12,
            name="Bob Battery",
            kind="technical_expert",
            headline="Battery chemist",
            expertise="Cathode materials, solid-state electrolytes, battery testing",
            topics=("technology",),
            sectors=("new_energy", "new_materials"),
            languages=("en", "zh"),
            capacity_per_month=3,
            sessions_this_month=2,
            past_mentee_ids=(3,),
            past_mentee_dates=(date(2024, 9, 1),),
        ),
        MentorProfile(
            id=13,
            name="Carol Closed",
            kind="entrepreneur",
            headline="Serial founder",
            expertise="Battery startups, fundraising",
            sectors=("new_energy",),
            accepting_requests=False,
        ),
    ]
    investors = [
        InvestorProfile(
            id=20,
            name="Green Angel Fund",
            type="angel",
            thesis="Early clean energy materials",
            sectors=("new_energy", "new_materials"),
            stages=("seed", "angel"),
            ticket_min=1_000_000,
            ticket_max=5_000_000,
            currency="CNY",
            instruments=("equity",),
            regions=("重庆", "Chongqing"),
            portfolio=(
                PortfolioCompany(
                    company="CellPack", startup_id=3, round="seed", date=date(2024, 3, 1)
                ),
                PortfolioCompany(
                    company="SunFilm",
                    description="Perovskite solar film",
                    sectors=("new_energy",),
                    date=date(2023, 6, 1),
                ),
            ),
        ),
        InvestorProfile(
            id=21,
            name="Growth Capital",
            type="pe",
            thesis="Late-stage energy and health",
            sectors=("new_energy", "medicine_health"),
            stages=("b_plus",),
            ticket_min=50_000_000,
            ticket_max=200_000_000,
            currency="CNY",
        ),
        InvestorProfile(
            id=22,
            name="Open Seed",
            type="seed_fund",
            thesis="Anything early in Chengdu",
            portfolio=(
                PortfolioCompany(
                    company="FarmBot",
                    description="Farm robots",
                    sectors=("modern_agriculture",),
                    date=date(2024, 1, 1),
                ),
            ),
        ),
        InvestorProfile(id=23, name="Sleeping VC", type="vc", stages=("angel",), active=False),
    ]
    equipment = [
        EquipmentProfile(
            id=30,
            name="X射线衍射仪 XRD",
            category="testing",
            model="Bruker D8 Advance",
            description="X-ray diffraction for crystal structure of battery cathode powders",
            facility_name="材料测试中心",
            location="重庆",
            price_per_hour=300,
            voucher_eligible=True,
            free_hours_next_14d=12,
        ),
        EquipmentProfile(
            id=31,
            name="3D printer",
            category="prototyping",
            model="Formlabs Form 3",
            description="Resin 3D printing for prototypes",
            free_hours_next_14d=40,
        ),
        EquipmentProfile(
            id=32,
            name="Scanning electron microscope SEM",
            category="testing",
            description="SEM imaging of battery electrode surfaces",
            free_hours_next_14d=0,
        ),
    ]
    return World([battery, farm, cells, medic], mentors, investors, equipment)


def build(world: World, embedder: object) -> Recommender:
    return Recommender.from_profiles(
        embedder,  # type: ignore[arg-type]
        startups=world.startups,
        mentors=world.mentors,
        investors=world.investors,
        equipment=world.equipment,
    )


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def recommender(world: World, hashing_embedder: HashingEmbedder) -> Recommender:
    return build(world, hashing_embedder)


@pytest.fixture
def build_recommender() -> object:
    """``build(world, embedder)``: test modules cannot import conftest under importlib mode."""
    return build


@pytest.fixture
def counting_embedder(hashing_embedder: HashingEmbedder) -> CountingEmbedder:
    return CountingEmbedder(hashing_embedder)


@pytest.fixture(scope="module")
def build_recommender_module() -> object:
    """Module-scoped builder over a fresh world (for the costly real-model recommender)."""
    return lambda embedder: build(make_world(), embedder)
