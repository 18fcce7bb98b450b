"""The navigation map's data without a browser: districts found in free text, the filters
(a bad one is a translated 422), the JSON the map draws, and the counts per district."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import Equipment
from matchmaker.services.facilities.resource_map import DISTRICTS, district_of
from tests.factories import make_facility, make_investor, make_mentor, make_user


def test_district_of_reads_chinese_english_and_aliases() -> None:
    assert district_of("重庆市沙坪坝区大学城南路55号") == "沙坪坝区"
    assert district_of("重庆两江新区") == "渝北区"
    assert district_of("Floor 3, Xiantao Data Valley, Yubei District, Chongqing") == "渝北区"
    assert district_of("重庆长寿经开区化北路9号") == "长寿区"
    assert district_of("石柱县城") == "石柱土家族自治县"
    assert district_of("成都高新区", "Chongqing") == ""
    assert len(DISTRICTS) == 38


def test_map_data_filters_and_bad_filters(client: FlaskClient, db_session: Session) -> None:
    space = make_facility(db_session, name="Maker Hub", kind="makerspace_lab", district="渝北区")
    lab = make_facility(db_session, name="Test Lab", district="", address="重庆市北碚区天生路2号")
    db_session.add_all([
        Equipment(facility=space, name="Laser cutter", category="prototyping"),
        Equipment(facility=lab, name="SEM", category="testing"),
    ])  # fmt: skip
    db_session.commit()
    make_mentor(db_session, make_user(db_session, "mentor"), location="Chengdu",
                sectors=["biotech"], mentoring_topics=["legal_ip"])  # fmt: skip
    make_investor(db_session, name="Yubei Angels", location="重庆渝北区", sectors=["new_energy"])

    data = client.get("/map/data.json").get_json()
    assert sorted((i["kind"], i["district"]) for i in data["items"]) == [
        ("facility", "北碚区"),
        ("fund", "渝北区"),
        ("makerspace", "渝北区"),
        ("mentor", ""),
    ]
    assert data["counts"] == {"渝北区": 2, "北碚区": 1} and data["unplaced"] == 1
    # Every item links to its own page in the directory.
    for item in data["items"]:
        page = {"fund": "investors", "mentor": "mentors"}.get(item["kind"], "facilities")
        assert item["url"] == f"/{page}/{item['id']}"
        assert client.get(item["url"]).status_code == 200

    def kinds(query: str) -> list[str]:
        items = client.get(f"/map/data.json?{query}").get_json()["items"]
        return sorted(i["kind"] for i in items)

    assert kinds("category=makerspace") == ["makerspace"]
    assert kinds("chain=testing") == ["facility"]
    assert kinds("chain=ip_patents") == ["mentor"]
    assert kinds("sector=new_energy") == ["fund"]
    assert kinds("district=北碚区") == ["facility"]

    response = client.get("/map/data.json?sector=rockets")
    assert response.status_code == 422
    client.post("/auth/language", data={"locale": "en"})
    page = client.get("/map/?chain=nope")
    assert page.status_code == 422
    assert "Choose a value from the list." in page.get_data(as_text=True)
    # The map then draws what the list shows (everything), not the refused filter.
    assert 'data-items="/map/data.json"' in page.get_data(as_text=True)
    assert 'data-items="/map/data.json?category=mentor"' in client.get(
        "/map/?category=mentor&utm=x"
    ).get_data(as_text=True)
    client.post("/auth/language", data={"locale": "zh_CN"})
    page = client.get("/map/?district=火星区").get_data(as_text=True)
    assert "创新创业导航地图" in page and "请从列表中选择" in page


def test_manager_places_the_facility_and_bad_input_changes_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    manager = make_user(db_session, "facility_manager", email="mgr@example.com", locale="en")
    make_user(db_session, "facility_manager", email="other@example.com")
    lab = make_facility(db_session, manager, name="Placed Lab", district="北碚区")
    url = f"/map/facilities/{lab.id}/location"

    # Anyone sees the district on the facility's page; only its managers get the form.
    page = client.get(f"/facilities/{lab.id}").get_data(as_text=True)
    assert "Beibei" in page or "北碚区" in page
    assert 'data-testid="facility-location-form"' not in page
    client.post("/auth/login", data={"email": "other@example.com", "password": "password123"})
    assert client.post(url, data={"district": "渝北区"}).status_code == 403
    client.post("/auth/logout")

    client.post("/auth/login", data={"email": "mgr@example.com", "password": "password123"})
    assert 'data-testid="facility-location-form"' in client.get(f"/facilities/{lab.id}").get_data(
        as_text=True
    )
    for bad, message in (
        ({"district": "火星区"}, "Choose a district of the list."),
        ({"district": "渝北区", "latitude": "29.6"}, "Give both latitude and longitude"),
        ({"district": "渝北区", "latitude": "NaN", "longitude": "1"}, "Enter a number between"),
        ({"district": "渝北区", "latitude": "95", "longitude": "106"}, "between -90 and 90"),
    ):
        page = client.post(url, data=bad, follow_redirects=True).get_data(as_text=True)
        assert message in page, bad
        db_session.expire_all()
        assert (lab.district, lab.latitude) == ("北碚区", None)

    manager.locale = "zh_CN"
    db_session.commit()
    page = client.post(url, data={"district": "Mars"}, follow_redirects=True).get_data(as_text=True)
    assert "请从列表中选择区县。" in page

    client.post(url, data={"district": "渝北区", "latitude": "29.601451", "longitude": "106.5"})
    db_session.expire_all()
    assert (lab.district, str(lab.latitude), str(lab.longitude)) == (
        "渝北区",
        "29.601451",
        "106.500000",
    )
    item = client.get("/map/data.json?district=渝北区").get_json()["items"][0]
    assert item["coordinates"] == [106.5, 29.601451]
