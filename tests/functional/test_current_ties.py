"""A founder who writes "backed by X" or names a mentor states an existing tie (issue 13): the
startup page and the founder's dashboard show X under "Current backers" / "Current mentors", in
the reader's language, and X is not among the recommendations. So are the ties the platform
records: a fund's portfolio entry that links the startup, a mentor's past mentee."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import MentorMentee, PortfolioEntry, User
from matchmaker.services.recommendations import engines
from tests.factories import make_investor, make_mentor, make_startup, make_user


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    yield make_app(EMBEDDING_MODEL="hashing")
    engines.forget_engines()


@pytest.fixture
def world(db_session: Session) -> dict[str, int]:
    founder = make_user(db_session, "founder", locale="en", email="founder@example.com")
    backer = make_investor(db_session, name="Harbor Lane Ventures", stages=["seed", "angel"])
    other_fund = make_investor(db_session, name="Seed Battery Fund", stages=["seed", "angel"])
    mentor = make_mentor(db_session, make_user(db_session, "mentor", display_name="Lin Qiao"))
    other_mentor = make_mentor(db_session)
    startup = make_startup(
        db_session,
        founder,
        name="Cathode Labs",
        description=(
            "We develop high-nickel cathode materials and need XRD testing. Backed by Harbor"
            " Lane Ventures; Lin Qiao mentors our scale-up."
        ),
    )
    make_startup(db_session, name="Anode Works", description="Silicon anodes for EV cells.")
    return {
        "founder": founder.id,
        "startup": startup.id,
        "backer": backer.id,
        "other_fund": other_fund.id,
        "mentor": mentor.id,
        "other_mentor": other_mentor.id,
    }


def _panel(html: str, testid: str) -> str:
    """The panel's HTML: from its marker to the next panel's (each is a ``col-lg-6``)."""
    assert f'data-testid="{testid}"' in html, testid
    return html.split(f'data-testid="{testid}"', 1)[1].split('<div class="col-lg-6"', 1)[0]


def _ids(html: str, kind: str) -> list[str]:
    return re.findall(rf'data-kind="{kind}" data-id="(\d+)"', html)


def test_named_backers_and_mentors_are_shown_as_current_ties_not_recommended(
    client: FlaskClient, auth, world: dict[str, int], db_session: Session
) -> None:
    auth.login("founder@example.com")
    html = client.get(f"/startups/{world['startup']}").get_data(as_text=True)
    ties = _panel(html, "current-ties")
    assert "Current backers and mentors" in ties
    assert _ids(ties, "investor") == [str(world["backer"])]
    assert _ids(ties, "mentor") == [str(world["mentor"])]
    assert "Named in your profile: Harbor Lane Ventures" in ties
    recommended = _panel(html, "reco-for-startup")
    assert str(world["backer"]) not in _ids(recommended, "investor")
    assert str(world["mentor"]) not in _ids(recommended, "mentor")
    assert str(world["other_mentor"]) in _ids(recommended, "mentor")

    # The founder's dashboard shows them too; in Chinese, with the headings translated.
    founder = db_session.get(User, world["founder"])
    assert founder is not None
    founder.locale = "zh_CN"
    db_session.commit()
    dashboard = client.get("/").get_data(as_text=True)
    ties = _panel(dashboard, "current-ties")
    assert "现有投资方" in ties and "现有导师" in ties
    assert _ids(ties, "investor") == [str(world["backer"])]


def test_a_description_naming_nobody_adds_no_panel(
    client: FlaskClient, auth, world: dict[str, int], db_session: Session
) -> None:
    other = make_startup(
        db_session,
        db_session.get(User, world["founder"]),
        name="Quiet Labs",
        description="Sodium-ion cells for e-bikes.",
    )
    auth.login("founder@example.com")
    html = client.get(f"/startups/{other.id}").get_data(as_text=True)
    assert 'data-testid="reco-for-startup"' in html
    assert 'data-testid="current-ties"' not in html
    # Visitors who are not members see no current-ties panel (it speaks to the founders).
    auth.logout()
    visitor = client.get(f"/startups/{world['startup']}").get_data(as_text=True)
    assert 'data-testid="current-ties"' not in visitor


def test_recorded_backers_and_mentors_are_current_ties_too(
    client: FlaskClient, auth, world: dict[str, int], db_session: Session
) -> None:
    """The engine leaves a fund that recorded an investment in the startup, and a mentor who
    mentored it, out of the recommendations; the founders see them here, recorded ones first,
    and a tie both recorded and named says both."""
    founder = db_session.get(User, world["founder"])
    quiet = make_startup(db_session, founder, name="Quiet Labs", description="Sodium-ion cells.")
    db_session.add_all(
        [
            PortfolioEntry(investor_id=world["other_fund"], company="Quiet Labs",
                           startup_id=quiet.id, round="seed", year=2024),
            PortfolioEntry(investor_id=world["backer"], company="Cathode Labs",
                           startup_id=world["startup"], round="seed", year=2024),
            MentorMentee(mentor_id=world["other_mentor"], startup_id=quiet.id),
        ]
    )  # fmt: skip
    db_session.commit()
    engines.forget_engines()  # the engine reads the new relations on its next load
    auth.login("founder@example.com")

    html = client.get(f"/startups/{quiet.id}").get_data(as_text=True)
    ties = _panel(html, "current-ties")
    assert _ids(ties, "investor") == [str(world["other_fund"])]
    assert _ids(ties, "mentor") == [str(world["other_mentor"])]
    assert "Invested in your startup" in ties and "Mentored your startup" in ties
    assert "Named in your profile" not in ties
    recommended = _panel(html, "reco-for-startup")
    assert str(world["other_fund"]) not in _ids(recommended, "investor")
    assert str(world["other_mentor"]) not in _ids(recommended, "mentor")
    assert str(world["mentor"]) in _ids(recommended, "mentor")

    # Recorded and named: one entry with both reasons.
    html = client.get(f"/startups/{world['startup']}").get_data(as_text=True)
    ties = _panel(html, "current-ties")
    assert _ids(ties, "investor") == [str(world["backer"])]
    assert "Invested in your startup" in ties
    assert "Named in your profile: Harbor Lane Ventures" in ties

    assert founder is not None
    founder.locale = "zh_CN"
    db_session.commit()
    html = client.get(f"/startups/{quiet.id}").get_data(as_text=True)
    ties = _panel(html, "current-ties")
    assert "已投资您的项目" in ties and "曾辅导您的项目" in ties
