"""A founder's recommendation groups are remembered per process (issue 12: the dashboard and the
startup page asked the engine and read the same rows on every load) for the same engine state
and language while the startup's own rows (one statement) and this process's writes stay the
same: the founder's own edit is on their next page in every worker, an edit made through this
worker at once, another worker's edit of a mentor or a fund within KEEP_SECONDS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import Startup, utcnow
from matchmaker.recommend.embedding import HASHING_MODEL
from matchmaker.services.recommendations import (
    bridge,
    engine_settings,
    engines,
    freshness,
    served_engine,
)
from matchmaker.web.recommendations import views
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)


@pytest.fixture
def served(make_app: Any, db_session: Session, tmp_path: Path) -> Iterator[dict[str, Any]]:
    founder = make_user(db_session, "founder", locale="en", email="founder@example.com")
    startup = make_startup(db_session, founder, name="Cathode Labs")
    mentors = [
        make_mentor(db_session, capacity_per_month=1, headline=f"Battery scientist {i}")
        for i in range(3)
    ]
    make_investor(db_session, name="Seed Battery Fund")
    make_equipment(db_session, make_facility(db_session, name="Materials Lab"))
    app = make_app(
        EMBEDDING_MODEL=HASHING_MODEL,
        INDEX_DIR=str(tmp_path / "idx"),
        MODEL_DIR=str(tmp_path / "m"),
    )
    with app.app_context():
        settings = engine_settings.EngineSettings.from_app(app)
        assert engines.build_indexes(db.session, settings, show_progress=False).version
    client = app.test_client()
    reply = client.post(
        "/auth/login", data={"email": "founder@example.com", "password": "password123"}
    )
    assert reply.status_code == 302
    yield {"client": client, "startup": startup, "mentors": mentors}
    engines.forget_engines()


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each time the groups were computed (not a remembered answer): whether with equipment.
    The clock stands still, so only what the test changes ends a remembered answer."""
    now = served_engine.clock()
    monkeypatch.setattr(served_engine, "clock", lambda: now)
    runs: list[bool] = []
    compute = views._startup_groups

    def spy(startup: Any, size: int, *, equipment: bool) -> Any:
        runs.append(equipment)
        return compute(startup, size, equipment=equipment)

    monkeypatch.setattr(views, "_startup_groups", spy)
    return runs


def _dashboard(client: FlaskClient) -> str:
    return _page(client, "/")


def _page(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    # The CSRF token carries a timestamp in seconds: two renders a second apart differ there
    # and nowhere else, so it is masked before pages are compared.
    html = page.get_data(as_text=True)
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def test_the_dashboard_groups_are_remembered_until_a_shown_row_changes(
    served: dict[str, Any], db_session: Session, computed: list[bool]
) -> None:
    client = served["client"]
    first = _dashboard(client)
    assert "Battery scientist" in first and "Seed Battery Fund" in first
    assert _dashboard(client) == first and computed == [True]

    for mentor in served["mentors"]:
        mentor.headline = mentor.headline.replace("Battery scientist", "Cathode chemist")
    db_session.commit()
    edited = _dashboard(client)
    assert "Cathode chemist" in edited and "Battery scientist" not in edited
    assert computed == [True, True]

    startup = db_session.get(Startup, served["startup"].id)
    assert startup is not None  # the founder's own edit (the need) is read at once too
    startup.description = "Sodium-ion anodes."
    db_session.commit()
    _dashboard(client)
    assert computed == [True, True, True]


def test_another_workers_edits_are_read_within_keep_seconds_the_founders_at_once(
    served: dict[str, Any],
    db_session: Session,
    computed: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = served["client"]
    _dashboard(client)
    # Writes this process's ORM did not make (another worker's).
    connection = db_session.connection()
    connection.execute(sa.text("UPDATE mentor_profiles SET headline = 'Cathode chemist'"))
    db_session.commit()
    assert "Cathode chemist" not in _dashboard(client) and computed == [True]
    connection = db_session.connection()
    connection.execute(
        sa.text("UPDATE startups SET description = 'Sodium-ion anodes.', updated_at = :now"),
        {"now": utcnow()},
    )
    db_session.commit()
    assert "Cathode chemist" in _dashboard(client) and computed == [True, True]
    connection = db_session.connection()
    connection.execute(sa.text("UPDATE mentor_profiles SET headline = 'Anode chemist'"))
    db_session.commit()
    assert "Anode chemist" not in _dashboard(client)
    later = served_engine.clock() + freshness.KEEP_SECONDS
    monkeypatch.setattr(served_engine, "clock", lambda: later)
    assert "Anode chemist" in _dashboard(client) and computed == [True, True, True]


def test_the_language_is_part_of_the_answer(served: dict[str, Any], computed: list[bool]) -> None:
    client = served["client"]
    _dashboard(client)
    client.post("/auth/language", data={"locale": "zh_CN"})
    _dashboard(client)
    assert computed == [True, True]


def test_a_failed_group_is_never_remembered(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch, computed: list[bool]
) -> None:
    client = served["client"]
    working = views.reco.recommend_mentors

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine down")

    monkeypatch.setattr(views.reco, "recommend_mentors", broken)
    assert "Recommendations are unavailable right now." in _dashboard(client)
    monkeypatch.setattr(views.reco, "recommend_mentors", working)
    page = _dashboard(client)
    assert "Recommendations are unavailable right now." not in page
    assert "Battery scientist" in page


def test_the_startup_page_remembers_its_own_groups(
    served: dict[str, Any], computed: list[bool]
) -> None:
    client = served["client"]
    path = f"/startups/{served['startup'].id}"
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    _dashboard(client)
    assert computed == [False, True]  # the page without equipment, the dashboard with


@pytest.fixture
def pathway_computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each time the pathway asked the engine for its picks (not a remembered answer)."""
    now = served_engine.clock()
    monkeypatch.setattr(served_engine, "clock", lambda: now)
    runs: list[int] = []
    ask = bridge.mentors_for_topics

    def spy(session: Session, startup_id: int, *args: Any, **kwargs: Any) -> Any:
        runs.append(startup_id)
        return ask(session, startup_id, *args, **kwargs)

    monkeypatch.setattr(bridge, "mentors_for_topics", spy)
    return runs


def _pathway(client: FlaskClient, startup_id: int) -> str:
    return _page(client, f"/pathway/{startup_id}")


def test_the_pathway_remembers_its_picks_until_the_startup_changes(
    served: dict[str, Any], db_session: Session, pathway_computed: list[int]
) -> None:
    client, startup_id = served["client"], served["startup"].id
    first = _pathway(client, startup_id)
    assert 'data-testid="suggestion-mentor"' in first and "· Materials Lab" in first
    assert _pathway(client, startup_id) == first and pathway_computed == [startup_id]

    # The founder's edit through another worker (a write this process's ORM did not make):
    # the startup's own rows are read on every load, so it is on the next page.
    connection = db_session.connection()
    connection.execute(
        sa.text("UPDATE startups SET description = 'Sodium-ion anodes.', updated_at = :now"),
        {"now": utcnow()},
    )
    db_session.commit()
    _pathway(client, startup_id)
    assert pathway_computed == [startup_id, startup_id]


def test_the_pathway_never_remembers_an_engine_failure(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch, pathway_computed: list[int]
) -> None:
    client, startup_id = served["client"], served["startup"].id
    working = bridge.mentors_for_topics

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine down")

    monkeypatch.setattr(bridge, "mentors_for_topics", broken)
    assert "The recommendation engine is not available right now" in _pathway(client, startup_id)
    monkeypatch.setattr(bridge, "mentors_for_topics", working)
    page = _pathway(client, startup_id)
    assert "The recommendation engine is not available right now" not in page
    assert 'data-testid="suggestion-mentor"' in page and pathway_computed == [startup_id]
