"""One policy against every startup: the operator's list of eligible startups with why, the
near-misses with what they lack; and the founders of eligible startups told (in the app and by
e-mail through the queue, after the commit) when the policy is first published, only then."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models import Notification, StartupMember
from matchmaker.models.operator import Policy
from matchmaker.models.outbox import OutboxEmail
from tests.factories import make_startup, make_user


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    s = db_session
    fits, near, far, gone = (make_user(s, "founder", email=f"{n}@example.com")
                             for n in ("fits", "near", "far", "gone"))  # fmt: skip
    cofounder = make_user(s, "founder", email="co@example.com", locale="zh_CN")
    a = make_startup(s, fits, name="Anode Works", sectors=["new_energy"], team_size=5,
                     location="重庆两江新区")  # fmt: skip
    s.add(StartupMember(startup_id=a.id, user_id=cofounder.id))
    make_startup(s, near, name="Big Battery", sectors=["new_energy"], team_size=40,
                 location="重庆渝北区")  # fmt: skip
    make_startup(s, far, name="Farm Data", sectors=["modern_agriculture"], team_size=40,
                 location="成都")  # fmt: skip
    make_startup(s, gone, name="Closed Co", sectors=["new_energy"], team_size=5,
                 location="重庆", is_active=False)  # fmt: skip
    policy = Policy(
        title_en="Chongqing new energy seed subsidy", title_zh="重庆新能源种子补助",
        kind="subsidy", sectors=["new_energy"], locations=["重庆"], max_team_size=10,
    )  # fmt: skip
    s.add(policy)
    s.commit()
    make_user(s, "operator", email="op@example.com")
    return {"policy": policy.id, "fits": fits.id, "co": cofounder.id, "near": near.id,
            "far": far.id, "gone": gone.id}  # fmt: skip


def _login(client: FlaskClient, email: str) -> None:
    assert (
        client.post("/auth/login", data={"email": email, "password": "password123"}).status_code
        == 302
    )


def test_list_says_why_and_what_each_near_miss_lacks(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    _login(client, "near@example.com")
    assert client.get(f"/operator/policies/{world['policy']}/eligible").status_code == 403
    client.post("/auth/logout")
    _login(client, "op@example.com")
    client.post("/auth/language", data={"locale": "en"})
    page = client.get(f"/operator/policies/{world['policy']}/eligible").get_data(as_text=True)
    eligible, near = page.split('data-testid="near-misses"')
    assert "Anode Works" in eligible and "Team of 5 (at most 10)." in eligible
    assert "Big Battery" not in eligible and "Closed Co" not in page
    assert "Big Battery" in near and "Team of 40 is larger than the limit of 10." in near
    # Farm Data misses three rules: counted, not listed.
    assert "Farm Data" not in page and "1 other startup misses more than two conditions." in page
    client.post("/auth/language", data={"locale": "zh_CN"})
    page = client.get(f"/operator/policies/{world['policy']}/eligible").get_data(as_text=True)
    assert "符合条件的创业企业" in page
    assert client.get("/operator/policies/999999/eligible").status_code == 404


def test_first_publication_notifies_the_founders_who_qualify(
    client: FlaskClient, db_session: Session, world: dict[str, Any]
) -> None:
    _login(client, "op@example.com")
    url = f"/operator/policies/{world['policy']}/publish"
    assert client.post(url, data={"publish": "1"}).status_code == 302

    notified = db_session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "operator.policy_eligible")
    ).all()
    assert sorted(notified) == sorted([world["fits"], world["co"]])
    # The e-mail jobs ran after the commit (immediate queue, no SMTP: kept in the outbox).
    recipients = db_session.scalars(sa.select(OutboxEmail.recipients)).all()
    assert sorted(recipients) == ["co@example.com", "fits@example.com"]
    bodies = dict(db_session.execute(sa.select(OutboxEmail.recipients, OutboxEmail.body)).all())
    # Each in the recipient's language, with the link to the policy.
    assert "Chongqing new energy seed subsidy" in bodies["fits@example.com"]
    assert "新发布的政策「重庆新能源种子补助」适用于 Anode Works" in bodies["co@example.com"]
    assert all(f"/policies/{world['policy']}" in b for b in bodies.values())

    # Withdrawn and published again: nobody hears of it twice.
    client.post(url, data={"publish": "0"})
    client.post(url, data={"publish": "1"})
    count = db_session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.kind == "operator.policy_eligible"
        )
    )
    assert count == 2


def test_relevance_follows_an_edited_policy_text(
    db_session: Session, world: dict[str, Any]
) -> None:
    """The fitted policy index is remembered per process, keyed by the texts: an edit is read
    at once, never an old fit."""
    from matchmaker.models import Startup
    from matchmaker.services.operator.policy_center.policies import eligibility_for

    s = db_session
    startup = s.scalar(sa.select(Startup).where(Startup.name == "Anode Works"))
    startup.description = "solid-state electrolyte cathode coating"
    policy = s.get(Policy, world["policy"])
    before = eligibility_for(s, startup, locale="en", policies=[policy])[0]
    assert "electrolyte" not in before.matched_terms
    policy.summary_en = "Support for electrolyte and cathode research."
    s.commit()
    after = eligibility_for(s, startup, locale="en", policies=[policy])[0]
    assert "electrolyte" in after.matched_terms and after.relevance > before.relevance
