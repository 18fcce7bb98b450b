"""Mentors by expertise across languages on the startup page (issue 13, item 3): an English
founder who writes "patent" and "trademark" sees the Chinese patent attorney among the page's
mentors, with the matched words as the reason ("Similar in meaning: patent / 专利"), ahead of
generalists on the topics the founder states (without the match it is not in the top 3); the
mentors' texts are the demo's (``demo/mentor_text.py``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import User
from matchmaker.services.recommendations import engine_settings, engines
from tests.factories import make_mentor, make_startup, make_user

# Demo mentors (entrepreneur, investor, trainer, consultant phrase banks) and the demo's
# patent attorney, all written in Chinese.
GENERALISTS = [
    (
        "entrepreneur",
        "新材料领域连续创业者",
        "擅长从0到1搭建团队和供应链，帮助硬件团队少走量产弯路。",
    ),
    (
        "investor",
        "专注现代服务业早期投资的投资总监",
        "可以帮助梳理商业计划书和融资节奏，模拟投委会提问。",
    ),
    ("trainer", "国家级创业培训讲师", "辅导“互联网+”、创青春等创业大赛的路演和答辩。"),
    ("consultant", "管理咨询顾问", "专注中小企业财务和运营，擅长财务模型、预算和成本控制。"),
]
ATTORNEY = (
    "lawyer",
    "专利代理师、执业律师",
    "擅长专利挖掘与布局、商标和著作权保护，处理过多起专利侵权纠纷。",
)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    yield make_app(EMBEDDING_MODEL="use-multilingual-v3")
    engines.forget_engines()


@pytest.fixture
def world(app: Flask, db_session: Session) -> dict[str, int]:
    founder = make_user(db_session, "founder", locale="en", email="founder@example.com")
    startup = make_startup(
        db_session,
        founder,
        name="Quillon Diagnostics",
        one_liner="Point-of-care sepsis test from one drop of blood",
        description=(
            "We have filed three patent applications and look for a lawyer to register our"
            " trademark before the first hospital pilot."
        ),
        sectors=["medicine_health"],
        languages=["en"],
        mentoring_topics=["fundraising", "legal_ip"],
    )
    for n, (kind, headline, expertise) in enumerate(GENERALISTS):
        make_mentor(
            db_session,
            kind=kind,
            headline=headline,
            expertise=expertise,
            sectors=["medicine_health"],
            mentoring_topics=["fundraising", "legal_ip"],
            capacity_per_month=8 - n,
        )
    attorney = make_mentor(
        db_session,
        kind=ATTORNEY[0],
        headline=ATTORNEY[1],
        expertise=ATTORNEY[2],
        sectors=["biotech"],
        mentoring_topics=["legal_ip"],
    )
    with app.app_context():
        from matchmaker.extensions import db

        engines.build_indexes(
            db.session, engine_settings.EngineSettings.from_app(app), show_progress=False
        )
    return {"startup": startup.id, "attorney": attorney.id, "founder": founder.id}


def _mentor_section(html: str) -> str:
    section = html.split('data-testid="reco-mentors"', 1)[1]
    return section.split('data-testid="reco-investors"', 1)[0]


def test_the_startup_page_shows_the_attorney_who_names_the_need_in_chinese(
    client: FlaskClient, auth, world: dict[str, int], db_session: Session
) -> None:
    auth.login("founder@example.com")
    html = client.get(f"/startups/{world['startup']}").get_data(as_text=True)
    mentors = _mentor_section(html)
    assert str(world["attorney"]) in re.findall(r'data-kind="mentor" data-id="(\d+)"', mentors)
    assert "Similar in meaning: patent / 专利" in mentors
    # In Chinese, the same words with the sentence translated.
    founder = db_session.get(User, world["founder"])
    assert founder is not None
    founder.locale = "zh_CN"
    db_session.commit()
    zh = client.get(f"/startups/{world['startup']}").get_data(as_text=True)
    assert "含义相近：patent / 专利" in _mentor_section(zh)
