"""Stored XSS through translated messages: user data interpolated into a lazily translated
message (``_l("Located in %(place)s.", place=...)``) reached the page unescaped, because
Flask-Babel's LazyString tells Jinja it is safe HTML. One test per confirmed sink, in both
languages: the payload must appear only as escaped text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matchmaker.models.operator import Policy
from tests.factories import make_facility, make_startup, make_user

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
LOCALES = ["en", "zh_CN"]


@pytest.fixture
def app(make_app: object) -> Flask:
    return make_app(EMBEDDING_MODEL="hashing")  # type: ignore[operator]


def _login(client: FlaskClient, email: str) -> None:
    client.post("/auth/login", data={"email": email, "password": "password123"})


def _assert_inert(page: str) -> None:
    assert SCRIPT not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "&lt;img src=x" in page


def _policy(session: Session, title: str, locations: list[str]) -> Policy:
    policy = Policy(
        title_en=title, title_zh=title, kind="subsidy", locations=locations,
        is_published=True, published_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(policy)
    session.commit()
    return policy


@pytest.mark.parametrize("locale", LOCALES)
def test_pathway_escapes_the_founders_location(
    client: FlaskClient, db_session: Session, locale: str
) -> None:
    """The founder writes the location; the operator opens the pathway page."""
    founder = make_user(db_session, "founder")
    startup = make_startup(db_session, founder, location=f"Chongqing {SCRIPT}")
    _policy(db_session, "Chongqing subsidy", ["Chongqing"])
    operator = make_user(db_session, "operator", locale=locale)
    _login(client, operator.email)

    page = client.get(f"/pathway/{startup.id}").get_data(as_text=True)

    assert 'data-testid="eligible-policy"' in page  # the "Located in …" check is on the page
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("locale", LOCALES)
def test_pathway_and_policy_pages_escape_policy_locations(
    client: FlaskClient, db_session: Session, locale: str
) -> None:
    """A policy's place keywords reach "Only for companies located in: %(places)s."."""
    founder = make_user(db_session, "founder", locale=locale)
    startup = make_startup(db_session, founder, location="Chengdu")
    policy = _policy(db_session, "Elsewhere subsidy", [IMG, SCRIPT])
    _login(client, founder.email)

    page = client.get(f"/pathway/{startup.id}").get_data(as_text=True)
    assert 'data-testid="other-policy"' in page  # the missing location is listed
    _assert_inert(page)
    _assert_inert(client.get(f"/policies/{policy.id}").get_data(as_text=True))


@pytest.mark.parametrize("locale", LOCALES)
def test_import_preview_escapes_column_and_facility_names(
    client: FlaskClient, db_session: Session, locale: str
) -> None:
    """An uploaded CSV's unknown column names and unknown facility names are echoed back."""
    make_facility(db_session, name="Lab")
    operator = make_user(db_session, "operator", locale=locale)
    _login(client, operator.email)
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["facility", "name", "category", "price_per_hour", SCRIPT])
    writer.writerow([IMG, "SEM", "testing", "500", "x"])
    response = client.post(
        "/operator/import",
        data={"kind": "equipment", "file": (io.BytesIO(rows.getvalue().encode()), "lab.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)

    assert 'data-testid="row-error"' in page  # "No facility called “…”" is shown
    assert SCRIPT not in page  # "Unknown columns: …"
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
