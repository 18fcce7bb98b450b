"""Small typed factories for test data. Each call makes new rows; nothing is shared."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from matchmaker.models import (
    Equipment,
    Facility,
    FacilityManager,
    Investor,
    InvestorMember,
    Mentor,
    PortfolioEntry,
    Startup,
    StartupMember,
    User,
)

PASSWORD = "password123"
_seq = itertools.count(1)


def make_user(session: Session, *roles: str, locale: str = "en", **fields: Any) -> User:
    n = next(_seq)
    user = User(
        email=fields.pop("email", f"user{n}@example.com"),
        display_name=fields.pop("display_name", f"User {n}"),
        locale=locale,
        roles=list(roles or ("founder",)),
        **fields,
    )
    user.set_password(PASSWORD)
    session.add(user)
    session.commit()
    return user


def make_startup(session: Session, owner: User | None = None, **fields: Any) -> Startup:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Startup {n}",
        "one_liner": "Solid-state battery cathodes for e-bikes",
        "description": "We develop high-nickel cathode materials and need XRD testing.",
        "sectors": ["new_energy", "new_materials"],
        "stage": "prototype",
        "funding_round": "seed",
        "location": "Chongqing",
        "team_size": 5,
        "founded_on": date(2024, 3, 1),
        "languages": ["zh", "en"],
    }
    values.update(fields)
    startup = Startup(**values)
    if owner is not None:
        startup.members.append(StartupMember(user=owner, title="CEO"))
    session.add(startup)
    session.commit()
    return startup


def make_mentor(session: Session, user: User | None = None, **fields: Any) -> Mentor:
    user = user or make_user(session, "mentor")
    values: dict[str, Any] = {
        "kind": "technical_expert",
        "headline": "Battery materials scientist",
        "expertise": "Lithium-ion cathodes, XRD and electrochemical testing, scale-up.",
        "sectors": ["new_energy", "new_materials"],
        "languages": ["zh", "en"],
        "mentoring_topics": ["technology"],
        "organisation": "Chongqing University",
        "location": "Chongqing",
        "capacity_per_month": 4,
    }
    values.update(fields)
    mentor = Mentor(user=user, **values)
    session.add(mentor)
    session.commit()
    return mentor


def make_investor(session: Session, member: User | None = None, **fields: Any) -> Investor:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Fund {n}",
        "type": "vc",
        "thesis": "Early-stage new energy and advanced materials.",
        "sectors": ["new_energy", "new_materials"],
        "stages": ["seed", "angel", "pre_a"],
        "ticket_min": Decimal("1000000"),
        "ticket_max": Decimal("10000000"),
        "currency": "CNY",
        "instruments": ["equity"],
        "regions": ["Chongqing"],
    }
    values.update(fields)
    investor = Investor(**values)
    if member is not None:
        investor.members.append(InvestorMember(user=member, title="Partner"))
    investor.portfolio.append(
        PortfolioEntry(
            company="Volt Cells",
            description="Sodium-ion cells",
            sector="new_energy",
            round="angel",
            year=2023,
        )
    )
    session.add(investor)
    session.commit()
    return investor


def make_facility(session: Session, manager: User | None = None, **fields: Any) -> Facility:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Materials Lab {n}",
        "kind": "university_lab",
        "description": "Shared materials characterisation lab.",
        "address": "174 Shazheng St, Chongqing",
        "location": "Chongqing",
        "opening_hours": "Mon-Fri 09:00-18:00",
    }
    values.update(fields)
    facility = Facility(**values)
    if manager is not None:
        facility.managers.append(FacilityManager(user=manager))
    session.add(facility)
    session.commit()
    return facility


def make_equipment(session: Session, facility: Facility, **fields: Any) -> Equipment:
    values: dict[str, Any] = {
        "name": "X-ray diffractometer",
        "category": "testing",
        "model_specs": "Bruker D8 Advance",
        "description": "Powder XRD for phase analysis of cathode and catalyst materials.",
        "price_per_hour": Decimal("300"),
        "voucher_eligible": True,
        "training_required": False,
        "booking_mode": "instant",
    }
    values.update(fields)
    equipment = Equipment(facility=facility, **values)
    session.add(equipment)
    session.commit()
    return equipment


def make_pdf(*, extra_objects: bytes = b"") -> bytes:
    """A minimal but well-formed PDF (catalog, empty page tree, xref table, trailer): what the
    pitch deck check accepts. ``extra_objects`` go before the xref table."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    objects = [
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n",
    ]
    body = head
    offsets = []
    for obj in objects:
        offsets.append(len(body))
        body += obj
    body += extra_objects
    xref_at = len(body)
    table = b"xref\n0 3\n0000000000 65535 f \n" + b"".join(
        b"%010d 00000 n \n" % offset for offset in offsets
    )
    trailer = b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return body + table + trailer
