"""Monitoring figures, performance scores and the annual report against a hand-built dataset:
every number below is worked out by hand from the rows the fixture writes."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import MatchOutcome
from matchmaker.models.bookings import AvailabilityWindow, EquipmentBooking, Voucher, VoucherEntry
from matchmaker.models.mentoring import MentorSession, SessionReview
from matchmaker.models.operator import SupportRecord
from matchmaker.services.operator.evaluation import evaluation_reports, scores
from matchmaker.services.operator.monitoring import dashboard
from tests.factories import (
    make_equipment,
    make_facility,
    make_investor,
    make_mentor,
    make_startup,
    make_user,
)

Q1 = dashboard.Period(date(2026, 1, 1), date(2026, 3, 31))


def at(day: str, hour: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour))


@pytest.fixture
def dataset(db_session: Session) -> dict[str, Any]:
    s = db_session
    founder = make_user(s, "founder")
    a = make_startup(
        s,
        founder,
        name="A",
        sectors=["new_energy", "new_materials"],
        stage="prototype",
        created_at=at("2026-01-10"),
    )
    b = make_startup(
        s, name="B", sectors=["biotechnology"], stage="idea", created_at=at("2026-02-05")
    )
    c = make_startup(s, name="C", sectors=["internet"], stage="market", created_at=at("2025-05-01"))
    make_startup(
        s, name="D", sectors=["biotechnology"], is_active=False, created_at=at("2026-01-01")
    )
    make_startup(s, name="E", sectors=["internet"], created_at=at("2026-05-01"))
    s.add_all(
        [
            SupportRecord(
                startup_id=a.id, kind="subsidy", amount=Decimal(50000), granted_on=date(2026, 2, 1)
            ),
            SupportRecord(
                startup_id=a.id, kind="loan", amount=Decimal(150000), granted_on=date(2026, 3, 10)
            ),
            SupportRecord(
                startup_id=b.id,
                kind="subsidy",
                amount=Decimal(20000),
                granted_on=date(2025, 12, 31),
            ),
        ]
    )
    mentor = make_mentor(s)
    outcomes = [
        (a, "mentor", mentor.id, "accepted", None, "2026-01-05"),
        (a, "mentor", mentor.id, "completed", 5, "2026-01-20"),
        (b, "mentor", mentor.id, "completed", 4, "2026-02-10"),
        (c, "mentor", mentor.id, "declined", None, "2026-02-11"),
        (c, "mentor", mentor.id, "expired", None, "2026-03-01"),
    ]
    investor = make_investor(s)
    outcomes += [
        (a, "investor", investor.id, "meeting", None, "2026-01-15"),
        (b, "investor", investor.id, "passed", None, "2026-02-15"),
        (a, "investor", investor.id, "invested", None, "2026-03-15"),
    ]
    for st, kind, cid, outcome, rating, day in outcomes:
        s.add(
            MatchOutcome(
                startup_id=st.id,
                candidate_kind=kind,
                candidate_id=cid,
                outcome=outcome,
                rating=rating,
                created_at=at(day),
            )
        )
    sessions = [
        MentorSession(
            mentor_id=mentor.id,
            startup_id=a.id,
            topic="technology",
            status="completed",
            created_at=at("2026-01-04"),
            starts_at=at("2026-01-20", 10),
            ends_at=at("2026-01-20", 11),
        ),
        MentorSession(
            mentor_id=mentor.id,
            startup_id=b.id,
            topic="product",
            status="completed",
            created_at=at("2026-02-08"),
            starts_at=at("2026-02-10", 10),
            ends_at=at("2026-02-10", 11),
        ),
        MentorSession(
            mentor_id=mentor.id,
            startup_id=c.id,
            topic="strategy",
            status="declined",
            created_at=at("2026-02-10", 12),
        ),
    ]
    s.add_all(sessions)
    s.flush()
    s.add_all(
        [
            SessionReview(
                session_id=sessions[0].id,
                author_id=founder.id,
                side="founder",
                rating=5,
                created_at=at("2026-01-21"),
            ),
            SessionReview(
                session_id=sessions[1].id,
                author_id=founder.id,
                side="founder",
                rating=4,
                created_at=at("2026-02-11"),
            ),
        ]
    )
    manager = make_user(s, "facility_manager")
    facility = make_facility(s, manager, name="Lab")
    # Listed before the period: its open hours count from the period's start.
    xrd = make_equipment(s, facility, name="XRD", created_at=at("2025-12-01"))
    s.add(AvailabilityWindow(equipment_id=xrd.id, weekday=0, start_time=time(9), end_time=time(17)))
    for st, day, h0, h1, status, used in [
        (a, "2026-01-05", 9, 13, "completed", 240),
        (b, "2026-02-02", 10, 12, "confirmed", None),
        (a, "2026-02-09", 9, 11, "cancelled", None),
        (a, "2026-03-02", 9, 11, "no_show", None),
        (a, "2026-04-06", 1, 9, "completed", 420),  # after the period
    ]:
        s.add(EquipmentBooking(equipment_id=xrd.id, startup_id=st.id, user_id=founder.id,
                               starts_at=at(day, h0), ends_at=at(day, h1), status=status,
                               price=Decimal(0), actual_minutes=used))  # fmt: skip
    voucher = Voucher(
        code="V-1",
        startup_id=a.id,
        amount=Decimal(1000),
        balance=Decimal(700),
        valid_from=date(2026, 1, 3),
        valid_until=date(2026, 12, 31),
        created_at=at("2026-01-03"),
    )
    s.add(voucher)
    s.flush()
    s.add(
        VoucherEntry(
            voucher_id=voucher.id,
            kind="issue",
            amount=Decimal(1000),
            balance_after=Decimal(1000),
            created_at=at("2026-01-03"),
        )
    )
    s.add(
        VoucherEntry(
            voucher_id=voucher.id,
            facility_id=facility.id,
            kind="redeem",
            amount=Decimal(300),
            balance_after=Decimal(700),
            created_at=at("2026-01-05", 14),
        )
    )
    s.commit()
    return {"a": a, "b": b, "mentor": mentor, "investor": investor, "facility": facility}


def _metrics(session: Session) -> dict[str, dashboard.Metric]:
    return {m.key: m for m in dashboard.collect(session, Q1, "en")}


def _series(metric: dashboard.Metric) -> dict[str, list[float]]:
    return {str(d.label): d.data for d in metric.datasets}


def test_startup_figures(app: Flask, db_session: Session, dataset: dict[str, Any]) -> None:
    m = _metrics(db_session)
    by_sector = m["startups_by_sector"]
    assert by_sector.total == 3  # A, B, C: D is inactive, E registered after the period
    assert dict(zip(by_sector.labels, by_sector.datasets[0].data, strict=True)) == {
        "Biotechnology": 1, "New energy": 1, "New materials": 1, "Internet": 1,
    }  # fmt: skip
    assert m["startups_by_stage"].datasets[0].data == [1, 1, 0, 1]  # idea, prototype, pilot, market
    assert m["new_startups"].labels == ["2026-01", "2026-02", "2026-03"]
    assert m["new_startups"].datasets[0].data == [1, 1, 0]


def test_support_and_mentoring_figures(
    app: Flask, db_session: Session, dataset: dict[str, Any]
) -> None:
    m = _metrics(db_session)
    assert m["support_records"].total == 200000
    assert m["support_records"].datasets[0].data == [0, 1, 1]
    sessions = _series(m["mentor_sessions"])
    assert sessions["Requested"] == [1, 2, 0]
    assert sessions["Held"] == [1, 1, 0]
    assert sessions["Rated"] == [1, 1, 0]
    assert m["mentor_sessions"].total == 2
    # A waited 24 h (Jan 4 -> accepted Jan 5), C 12 h (Feb 10 12:00 -> declined Feb 11).
    assert m["mentor_response"].total == 18.0


def test_facility_figures(app: Flask, db_session: Session, dataset: dict[str, Any]) -> None:
    m = _metrics(db_session)
    # booked: 4 h completed + 2 h confirmed + 2 h no-show (the facilities area's definition)
    assert m["equipment_hours"].total == 8.0
    assert m["equipment_hours"].datasets[0].data == [4.0, 2.0, 2.0]
    # used: the 240 recorded minutes; open: 13 Mondays x 8 h = 104 h; 4 / 104 = 3.8 %
    assert m["equipment_utilisation"].total == 3.8
    vouchers = _series(m["vouchers"])
    assert vouchers["Issued (yuan)"] == [1000.0, 0.0, 0.0]
    assert vouchers["Redeemed (yuan)"] == [300.0, 0.0, 0.0]
    assert m["vouchers"].total == 300


def test_performance_scores(app: Flask, db_session: Session, dataset: dict[str, Any]) -> None:
    with app.test_request_context():
        mentor = scores.mentor_scores(db_session, Q1)
        investor = scores.investor_scores(db_session, Q1)
        facility = scores.facility_scores(db_session, Q1)
    # 40 x 4.5/5 + 25 x 2/10 + 20 x 2/3 + 15 x 2/5 = 36 + 5 + 13.33 + 6
    assert [(s.id, s.score) for s in mentor] == [(dataset["mentor"].id, 60.3)]
    # pitches: none, so the answered share is from outcomes (3 of 3);
    # 35 x 1 + 25 x 1/5 + 25 x 1/3 + 15 x 2/5 = 35 + 5 + 8.33 + 6
    assert [(s.id, s.score) for s in investor] == [(dataset["investor"].id, 54.3)]
    # utilisation 3.8 %, one startup served (completed), 1 no-show in 3 bookings, 8 h booked:
    # 40 x 0.038/0.6 + 25 x 1/10 + 20 x (1 - 1/3) + 15 x 8/200 = 2.53 + 2.5 + 13.33 + 0.6
    assert [(s.id, s.score) for s in facility] == [(dataset["facility"].id, 19.0)]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "average rating/5" in str(mentor[0].formula)


def test_annual_report_workbook(app: Flask, db_session: Session, dataset: dict[str, Any]) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        report = evaluation_reports.makerspace_report(db_session, 2026, "en")
        assert report.support_count == 2 and report.support_amount == 200000
        book = load_workbook(BytesIO(evaluation_reports.report_xlsx(report)))
        assert {"Summary", "Monthly", "Mentors", "Investors", "Facilities"} <= set(book.sheetnames)
        summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
        assert summary["Support granted (yuan)"] == 200000
        one = evaluation_reports.facility_report(db_session, 2026, dataset["facility"].id, "en")
        # the April booking counts in the year: 4 + 2 + 2 + 8 hours
        assert one.facility_figures[0].hours == 16.0
        sheet = load_workbook(BytesIO(evaluation_reports.report_xlsx(one)))["Equipment"]
        first = list(sheet.iter_rows(values_only=True))[1][:3]
        assert first == ("XRD", "Inspection and testing", 16.0)
