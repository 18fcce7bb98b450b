"""NameIndex: which mentors or investors a founder's own words name."""

from __future__ import annotations

from dataclasses import replace

from matchmaker.recommend.embedding import HashingEmbedder
from matchmaker.recommend.mentions import NameIndex, aliases
from matchmaker.recommend.ranking import Recommender, RecommenderConfig
from matchmaker.recommend.texts import InvestorProfile, StartupProfile


def index(**names: str) -> NameIndex:
    idx = NameIndex()
    for key, name in names.items():
        idx.put(int(key[1:]), name)
    return idx


def test_latin_names_match_whole_words_only() -> None:
    idx = index(i1="Cisco", i2="SV Angel", i3="500 Startups")
    assert idx.find("Based in San Francisco, backed by SV  Angel and 500 Startups.") == {2, 3}
    assert idx.find("Our customers include Cisco.") == {1}
    assert idx.find("SV Angels") == set()


def test_first_letter_case_separates_names_from_words() -> None:
    idx = index(i1="Benchmark", i2="betaworks", i3="FLOODGATE")
    assert idx.find("We benchmark GPUs.") == set()
    assert idx.find("Led by Benchmark, with Floodgate and betaworks.") == {1, 2, 3}


def test_parenthetical_parts_are_aliases() -> None:
    assert aliases("Draper Fisher Jurvetson (DFJ)") == {
        "Draper Fisher Jurvetson (DFJ)",
        "Draper Fisher Jurvetson",
        "DFJ",
    }
    idx = index(i7="Draper Fisher Jurvetson (DFJ)", i8="红杉资本（Sequoia China）")
    assert idx.find("Our seed round was led by DFJ.") == {7}
    assert idx.find("Sequoia China joined.") == {8}


def test_cjk_names_match_inside_running_text() -> None:
    idx = index(i1="红杉资本", i2="IDG资本", i3="张")
    assert idx.find("公司于2023年获得红杉资本天使轮投资，IDG 资本跟投。") == {1, 2}
    assert idx.find("张先生创立") == set(), "one character is not a name"


def test_put_replaces_and_remove_forgets() -> None:
    idx = index(i1="Old Name Capital")
    idx.put(1, "New Name Capital")
    assert idx.find("Old Name Capital and New Name Capital") == {1}
    idx.put(1, "Old Name Capital")
    idx.remove(1)
    assert idx.find("Old Name Capital") == set() and len(idx) == 0


def test_a_named_investor_is_an_existing_tie_not_a_recommendation() -> None:
    # 200 funds (more than two legs of one candidate: generation is not "score everyone"); the
    # startup names fund 150, which is neither near in the text indexes (twenty funds describe
    # the startup's business better) nor active. It is found at any pool size, reported as a
    # tie, and never recommended (a founder writing "backed by X" states a relation).
    funds = [
        InvestorProfile(
            id=i,
            name=f"Fund {i:03d} Partners",
            thesis="Warehouse robots: robot fleets for warehouse picking"
            if i <= 20
            else "hardware",
        )
        for i in range(1, 201)
    ]
    startup = StartupProfile(
        id=1000,
        name="Spark",
        description="Warehouse robots: robot fleets for warehouse picking. By Fund 150 Partners",
    )
    rec = Recommender.from_profiles(
        HashingEmbedder(dim=64),
        startups=[startup],
        investors=funds,
        config=RecommenderConfig(candidates_per_leg=1),
    )
    assert rec.named("investor", 1000) == [150]
    assert 150 not in {r.id for r in rec.investors_for_startup(1000, k=200)}
    assert 1000 not in {r.id for r in rec.startups_for_investor(150, k=10)}
    assert all("named" not in r.features for r in rec.investors_for_startup(1000, k=10))
    # Editing the description drops the tie; the index follows the edit without a rebuild.
    rec.upsert("startup", replace(startup, description="Warehouse robots."))
    assert rec.named("investor", 1000) == []
    rec.upsert("investor", replace(funds[0], name="Spark"))
    assert rec.named("investor", 1000) == [], "the startup's own name is not a tie"
