"""Issue 16 (13): each demo startup tells one story. Its funding ask's use of funds fits its
sector and stage (no speech-recognition company raising for clinical trials, no idea-stage
team expanding production capacity), its stated funding need is that ask, and the services it
needs are ones its kind of product can use."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.demo import load_demo_data
from matchmaker.models import FundingAsk, Startup

pytestmark = pytest.mark.db

MEDICAL = {"medicine_health", "biotechnology", "big_health"}
DIGITAL = {"internet", "modern_services"}  # cultural ventures may make physical goods
CLINICAL = re.compile(r"clinical|临床|registration|注册检验", re.I)
PRODUCTION = re.compile(r"pilot line|production batch|中试线|量产|扩大产能|first batch", re.I)
EARLY = {"idea", "prototype"}


def test_each_demo_startup_tells_one_story(db_session: Session) -> None:
    assert load_demo_data(db_session) is not None
    open_asks: dict[int, list[FundingAsk]] = {}
    for ask in db_session.scalars(sa.select(FundingAsk).where(FundingAsk.is_open)):
        open_asks.setdefault(ask.startup_id, []).append(ask)
    assert open_asks
    problems = []
    for s in db_session.scalars(sa.select(Startup)):
        sector = s.sectors[0]
        for ask in open_asks.get(s.id, []):
            text = ask.use_of_funds
            if CLINICAL.search(text) and sector not in MEDICAL:
                problems.append((s.name, sector, "clinical", text))
            if PRODUCTION.search(text) and (sector in DIGITAL or s.stage in EARLY):
                problems.append((s.name, sector, s.stage, "production", text))
            if s.funding_need_note != text:
                problems.append((s.name, "need note differs from the ask"))
        if sector in DIGITAL and {"pilot_production", "testing"} & set(s.services_needed):
            problems.append((s.name, sector, "needs", s.services_needed))
    assert problems == []
