"""Eligibility rules at their boundaries: each rule alone, on both sides of its limit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from matchmaker.models import Startup
from matchmaker.models.operator import Policy
from matchmaker.services.operator.policy_center.policy_rules import add_years, check_policy

TODAY = date(2026, 6, 15)


def _startup(**fields: object) -> Startup:
    values: dict[str, object] = {
        "id": 1,
        "name": "Lanli Materials",
        "sectors": ["new_materials"],
        "stage": "prototype",
        "founded_on": date(2024, 6, 15),
        "team_size": 20,
        "location": "重庆两江新区",
        "founder_backgrounds": [],
        "services_needed": [],
    }
    values.update(fields)
    return Startup(**values)


def _policy(**rules: object) -> Policy:
    values: dict[str, object] = {
        "id": 1,
        "title_en": "P",
        "title_zh": "P",
        "sectors": [],
        "stages": [],
        "founder_backgrounds": [],
        "locations": [],
        "requires_makerspace": False,
        "chain_services": [],
    }
    values.update(rules)
    return Policy(**values)


def _check(policy: Policy, startup: Startup, resident: bool = True) -> tuple[bool, list[str]]:
    result = check_policy(policy, startup, resident=resident, today=TODAY, locale="en")
    return result.eligible, [c.rule for c in result.missing]


def test_no_rules_means_everyone_is_eligible() -> None:
    assert _check(_policy(), _startup()) == (True, [])


@pytest.mark.parametrize(
    ("founded", "eligible"),
    [
        (date(2023, 6, 16), True),  # three years old tomorrow
        (date(2023, 6, 15), True),  # exactly three years old today: "不超过3年" still holds
        (date(2023, 6, 14), False),  # three years and a day
        (date(2026, 6, 15), True),
    ],
)
def test_company_age_boundary(founded: date, eligible: bool) -> None:
    ok, missing = _check(_policy(max_company_age_years=3), _startup(founded_on=founded))
    assert ok is eligible
    assert missing == ([] if eligible else ["company_age"])


def test_unknown_founding_date_is_missing_information() -> None:
    ok, missing = _check(_policy(max_company_age_years=3), _startup(founded_on=None))
    assert not ok and missing == ["company_age"]


def test_leap_day_anniversary() -> None:
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)


@pytest.mark.parametrize(("size", "eligible"), [(19, True), (20, True), (21, False)])
def test_team_size_boundary(size: int, eligible: bool) -> None:
    assert _check(_policy(max_team_size=20), _startup(team_size=size))[0] is eligible


@pytest.mark.parametrize(
    ("deadline", "eligible"),
    [(date(2026, 6, 16), True), (date(2026, 6, 15), True), (date(2026, 6, 14), False)],
)
def test_deadline_is_inclusive(deadline: date, eligible: bool) -> None:
    assert _check(_policy(deadline=deadline), _startup())[0] is eligible


def test_sector_stage_background_location_and_makerspace() -> None:
    s = _startup()
    assert _check(_policy(sectors=["new_materials", "new_energy"]), s)[0]
    assert _check(_policy(sectors=["biotechnology"]), s) == (False, ["sectors"])
    assert _check(_policy(stages=["prototype"]), s)[0]
    assert _check(_policy(stages=["market"]), s) == (False, ["stages"])
    assert _check(_policy(founder_backgrounds=["returnee"]), s) == (False, ["founder_backgrounds"])
    s.founder_backgrounds = ["returnee"]
    assert _check(_policy(founder_backgrounds=["returnee", "foreign_talent"]), s)[0]
    assert _check(_policy(locations=["重庆", "Chongqing"]), s)[0]
    assert _check(_policy(locations=["chongqing"]), _startup(location="Yubei, Chongqing"))[0]
    assert _check(_policy(locations=["成都"]), s) == (False, ["locations"])
    assert _check(_policy(requires_makerspace=True), s, resident=True)[0]
    assert _check(_policy(requires_makerspace=True), s, resident=False) == (False, ["makerspace"])


def test_every_missing_rule_is_reported_with_a_reason() -> None:
    policy = _policy(
        max_team_size=5, requires_makerspace=True, locations=["成都"], benefit_amount=Decimal(1)
    )
    result = check_policy(policy, _startup(), resident=False, today=TODAY, locale="en")
    assert [c.rule for c in result.missing] == ["locations", "team_size", "makerspace"]
    assert all(str(c.message) for c in result.checks)
