"""ORM rows -> the engine's profile dataclasses (``recommend.texts``), in few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import (
    Equipment,
    Facility,
    FundingAsk,
    Investor,
    MatchOutcome,
    Mentor,
    MentorMentee,
    PortfolioEntry,
    Startup,
    User,
)
from matchmaker.recommend import texts as T
from matchmaker.recommend.ranking import Recommender
from matchmaker.services.errors import NotFound
from matchmaker.services.mentoring.ratings import MentorRating, mentor_ratings
from matchmaker.services.recommendations.capacity import capacity_of, in_chunks

# -- ORM rows -> engine profiles ----------------------------------------------------------------


def money(value: Any) -> float | None:
    return None if value is None else float(value)


def _opt(code: str | None) -> str | None:
    return code or None


def startup_profile(s: Startup, ask: FundingAsk | None = None) -> T.StartupProfile:
    return T.StartupProfile(
        id=s.id,
        name=s.name,
        one_liner=s.one_liner or "",
        description=s.description or "",
        sectors=tuple(s.sectors),
        stage=_opt(s.stage),
        funding_round=_opt(s.funding_round),
        location=s.location or "",
        team_size=s.team_size,
        founded_year=s.founded_on.year if s.founded_on else None,
        languages=tuple(s.languages),
        mentoring_topics=tuple(s.mentoring_topics),
        services_needed=tuple(s.services_needed),
        ask_round=_opt(ask.round) if ask else None,
        ask_amount=money(ask.amount) if ask else None,
        ask_currency=ask.currency if ask else None,
        ask_instrument=_opt(ask.instrument) if ask else None,
        active=s.is_active,
    )


def mentor_profile(
    m: Mentor,
    user: User,
    mentees: Sequence[tuple[int, date | None]] = (),
    sessions_this_month: int = 0,
    rating: MentorRating | None = None,
) -> T.MentorProfile:
    return T.MentorProfile(
        id=m.id,
        name=user.display_name,
        kind=_opt(m.kind),
        headline=m.headline or "",
        expertise=m.expertise or "",
        topics=tuple(m.mentoring_topics),
        sectors=tuple(m.sectors),
        languages=tuple(m.languages),
        organisation=m.organisation or "",
        location=m.location or "",
        capacity_per_month=m.capacity_per_month,
        sessions_this_month=sessions_this_month,
        accepting_requests=m.accepting_requests,
        active=m.is_active and user.is_active,
        past_mentee_ids=tuple(sid for sid, _ in mentees),
        past_mentee_dates=tuple(day for _, day in mentees),
        rating_count=rating.count if rating else 0,
        rating_mean=rating.mean if rating else None,
    )


def investor_profile(
    inv: Investor,
    entries: Sequence[PortfolioEntry],
    deal_dates: Mapping[int, date] | None = None,
) -> T.InvestorProfile:
    """``deal_dates``: entry id -> the day of the investment, where an "invested" outcome
    records it (``PortfolioEntry`` itself keeps only the year)."""
    return T.InvestorProfile(
        id=inv.id,
        name=inv.name,
        type=_opt(inv.type),
        thesis=inv.thesis or "",
        sectors=tuple(inv.sectors),
        stages=tuple(inv.stages),
        ticket_min=money(inv.ticket_min),
        ticket_max=money(inv.ticket_max),
        currency=inv.currency or None,
        instruments=tuple(inv.instruments),
        regions=tuple(inv.regions),
        portfolio=tuple(
            T.PortfolioCompany(
                company=e.company,
                description=e.description or "",
                sectors=(e.sector,) if e.sector else (),
                round=_opt(e.round),
                year=e.year,
                startup_id=e.startup_id,
                date=(deal_dates or {}).get(e.id),
            )
            for e in entries
        ),
        active=inv.is_active,
    )


def equipment_profile(e: Equipment, facility: Facility, free_hours: float | None = None) -> Any:
    return T.EquipmentProfile(
        id=e.id,
        name=e.name,
        category=_opt(e.category),
        model=e.model_specs or "",
        description=e.description or "",
        facility_name=facility.name,
        facility_id=facility.id,
        location=facility.location or "",
        price_per_hour=money(e.price_per_hour),
        voucher_eligible=e.voucher_eligible,
        training_required=e.training_required,
        active=e.is_active and facility.is_active,
        free_hours_next_14d=free_hours,
    )


def load_profiles(
    session: Session, kind: str, ids: Collection[int] | None = None
) -> dict[int, Any]:
    """Engine profiles of ``kind`` (active ones only), in a fixed number of queries."""
    loader = _LOADERS.get(kind)
    if loader is None:
        raise ValueError(f"unknown kind {kind!r}")
    return loader(session, ids)


def _among(column: Any, ids: Collection[int] | None) -> list[Any]:
    """The filter keeping rows whose ``column`` is in ``ids``; none when ``ids`` is None (every
    row), to be unpacked into ``.where(...)``."""
    return [] if ids is None else [column.in_(list(ids))]


def _startup_profiles(session: Session, ids: Collection[int] | None) -> dict[int, Any]:
    rows = session.scalars(
        sa.select(Startup).where(Startup.is_active, *_among(Startup.id, ids))
    ).all()
    asks: dict[int, FundingAsk] = {}
    ask_rows = session.scalars(
        sa.select(FundingAsk)
        .where(FundingAsk.is_open, *_among(FundingAsk.startup_id, ids))
        .order_by(FundingAsk.created_at, FundingAsk.id)
    )
    for ask in ask_rows:
        asks[ask.startup_id] = ask  # the latest open ask wins
    return {s.id: startup_profile(s, asks.get(s.id)) for s in rows}


def _mentor_profiles(session: Session, ids: Collection[int] | None) -> dict[int, Any]:
    pairs = session.execute(
        sa.select(Mentor, User)
        .join(User, Mentor.user_id == User.id)
        .where(Mentor.is_active, User.is_active, *_among(Mentor.id, ids))
    ).all()
    mentees: dict[int, list[tuple[int, date | None]]] = defaultdict(list)
    mentee_rows = session.execute(
        sa.select(MentorMentee.mentor_id, MentorMentee.startup_id, MentorMentee.since)
        .where(*_among(MentorMentee.mentor_id, ids))
        .order_by(
            MentorMentee.mentor_id,
            MentorMentee.since.is_not(None),
            MentorMentee.since,
            MentorMentee.startup_id,
        )
    )
    for mentor_id, startup_id, since in mentee_rows:
        mentees[mentor_id].append((startup_id, since))
    mentor_ids = [m.id for m, _ in pairs]
    used = in_chunks(lambda chunk: capacity_of(session, "mentor", chunk), mentor_ids)
    ratings = in_chunks(lambda chunk: mentor_ratings(session, chunk), mentor_ids)
    return {
        m.id: mentor_profile(m, u, mentees.get(m.id, ()), int(used.get(m.id, 0)), ratings.get(m.id))
        for m, u in pairs
    }


def _investor_profiles(session: Session, ids: Collection[int] | None) -> dict[int, Any]:
    investors = session.scalars(
        sa.select(Investor).where(Investor.is_active, *_among(Investor.id, ids))
    ).all()
    entries: dict[int, list[PortfolioEntry]] = defaultdict(list)
    entry_rows = session.scalars(
        sa.select(PortfolioEntry)
        .where(*_among(PortfolioEntry.investor_id, ids))
        .order_by(
            PortfolioEntry.investor_id,
            PortfolioEntry.year.is_not(None),
            PortfolioEntry.year,
            PortfolioEntry.id,
        )
    )
    for entry in entry_rows:
        entries[entry.investor_id].append(entry)
    dates = _deal_dates(session, entries, ids)
    return {i.id: investor_profile(i, entries.get(i.id, ()), dates) for i in investors}


def _equipment_profiles(session: Session, ids: Collection[int] | None) -> dict[int, Any]:
    eq_rows = session.execute(
        sa.select(Equipment, Facility)
        .join(Facility, Equipment.facility_id == Facility.id)
        .where(Equipment.is_active, Facility.is_active, *_among(Equipment.id, ids))
    ).all()
    free = in_chunks(
        lambda chunk: capacity_of(session, "equipment", chunk), [e.id for e, _ in eq_rows]
    )
    return {
        e.id: equipment_profile(e, f, money(free.get(e.id)) if e.id in free else None)
        for e, f in eq_rows
    }


_LOADERS: dict[str, Callable[[Session, Collection[int] | None], dict[int, Any]]] = {
    "startup": _startup_profiles,
    "mentor": _mentor_profiles,
    "investor": _investor_profiles,
    "equipment": _equipment_profiles,
}


def _deal_dates(
    session: Session, entries: Mapping[int, Sequence[PortfolioEntry]], ids: Collection[int] | None
) -> dict[int, date]:
    """Day of each platform-linked portfolio entry, from the "invested" outcomes of the same
    investor and startup in the entry's year (recency is measured in months, a year is too
    coarse). Entries without such an outcome keep only their year."""
    query = sa.select(
        MatchOutcome.candidate_id, MatchOutcome.startup_id, MatchOutcome.created_at
    ).where(
        MatchOutcome.candidate_kind == "investor",
        MatchOutcome.outcome == "invested",
        *_among(MatchOutcome.candidate_id, ids),
    )
    days: dict[tuple[int, int], list[date]] = defaultdict(list)
    for investor_id, startup_id, created_at in session.execute(
        query.order_by(MatchOutcome.created_at)
    ):
        days[(investor_id, startup_id)].append(created_at.date())
    out: dict[int, date] = {}
    if not days:
        return out
    for investor_id, rows in entries.items():
        for e in rows:
            free = days.get((investor_id, e.startup_id or -1))
            if not free:
                continue
            day = next((d for d in free if e.year is None or d.year == e.year), None)
            if day is not None:
                free.remove(day)
                out[e.id] = day
    return out


def startup_for_ranking(session: Session, rec: Recommender, startup_id: int) -> Any:
    """The corpus profile, or a fresh one from the database (e.g. a deactivated startup asking
    for its own page); NotFound if there is no such startup."""
    if startup_id in rec.corpus.profiles["startup"]:
        return startup_id
    startup = session.get(Startup, startup_id)
    if startup is None:
        raise NotFound(_not_found())
    ask = session.scalar(
        sa.select(FundingAsk)
        .where(FundingAsk.startup_id == startup_id, FundingAsk.is_open)
        .order_by(FundingAsk.created_at.desc(), FundingAsk.id.desc())
        .limit(1)
    )
    return startup_profile(startup, ask)


def _not_found() -> Any:
    from matchmaker.i18n import lazy_gettext as _l

    return _l("This profile does not exist.")
