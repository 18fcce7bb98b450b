"""Public directories: search (English and Chinese), filters, pagination, detail pages,
no private contact data, inactive profiles hidden, sections from other areas."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.web import navigation
from matchmaker.web.panels import DashboardPanel
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)


def _text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# --- startups -----------------------------------------------------------------------------


def test_startups_directory_search_and_filters(client: FlaskClient, db_session: Session) -> None:
    make_startup(db_session, name="Cathode Labs", sectors=["new_energy"], stage="prototype")
    make_startup(
        db_session,
        name="稻香农业",
        one_liner="智慧农业无人机",
        description="用于水稻种植的植保无人机",
        sectors=["modern_agriculture"],
        stage="market",
        location="成都",
    )
    make_startup(db_session, name="Hidden Co", is_active=False)
    page = _text(client, "/startups")
    assert "Cathode Labs" in page and "稻香农业" in page and "Hidden Co" not in page
    # Case-insensitive keyword, Chinese keyword (in name or description), filters.
    assert "Cathode Labs" in _text(client, "/startups?q=cathode")
    page = _text(client, "/startups?q=无人机")
    assert "稻香农业" in page and "Cathode Labs" not in page
    page = _text(client, "/startups?q=水稻")
    assert "稻香农业" in page
    page = _text(client, "/startups?sector=new_energy")
    assert "Cathode Labs" in page and "稻香农业" not in page
    page = _text(client, "/startups?stage=market")
    assert "稻香农业" in page and "Cathode Labs" not in page
    page = _text(client, "/startups?location=成都")
    assert "稻香农业" in page and "Cathode Labs" not in page
    page = _text(client, "/startups?q=nothing-matches-this")
    assert 'data-testid="empty"' in page
    # Unknown filter values are ignored rather than failing.
    assert "Cathode Labs" in _text(client, "/startups?sector=bogus&stage=bogus&page=abc")


def test_keyword_wildcards_are_literal(client: FlaskClient, db_session: Session) -> None:
    make_startup(db_session, name="Alpha")
    make_startup(db_session, name="100% Beta")
    page = _text(client, "/startups?q=%25")  # "%"
    assert "100% Beta" in page and "Alpha" not in page
    assert "Alpha" not in _text(client, "/startups?q=_")


def test_pagination(make_app: Any, db_session: Session) -> None:
    app = make_app(PAGE_SIZE=2)
    client = app.test_client()
    for n in range(5):
        make_startup(db_session, name=f"Startup {n:02d}")
    first = _text(client, "/startups")
    assert "Startup 00" in first and "Startup 01" in first and "Startup 02" not in first
    assert "1 / 3" in first
    third = _text(client, "/startups?page=3")
    assert "Startup 04" in third and "Startup 00" not in third
    # Past the end shows the last page; the pager keeps the filters.
    assert "Startup 04" in _text(client, "/startups?page=99")
    page = _text(client, "/startups?q=startup&page=2")
    assert "q=startup" in page and "page=3" in page


def test_startup_detail(client: FlaskClient, db_session: Session) -> None:
    owner = make_user(
        db_session,
        "founder",
        email="secret-founder@example.com",
        display_name="Founder Wang",
        phone="+86 138 0000 0000",
        wechat_id="wang_wechat",
    )
    startup = make_startup(db_session, owner, name="Cathode Labs", services_needed=["testing"])
    page = _text(client, f"/startups/{startup.id}")
    assert "Cathode Labs" in page and "Founder Wang" in page
    for private in ("secret-founder@example.com", "138 0000", "wang_wechat"):
        assert private not in page
    assert client.get("/startups/9999").status_code == 404


def test_inactive_detail_is_404_but_visible_to_operator_and_owner(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    owner = make_user(db_session, "founder", email="owner@example.com")
    startup = make_startup(db_session, owner, name="Paused Co", is_active=False)
    assert client.get(f"/startups/{startup.id}").status_code == 404
    assert "Paused Co" not in _text(client, "/startups")
    auth.login("owner@example.com")
    assert client.get(f"/startups/{startup.id}").status_code == 200
    auth.logout()
    db_session.rollback()  # end the read snapshot before writing (SQLite WAL)
    make_user(db_session, "operator", email="op@example.com")
    auth.login("op@example.com")
    page = _text(client, "/startups")
    assert "Paused Co" in page and 'data-testid="inactive"' in page
    assert 'data-testid="moderation"' in _text(client, f"/startups/{startup.id}")


# --- mentors, investors, facilities, equipment ---------------------------------------------


def test_mentors_directory(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session, "mentor", display_name="张教授", email="zhang@example.com")
    mentor = make_mentor(
        db_session, user, kind="technical_expert", headline="锂电池材料专家", sectors=["new_energy"]
    )
    lawyer = make_user(db_session, "mentor", display_name="Lawyer Li")
    make_mentor(db_session, lawyer, kind="lawyer", headline="IP counsel", sectors=["internet"])
    suspended = make_user(db_session, "mentor", display_name="Gone Guo", is_active=False)
    make_mentor(db_session, suspended, headline="Suspended mentor")
    page = _text(client, "/mentors")
    assert "张教授" in page and "Lawyer Li" in page and "Gone Guo" not in page
    page = _text(client, "/mentors?q=锂电池")
    assert "张教授" in page and "Lawyer Li" not in page
    assert "张教授" in _text(client, "/mentors?q=张")  # by name
    page = _text(client, "/mentors?kind=lawyer")
    assert "Lawyer Li" in page and "张教授" not in page
    page = _text(client, "/mentors?sector=new_energy")
    assert "张教授" in page and "Lawyer Li" not in page
    detail = _text(client, f"/mentors/{mentor.id}")
    assert "锂电池材料专家" in detail and "zhang@example.com" not in detail


def test_investors_directory(client: FlaskClient, db_session: Session) -> None:
    guidance = make_investor(
        db_session,
        name="重庆市引导基金",
        type="government_guidance_fund",
        stages=["seed"],
        sectors=["new_energy"],
        regions=["重庆", "西南"],
        co_investment_requirements="须与社会资本1:1跟投",
    )
    make_investor(db_session, name="Bank of Hills", type="bank", stages=["a"], regions=["Beijing"])
    make_investor(db_session, name="Closed Fund", is_active=False)
    page = _text(client, "/investors")
    assert "重庆市引导基金" in page and "Bank of Hills" in page and "Closed Fund" not in page
    page = _text(client, "/investors?type=bank")
    assert "Bank of Hills" in page and "重庆市引导基金" not in page
    page = _text(client, "/investors?stage=seed")
    assert "重庆市引导基金" in page and "Bank of Hills" not in page
    page = _text(client, "/investors?location=西南")
    assert "重庆市引导基金" in page and "Bank of Hills" not in page
    page = _text(client, "/investors?q=引导")
    assert "重庆市引导基金" in page and "Bank of Hills" not in page
    detail = _text(client, f"/investors/{guidance.id}")
    assert "须与社会资本1:1跟投" in detail and "Volt Cells" in detail


def test_facilities_and_equipment_directory(client: FlaskClient, db_session: Session) -> None:
    lab = make_facility(
        db_session,
        name="西南材料测试中心",
        location="重庆",
        contact_email="lab-private@example.com",
    )
    other = make_facility(db_session, name="Design Studio", kind="makerspace_lab", location="成都")
    xrd = make_equipment(db_session, lab, name="X射线衍射仪", price_per_hour=Decimal("300"))
    make_equipment(
        db_session,
        other,
        name="3D Printer",
        category="prototyping",
        price_per_hour=Decimal("80"),
        voucher_eligible=False,
    )
    make_equipment(db_session, lab, name="Broken SEM", is_active=False)
    closed = make_facility(db_session, name="Closed Lab", is_active=False)
    make_equipment(db_session, closed, name="Orphan Laser")

    page = _text(client, "/facilities")
    assert "西南材料测试中心" in page and "Design Studio" in page and "Closed Lab" not in page
    assert "Design Studio" not in _text(client, "/facilities?kind=university_lab")
    detail = _text(client, f"/facilities/{lab.id}")
    assert "X射线衍射仪" in detail and "Broken SEM" not in detail
    assert "lab-private@example.com" not in detail  # shown to signed-in members only

    page = _text(client, "/equipment")
    assert "X射线衍射仪" in page and "3D Printer" in page
    assert "Broken SEM" not in page and "Orphan Laser" not in page
    assert "3D Printer" not in _text(client, "/equipment?q=衍射")
    assert "X射线衍射仪" not in _text(client, "/equipment?category=prototyping")
    page = _text(client, "/equipment?voucher=1")
    assert "X射线衍射仪" in page and "3D Printer" not in page
    page = _text(client, "/equipment?max_price=100")
    assert "3D Printer" in page and "X射线衍射仪" not in page
    page = _text(client, f"/equipment?facility={other.id}")
    assert "3D Printer" in page and "X射线衍射仪" not in page
    page = _text(client, "/equipment?location=重庆")
    assert "X射线衍射仪" in page and "3D Printer" not in page
    assert "X射线衍射仪" in _text(client, "/equipment?q=材料测试")  # by facility name
    assert "3D Printer" in _text(client, "/equipment?max_price=abc")  # ignored
    assert "X射线衍射仪" in _text(client, f"/equipment/{xrd.id}")
    assert client.get("/equipment/9999").status_code == 404


def test_inactive_entities_are_404(client: FlaskClient, db_session: Session) -> None:
    mentor = make_mentor(db_session, is_active=False)
    investor = make_investor(db_session, is_active=False)
    facility = make_facility(db_session, is_active=False)
    equipment = make_equipment(db_session, facility)
    for url in (
        f"/mentors/{mentor.id}",
        f"/investors/{investor.id}",
        f"/facilities/{facility.id}",
        f"/equipment/{equipment.id}",
    ):
        assert client.get(url).status_code == 404, url


def test_directories_in_english_and_chinese(client: FlaskClient, db_session: Session) -> None:
    make_startup(db_session, name="Cathode Labs", sectors=["new_energy"])
    assert "新能源" in _text(client, "/startups")
    client.post("/auth/language", data={"locale": "en"})
    page = _text(client, "/startups")
    assert "New energy" in page and "新能源" not in page


# --- extension point and query count ------------------------------------------------------


@pytest.fixture
def section_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, Any]]]:
    calls: list[tuple[Any, Any]] = []

    def provider(entity: Any, user: Any) -> list[DashboardPanel]:
        calls.append((entity, user))
        return [DashboardPanel("directory/_test_section.html", {"id": entity.id})]

    # One more section on every detail page, after the areas' own (navigation.SECTIONS).
    sections = {page: (*providers, provider) for page, providers in navigation.SECTIONS.items()}
    assert set(sections) == {"startup", "mentor", "investor", "facility", "equipment"}
    monkeypatch.setattr(navigation, "SECTIONS", sections)
    yield calls


def test_detail_pages_render_registered_sections(
    app: Flask, client: FlaskClient, db_session: Session, section_provider: Any
) -> None:
    from jinja2 import ChoiceLoader, DictLoader

    section = '<div class="col-lg-6">SECTION-{{ ctx.id }}</div>'
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [DictLoader({"directory/_test_section.html": section}), app.jinja_loader]
    )
    facility = make_facility(db_session)
    urls = {
        "startup": f"/startups/{make_startup(db_session).id}",
        "mentor": f"/mentors/{make_mentor(db_session).id}",
        "investor": f"/investors/{make_investor(db_session).id}",
        "facility": f"/facilities/{facility.id}",
        "equipment": f"/equipment/{make_equipment(db_session, facility).id}",
    }
    for url in urls.values():
        page = _text(client, url)
        assert 'data-testid="sections"' in page and "SECTION-" in page, url
    assert len(section_provider) == 5


def _count_queries(app: Flask, client: FlaskClient, url: str) -> int:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def before(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


@pytest.mark.parametrize("path", ["/mentors", "/equipment", "/facilities", "/startups"])
def test_no_query_per_row(app: Flask, client: FlaskClient, db_session: Session, path: str) -> None:
    def populate(n: int) -> None:
        for _ in range(n):
            facility = make_facility(db_session)
            make_equipment(db_session, facility)
            make_mentor(db_session)
            make_startup(db_session)

    populate(2)
    few = _count_queries(app, client, path)
    populate(6)
    many = _count_queries(app, client, path)
    assert many == few, (few, many)


def test_directory_counts_are_correct(db_session: Session) -> None:
    from matchmaker.services.accounts import directory

    for n in range(3):
        make_startup(db_session, name=f"S{n}")
    page = directory.search_startups(db_session, directory.Filters(), page=1, page_size=2)
    assert page.total == 3 and page.pages == 2 and page.has_next and not page.has_prev
    assert [s.name for s in page.items] == ["S0", "S1"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(sa.text("startups"))) == 3


def test_a_long_list_is_counted_up_to_the_cap(
    make_app: Any, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past COUNT_CAP the count stops ("more than N"), the pages cover the first N results
    and the last reachable page is still served; a filter that narrows the list is counted
    exactly again."""
    from matchmaker.services.accounts import directory

    monkeypatch.setattr(directory, "COUNT_CAP", 4)
    for n in range(6):
        make_startup(db_session, name=f"Startup {n:02d}", stage="prototype" if n < 2 else "idea")
    page = directory.search_startups(db_session, directory.Filters(), page=9, page_size=2)
    assert (page.total, page.more, page.pages, page.number) == (4, True, 2, 2)
    assert [s.name for s in page.items] == ["Startup 02", "Startup 03"]
    exact = directory.search_startups(db_session, directory.Filters(stage="prototype"))
    assert (exact.total, exact.more) == (2, False)

    client = make_app(PAGE_SIZE=2).test_client()
    listed = _text(client, "/startups")
    assert "找到超过 4 条" in listed and "1 / 2+" in listed
    client.post("/auth/language", data={"locale": "en"})
    assert "More than 4 found" in _text(client, "/startups")
    assert "2 found" in _text(client, "/startups?stage=prototype")
