"""The core dataset: accounts, startups, investors, mentors and facilities, one commit per stage.

Every account gets the same password hash. Hashing DEMO_PASSWORD with werkzeug's default
scrypt costs tens of milliseconds on purpose; doing it for 150+ accounts would make loading
take many seconds for nothing, since every demo account has the same password anyway. The
salt is still random per load, and each account still gets its own random session version.
"""

from __future__ import annotations

import random
from collections import defaultdict

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker.demo.context import (
    ANCHOR,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    SEED,
    DemoContext,
    days_before,
)
from matchmaker.demo.facilities import build_facilities
from matchmaker.demo.investors import build_investors
from matchmaker.demo.mentors import build_mentors, mentee_rows
from matchmaker.demo.people import PeoplePool, Person
from matchmaker.demo.startups import Sequence, build_startups
from matchmaker.demo.tables import INVESTORS
from matchmaker.models import User

# The people behind the demo accounts, fixed so that a README can name them.
DEMO_PEOPLE: dict[str, Person] = {
    "founder": Person("周澜", DEMO_LOGINS["founder"], "zh_CN", ("zh", "en"), True),
    "mentor": Person("陈静怡", DEMO_LOGINS["mentor"], "zh_CN", ("zh", "en"), True),
    "investor": Person("李建华", DEMO_LOGINS["investor"], "zh_CN", ("zh", "en"), True),
    "facility_manager": Person("王晓东", DEMO_LOGINS["facility_manager"], "zh_CN", ("zh",), True),
    "operator": Person("刘婷", DEMO_LOGINS["operator"], "zh_CN", ("zh", "en"), True),
}


class _Accounts:
    """Makes users with the shared hash and files them by role."""

    def __init__(self, session: Session, rng: random.Random, password_hash: str) -> None:
        self.session = session
        self.rng = rng
        self.password_hash = password_hash
        self.by_role: dict[str, list[User]] = defaultdict(list)
        reserved = tuple(p.name for p in DEMO_PEOPLE.values())
        reserved += tuple(s["person"][0] for s in INVESTORS if "person" in s)
        self.pool = PeoplePool(rng, reserved_names=reserved)

    def person(self, chinese: bool) -> Person:
        return self.pool.chinese() if chinese else self.pool.international()

    def named(self, name: str, local: str, english: bool) -> Person:
        email = self.pool.reserve_email(local)
        languages = ("en", "zh") if english else ("zh",)
        return Person(name, email, "en" if english else "zh_CN", languages, not english)

    def make(self, person: Person, roles: list[str]) -> User:
        joined = self.rng.randint(30, 720)
        user = User(
            email=person.email,
            display_name=person.name,
            locale=person.locale,
            roles=roles,
            password_hash=self.password_hash,
            created_at=days_before(joined),
            updated_at=days_before(self.rng.randint(0, min(joined, 30))),
            last_seen_at=days_before(self.rng.randint(0, 45), hour=self.rng.randint(8, 22)),
        )
        self.session.add(user)
        for role in roles:
            self.by_role[role].append(user)
        return user


def load_core(session: Session) -> DemoContext:
    """Write the core dataset and return it as a context for area modules."""
    rng = random.Random(SEED)
    password_hash = generate_password_hash(DEMO_PASSWORD)
    accounts = _Accounts(session, rng, password_hash)
    texts = Sequence(rng)
    demo = {role: accounts.make(person, [role]) for role, person in DEMO_PEOPLE.items()}
    accounts.make(accounts.pool.international("en"), ["operator"])

    built = build_startups(
        rng, accounts.make, accounts.person, (DEMO_PEOPLE["founder"], demo["founder"])
    )
    session.add_all(built.startups)
    session.add_all(built.asks)
    session.commit()

    investors = build_investors(
        rng, accounts.make, accounts.person, accounts.named, demo["investor"], built.startups, texts
    )
    session.add_all(investors)
    session.commit()

    mentors, pending = build_mentors(
        rng,
        accounts.make,
        accounts.person,
        (DEMO_PEOPLE["mentor"], demo["mentor"]),
        investors,
        built.startups,
        texts,
    )
    session.add_all(mentors)
    session.flush()
    session.add_all(mentee_rows(pending))
    session.commit()

    facilities = build_facilities(rng, accounts.make, accounts.person, demo["facility_manager"])
    session.add_all(facilities)
    session.commit()

    return DemoContext(
        rng=rng,
        anchor=ANCHOR,
        password_hash=password_hash,
        users_by_role=dict(accounts.by_role),
        demo_users=demo,
        startups=built.startups,
        funding_asks=built.asks,
        mentors=mentors,
        investors=investors,
        facilities=facilities,
        equipment=[item for facility in facilities for item in facility.equipment],
    )
