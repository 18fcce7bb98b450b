"""Forty mentors of every kind, with capacities, a few paused, and their past mentees."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from matchmaker import vocab
from matchmaker.demo.context import ANCHOR, days_before
from matchmaker.demo.people import Person
from matchmaker.demo.startups import RELATED, Sequence
from matchmaker.demo.tables import (
    CITIES,
    INVESTORS,
    MENTOR_KIND_COUNTS,
    MENTOR_KIND_TEXT,
    SECTOR_EXPERTISE,
)
from matchmaker.models import Investor, InvestorMember, Mentor, MentorMentee, Startup, User
from matchmaker.models.mentors import MenteeSource

PAUSED = frozenset({5, 14, 23, 31})  # positions of mentors not accepting requests this month
BROAD_KINDS = ("lawyer", "business_planner", "trainer", "consultant")

PastMentee = tuple[Mentor, int, date, str]  # mentor, startup id, since, source


def mentee_rows(pending: list[PastMentee]) -> list[MentorMentee]:
    return [
        MentorMentee(mentor_id=mentor.id, startup_id=startup_id, since=since, source=source)
        for mentor, startup_id, since, source in pending
    ]


def build_mentors(
    rng: random.Random,
    make_user: Callable[[Person, list[str]], User],
    people: Callable[[bool], Person],
    demo_mentor: tuple[Person, User],
    investors: list[Investor],
    startups: list[Startup],
    texts: Sequence,
) -> tuple[list[Mentor], list[PastMentee]]:
    """Mentor profiles (new mentor accounts) and their past mentees, which become rows with
    ``mentee_rows`` once the mentors have ids. ``startups`` must have ids."""
    mentors: list[Mentor] = []
    mentees: list[PastMentee] = []
    sectors = list(vocab.SECTORS)
    funds: dict[str, list[Investor]] = {"zh": [], "en": []}
    for investor, spec in zip(investors, INVESTORS, strict=True):
        if investor.type not in ("bank", "crowdfunding", "angel"):
            funds[spec["lang"]].append(investor)
    position = 0
    remote_done = False
    demo_done = False
    for kind, count in MENTOR_KIND_COUNTS.items():
        bank = MENTOR_KIND_TEXT[kind]
        for _ in range(count):
            english = position % 10 in (2, 5, 8)
            lang = "en" if english else "zh"
            is_demo = kind == "technical_expert" and not demo_done and not english
            if is_demo:
                person, user = demo_mentor
                demo_done = True
                mentor_sectors = ["new_materials", "new_energy"]
            else:
                person = people(not english)
                user = make_user(
                    person, ["mentor", "investor"] if kind == "investor" else ["mentor"]
                )
                mentor_sectors = _mentor_sectors(rng, kind, sectors[(position * 5) % len(sectors)])
            headline, expertise = _texts(texts, kind, lang, mentor_sectors)
            if kind == "investor":
                fund = rng.choice(funds[lang] or funds["zh"])
                organisation = fund.name
                title = "Partner" if english else "投资合伙人"
                fund.members.append(InvestorMember(user=user, title=title))
            else:
                organisation = "重庆大学" if is_demo else rng.choice(bank[f"organisations_{lang}"])
            city_zh, city_en = rng.choice(CITIES[:8] if not english else CITIES)
            location, timezone = (city_en if english else city_zh), "Asia/Shanghai"
            if english and "de" in person.languages and not remote_done:
                location, timezone, remote_done = "Berlin (remote)", "Europe/Berlin", True
            mentor = Mentor(
                user=user,
                kind=kind,
                headline=headline,
                expertise=expertise,
                sectors=mentor_sectors,
                languages=list(person.languages),
                mentoring_topics=rng.sample(bank["topics"], k=min(3, len(bank["topics"]))),
                organisation=organisation,
                location=location,
                timezone=timezone,
                capacity_per_month=rng.randint(2, 8),
                accepting_requests=position not in PAUSED,
                created_at=days_before(rng.randint(60, 700)),
                updated_at=days_before(rng.randint(1, 59)),
            )
            mentors.append(mentor)
            mentees += _past_mentees(rng, mentor, startups, exclude_demo=is_demo)
            position += 1
    return mentors, mentees


def _mentor_sectors(rng: random.Random, kind: str, first: str) -> list[str]:
    """A mentor's sectors: ``first`` and two more for the broad kinds, else perhaps one related."""
    sectors = list(vocab.SECTORS)
    if kind in BROAD_KINDS:
        return [first, *rng.sample([s for s in sectors if s != first], 2)]
    return [first] + ([rng.choice(RELATED[first])] if rng.random() < 0.6 else [])


def _texts(texts: Sequence, kind: str, lang: str, mentor_sectors: list[str]) -> tuple[str, str]:
    """A mentor's headline and expertise in ``lang``, from the kind's text bank."""
    bank = MENTOR_KIND_TEXT[kind]
    english = lang == "en"
    sector_label = vocab.label(vocab.SECTORS, mentor_sectors[0], lang)
    if english:
        sector_label = sector_label.lower()
    headline = texts.take((lang, kind, "headline"), bank[f"headline_{lang}"])
    if kind == "technical_expert":
        first_line = SECTOR_EXPERTISE[lang][mentor_sectors[0]]
    else:
        first_line = texts.take((lang, kind, "expertise"), bank[f"expertise_{lang}"])
    second_line = texts.take((lang, kind, "expertise"), bank[f"expertise_{lang}"])
    labels = [vocab.label(vocab.SECTORS, s, lang) for s in mentor_sectors]
    focus = (
        "Focus: " + ", ".join(labels) + "." if english else "关注领域：" + "、".join(labels) + "。"
    )
    lines = [first_line] + ([second_line] if second_line != first_line else [])
    return headline.format(sector=sector_label), (" " if english else "").join([*lines, focus])


def _past_mentees(
    rng: random.Random, mentor: Mentor, startups: list[Startup], exclude_demo: bool
) -> list[PastMentee]:
    candidates = [
        s for s in startups[1 if exclude_demo else 0 :] if set(s.sectors) & set(mentor.sectors)
    ]
    count = min(len(candidates), rng.choice((0, 1, 1, 2, 2, 3, 4)))
    rows: list[PastMentee] = []
    for startup in rng.sample(candidates, k=count):
        founded = startup.founded_on or ANCHOR - timedelta(days=365)
        span = max((ANCHOR - founded).days - 14, 1)
        since = founded + timedelta(days=rng.randint(0, span))
        source = rng.choice((MenteeSource.IMPORTED, MenteeSource.IMPORTED, MenteeSource.PLATFORM))
        rows.append((mentor, startup.id, since, source))
    return rows
