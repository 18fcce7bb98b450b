"""Funding, founder side: funding asks with their pitch deck, recommended investors, pitches.

Sending pitches is limited per startup and rolling week (``FUNDING_PITCHES_PER_WEEK``). The
count and the inserts happen in one write transaction: ``begin_write`` takes SQLite's write lock
before the count, and on PostgreSQL the startup row is locked ``FOR UPDATE`` so two concurrent
sends for one startup are serialised. A unique (ask, investor) constraint guarantees that no
investor is pitched twice for the same ask.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from matchmaker import vocab
from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext as _ln
from matchmaker.models import FundingAsk, Investor, InvestorMember, Startup, StartupMember, User
from matchmaker.models.base import utcnow
from matchmaker.models.funding import (
    FINAL_STAGES,
    Introduction,
    Pitch,
    PitchDeck,
    PitchStageChange,
)
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from matchmaker.services.funding.matching import (
    FitReason,
    FundingNeed,
    fit_reasons,
    fit_score,
    investor_fits,
    need_for,
)
from matchmaker.services.funding.pitch_decks import StagedDeck, remove_deck
from matchmaker.services.recommendations import bridge
from matchmaker.services.transactions import commit, use_case

log = logging.getLogger(__name__)

DEFAULT_PITCHES_PER_WEEK = 5

# --- who may do what -------------------------------------------------------------------------


def member_investor_ids(session: Session, user: Any) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        session.scalars(
            sa.select(InvestorMember.investor_id)
            .join(Investor, Investor.id == InvestorMember.investor_id)
            .where(InvestorMember.user_id == user.id)
            .order_by(Investor.name)
        )
    )


def member_startup_ids(session: Session, user: Any) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        session.scalars(sa.select(StartupMember.startup_id).where(StartupMember.user_id == user.id))
    )


def is_startup_member(session: Session, user: Any, startup_id: int) -> bool:
    return startup_id in member_startup_ids(session, user)


def is_investor_member(session: Session, user: Any, investor_id: int) -> bool:
    return investor_id in member_investor_ids(session, user)


def _startup_for_member(session: Session, user: User, startup_id: int) -> Startup:
    startup = session.get(Startup, startup_id)
    if startup is None:
        raise NotFound(_l("This startup does not exist."))
    if not is_startup_member(session, user, startup_id):
        raise Forbidden(_l("Only the startup's team can manage its funding."))
    return startup


def ask_for_member(session: Session, user: Any, ask_id: int) -> FundingAsk:
    ask = session.get(FundingAsk, ask_id)
    if ask is None:
        raise NotFound(_l("This funding ask does not exist."))
    if not is_startup_member(session, user, ask.startup_id):
        raise Forbidden(_l("Only the startup's team can manage its funding."))
    return ask


def can_view_deck(session: Session, user: Any, ask: FundingAsk) -> bool:
    """The team, the operators and the members of funds the ask was pitched to."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_operator or is_startup_member(session, user, ask.startup_id):
        return True
    funds = member_investor_ids(session, user)
    if not funds:
        return False
    pitched = session.scalar(
        sa.select(sa.func.count(Pitch.id)).where(
            Pitch.ask_id == ask.id, Pitch.investor_id.in_(funds)
        )
    )
    return bool(pitched)


# --- asks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AskInput:
    round: str
    amount: Decimal | str
    currency: str
    instrument: str
    use_of_funds: str = ""
    traction: str = ""
    is_open: bool = True


def _validated(data: AskInput) -> dict[str, Any]:
    if data.round not in vocab.ROUNDS or data.round == "none":
        raise Invalid(_l("Choose the round you are raising."), field="round")
    if data.currency not in vocab.CURRENCIES:
        raise Invalid(_l("Choose a currency."), field="currency")
    if data.instrument not in vocab.INSTRUMENTS:
        raise Invalid(_l("Choose an instrument."), field="instrument")
    try:
        amount = Decimal(str(data.amount))
    except (InvalidOperation, ValueError):
        raise Invalid(_l("Enter the amount as a number."), field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e14"):
        raise Invalid(_l("The amount must be a positive number."), field="amount")
    return {
        "round": data.round,
        "amount": amount.quantize(Decimal("0.01")),
        "currency": data.currency,
        "instrument": data.instrument,
        "use_of_funds": data.use_of_funds.strip(),
        "traction": data.traction.strip(),
        "is_open": data.is_open,
    }


def _attach_deck(session: Session, ask: FundingAsk, deck: StagedDeck, user: User) -> str | None:
    """Point the ask at the staged deck; returns the replaced file's name, removed after commit."""
    old = session.scalar(sa.select(PitchDeck).where(PitchDeck.ask_id == ask.id))
    replaced = None
    if old is not None:
        replaced = old.stored_name
        session.delete(old)
        session.flush()
    session.add(
        PitchDeck(
            ask_id=ask.id,
            stored_name=deck.stored_name,
            original_name=deck.original_name,
            size=deck.size,
            uploaded_by_id=user.id,
        )
    )
    return replaced


def save_ask(
    session: Session,
    user: User,
    data: AskInput,
    *,
    startup_id: int | None = None,
    ask_id: int | None = None,
    deck: StagedDeck | None = None,
    upload_dir: str = "",
) -> FundingAsk:
    """Create (``startup_id``) or update (``ask_id``) a funding ask, with an optional new deck.

    The staged deck is published only after the commit and discarded on any refusal, so a
    failed save stores no file.
    """
    try:
        ask, replaced = _save_ask_row(session, user, data, startup_id, ask_id, deck)
    except BaseException:
        if deck is not None:
            deck.discard()
        raise
    if deck is not None:
        deck.publish()
        if replaced:
            remove_deck(upload_dir, replaced)
    return ask


@use_case
def _save_ask_row(
    session: Session,
    user: User,
    data: AskInput,
    startup_id: int | None,
    ask_id: int | None,
    deck: StagedDeck | None,
) -> tuple[FundingAsk, str | None]:
    """The ask's row and its deck's, committed; returns the ask and the replaced deck file."""
    values = _validated(data)
    user_id = user.id
    begin_write(session)
    user = session.get(User, user_id) or user
    if ask_id is not None:
        ask = ask_for_member(session, user, ask_id)
        for key, value in values.items():
            setattr(ask, key, value)
    else:
        ask = FundingAsk(startup=_startup_for_member(session, user, startup_id or 0), **values)
        session.add(ask)
        session.flush()
    replaced = _attach_deck(session, ask, deck, user) if deck is not None else None
    commit(session)
    return ask, replaced


def deck_of(session: Session, ask_id: int) -> PitchDeck | None:
    return session.scalar(sa.select(PitchDeck).where(PitchDeck.ask_id == ask_id))


def deck_for_viewer(session: Session, user: Any, ask_id: int) -> PitchDeck:
    ask = session.get(FundingAsk, ask_id)
    if ask is None:
        raise NotFound(_l("This funding ask does not exist."))
    if not can_view_deck(session, user, ask):
        raise Forbidden(_l("Only the startup's team and the funds it pitched can see this deck."))
    deck = deck_of(session, ask_id)
    if deck is None:
        raise NotFound(_l("No pitch deck was uploaded."))
    return deck


# --- recommended investors -------------------------------------------------------------------


@dataclass
class InvestorMatch:
    investor: Investor
    score: float
    reasons: list[Any] = field(default_factory=list)
    fit: list[FitReason] = field(default_factory=list)
    pitch: Pitch | None = None

    @property
    def shown_reasons(self) -> list[Any]:
        """What fits first (round, ticket, instrument), then the engine's reasons, then the
        other stated-preference facts the engine did not state."""
        first = [f for f in self.fit if f.code in _FIT_FIRST]
        codes: set[str | None] = {r.code for r in first}
        engine = [r for r in self.reasons if getattr(r, "code", None) not in codes]
        codes |= {getattr(r, "code", None) for r in engine}
        return [*first, *engine, *(f for f in self.fit if f.code not in codes)]


_FIT_FIRST = ("stage_fit", "ticket_fit", "instrument_fit")


def _engine_scores(session: Session, startup_id: int, limit: int) -> tuple[dict[int, Any], bool]:
    """Scores and reasons of the engine (``services.recommendations.bridge``), if it answers."""
    try:
        matches = bridge.recommend_investors(session, startup_id, limit=limit)
    except Exception:  # the engine is optional here: fall back to the stated-preference ranking
        log.exception("recommend_investors failed for startup %s", startup_id)
        # A read, not a use case: a failed statement aborts a PostgreSQL transaction, and the
        # fallback's reads need a fresh one.
        session.rollback()
        return {}, False
    return {int(m.id): m for m in matches}, True


def _ask_and_its_pitches(
    session: Session, startup_id: int, ask: FundingAsk | None
) -> tuple[FundingAsk | None, dict[int, Pitch]]:
    """``ask`` (else the startup's latest open ask) and its pitches by investor: one statement
    either way (the latest open ask is a subquery joined to its pitches)."""
    if ask is not None:
        pitches = session.scalars(sa.select(Pitch).where(Pitch.ask_id == ask.id))
        return ask, {p.investor_id: p for p in pitches}
    latest = aliased(FundingAsk)
    latest_id = (
        sa.select(latest.id)
        .where(latest.startup_id == startup_id, latest.is_open.is_(True))
        .order_by(latest.created_at.desc(), latest.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(FundingAsk, Pitch)
        .outerjoin(Pitch, Pitch.ask_id == FundingAsk.id)
        .where(FundingAsk.id == latest_id)
    ).all()
    if not rows:
        return None, {}
    return rows[0][0], {p.investor_id: p for _, p in rows if p is not None}


def recommend_investors_for_startup(
    session: Session,
    startup: Startup,
    *,
    ask: FundingAsk | None = None,
    limit: int = 10,
    use_engine: bool = True,
) -> tuple[FundingNeed, list[InvestorMatch]]:
    """Investors whose stated preferences the startup's need satisfies, best first, with reasons:
    the one list behind the ask page, the founder's dashboard and the pathway.

    The need is ``ask``, else the startup's latest open ask, else its profile's stand-in
    (``funding_match.need_for``). Every candidate passes ``funding_match.investor_fits``; the
    engine's ranking orders them where available (its reasons are kept) and investors it does
    not return but which fit follow by the stated-preference score, so a fitting fund is never
    hidden because an index is stale.
    """
    ask, pitches = _ask_and_its_pitches(session, startup.id, ask)
    need = need_for(startup, ask)
    engine = _engine_scores(session, startup.id, max(limit * 3, 30))[0] if use_engine else {}
    # Every active fund with its portfolio (the portfolio_neighbour fact) in one statement.
    investors = (
        session.scalars(
            sa.select(Investor)
            .where(Investor.is_active.is_(True))
            .options(joinedload(Investor.portfolio))
        )
        .unique()
        .all()
    )
    out = []
    for investor in investors:
        if not investor_fits(investor, need, startup):
            continue
        fit = fit_reasons(investor, need, startup)
        match = engine.get(investor.id)
        if match is not None:
            score = 1.0 + float(match.score)  # engine-ranked first
            reasons = list(match.reasons)
        else:
            score = fit_score(fit)
            reasons = []
        out.append(InvestorMatch(investor, score, reasons, fit, pitches.get(investor.id)))
    out.sort(key=lambda m: (-m.score, m.investor.name))
    return need, out[:limit]


def investor_recommendations(
    session: Session, startup: Startup, limit: int, *, use_engine: bool = True
) -> list[bridge.Match]:
    """``recommend_investors_for_startup`` as the engine's matches (what fits first, then the
    engine's reasons): the investors a founder's dashboard and the open data API show."""
    _, matches = recommend_investors_for_startup(
        session, startup, limit=limit, use_engine=use_engine
    )
    return [
        bridge.Match(
            "investor", m.investor.id, m.score, tuple(m.shown_reasons), m.investor
        )
        for m in matches
    ]


def recommend_investors_for_ask(
    session: Session, ask: FundingAsk, *, limit: int = 10, use_engine: bool = True
) -> list[InvestorMatch]:
    """Investors whose stated preferences the ask satisfies, best first, with reasons."""
    return recommend_investors_for_startup(
        session, ask.startup, ask=ask, limit=limit, use_engine=use_engine
    )[1]


# --- pitches ---------------------------------------------------------------------------------


_ALREADY_PITCHED = _l("You have already pitched this investor with this ask.")


def pitches_this_week(session: Session, startup_id: int) -> int:
    since = utcnow() - timedelta(days=7)
    return (
        session.scalar(
            sa.select(sa.func.count(Pitch.id)).where(
                Pitch.startup_id == startup_id, Pitch.created_at >= since
            )
        )
        or 0
    )


@use_case
def send_pitches(
    session: Session,
    user: User,
    ask_id: int,
    investor_ids: Sequence[int],
    *,
    message: str = "",
    weekly_limit: int = DEFAULT_PITCHES_PER_WEEK,
    link_for: Any = None,
) -> list[Pitch]:
    """Pitch the ask to ``investor_ids``; refuses the whole batch if it would pass the limit."""
    wanted = list(dict.fromkeys(int(i) for i in investor_ids))
    if not wanted:
        raise Invalid(_l("Choose at least one investor to pitch."), field="investor_ids")
    user_id = user.id
    begin_write(session)
    ask = ask_for_member(session, session.get(User, user_id), ask_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(Startup.id).where(Startup.id == ask.startup_id).with_for_update())
    if not ask.is_open:
        raise Invalid(_l("This funding ask is closed; reopen it to pitch."))
    already = set(
        session.scalars(
            sa.select(Pitch.investor_id).where(
                Pitch.ask_id == ask.id, Pitch.investor_id.in_(wanted)
            )
        )
    )
    if already:
        raise Conflict(_ALREADY_PITCHED)
    investors = session.scalars(
        sa.select(Investor)
        .where(Investor.id.in_(wanted), Investor.is_active.is_(True))
        .options(selectinload(Investor.members))
    ).all()
    if len(investors) != len(wanted):
        raise NotFound(_l("This investor does not exist."))
    used = pitches_this_week(session, ask.startup_id)
    if used + len(wanted) > weekly_limit:
        raise RateLimited(
            _ln(
                "You can send %(num)d pitch a week; %(left)d left this week.",
                "You can send %(num)d pitches a week; %(left)d left this week.",
                weekly_limit,
                left=max(0, weekly_limit - used),
            ),
            field="investor_ids",
        )
    startup_name = ask.startup.name
    pitches, rows = [], []
    for investor in investors:
        pitch = Pitch(
            ask_id=ask.id,
            startup_id=ask.startup_id,
            investor_id=investor.id,
            sent_by_id=user_id,
            message=message.strip(),
            stage="new",
        )
        pitch.history.append(PitchStageChange(from_stage="", to_stage="new", changed_by_id=user_id))
        session.add(pitch)
        session.flush()
        pitches.append(pitch)
        rows += notifications.notify(
            session,
            [m.user_id for m in investor.members],
            "funding.pitch_received",
            link=link_for(pitch) if link_for else "",
            startup=startup_name,
            investor=investor.name,
        )
    commit(session, _ALREADY_PITCHED)  # the unique (ask, investor) settles a concurrent send
    notifications.send_after_commit(session, rows)
    return pitches


# --- founder's overview ----------------------------------------------------------------------


@dataclass
class AskOverview:
    ask: FundingAsk
    pitches: list[Pitch]
    deck: PitchDeck | None


@dataclass
class StartupFunding:
    startup: Startup
    asks: list[AskOverview]
    pitches_this_week: int


def founder_overview(session: Session, user: Any) -> list[StartupFunding]:
    ids = member_startup_ids(session, user)
    if not ids:
        return []
    startups = session.scalars(sa.select(Startup).where(Startup.id.in_(ids)).order_by(Startup.name))
    asks = session.scalars(
        sa.select(FundingAsk)
        .where(FundingAsk.startup_id.in_(ids))
        .order_by(FundingAsk.created_at.desc(), FundingAsk.id.desc())
    ).all()
    ask_ids = [a.id for a in asks]
    pitches = session.scalars(
        sa.select(Pitch)
        .where(Pitch.ask_id.in_(ask_ids))
        .options(selectinload(Pitch.investor))
        .order_by(Pitch.created_at.desc())
    ).all()
    decks = {
        d.ask_id: d
        for d in session.scalars(sa.select(PitchDeck).where(PitchDeck.ask_id.in_(ask_ids)))
    }
    out = []
    for s in startups:
        overviews = [
            AskOverview(a, [p for p in pitches if p.ask_id == a.id], decks.get(a.id))
            for a in asks
            if a.startup_id == s.id
        ]
        out.append(StartupFunding(s, overviews, pitches_this_week(session, s.id)))
    return out


def ask_pitches(session: Session, ask_id: int) -> list[Pitch]:
    return list(
        session.scalars(
            sa.select(Pitch)
            .where(Pitch.ask_id == ask_id)
            .options(selectinload(Pitch.investor))
            .order_by(Pitch.created_at.desc())
        )
    )


def open_ask_of(session: Session, startup_id: int) -> FundingAsk | None:
    return session.scalar(
        sa.select(FundingAsk)
        .where(FundingAsk.startup_id == startup_id, FundingAsk.is_open.is_(True))
        .order_by(FundingAsk.created_at.desc(), FundingAsk.id.desc())
        .limit(1)
    )


def open_asks_for_member(session: Session, user: Any) -> list[FundingAsk]:
    ids = member_startup_ids(session, user)
    if not ids:
        return []
    return list(
        session.scalars(
            sa.select(FundingAsk)
            .where(FundingAsk.startup_id.in_(ids), FundingAsk.is_open.is_(True))
            .options(selectinload(FundingAsk.startup))
            .order_by(FundingAsk.created_at.desc())
        )
    )


def dashboard_counts(session: Session, user: Any) -> dict[str, Any]:
    """Figures for the dashboard panel: the founder's asks and pitches, the fund's new deals.

    One statement whatever the user owns: the user's startups and funds are subqueries of the
    counts, not reads of their own (the dashboard runs on every sign-in)."""
    if not getattr(user, "is_authenticated", False):
        return {"is_founder": False, "is_investor": False, "pending_intros": 0}
    startups = sa.select(StartupMember.startup_id).where(StartupMember.user_id == user.id)
    funds = sa.select(InvestorMember.investor_id).where(InvestorMember.user_id == user.id)

    def count(column: Any, *where: Any) -> Any:
        return sa.select(sa.func.count(column)).where(*where).scalar_subquery()

    row = session.execute(
        sa.select(
            startups.exists().label("is_founder"),
            funds.exists().label("is_investor"),
            count(FundingAsk.id, FundingAsk.startup_id.in_(startups), FundingAsk.is_open.is_(True))
            .label("open_asks"),
            count(Pitch.id, Pitch.startup_id.in_(startups), Pitch.stage.not_in(FINAL_STAGES))
            .label("active_pitches"),
            count(Pitch.id, Pitch.investor_id.in_(funds), Pitch.stage == "new").label("new_deals"),
            count(
                Introduction.id,
                sa.or_(Introduction.startup_id.in_(startups), Introduction.investor_id.in_(funds)),
                Introduction.status == "pending",
            ).label("pending_intros"),
        )
    ).one()
    counts: dict[str, Any] = {
        "is_founder": bool(row.is_founder),
        "is_investor": bool(row.is_investor),
        "pending_intros": int(row.pending_intros or 0),
    }
    if counts["is_founder"]:
        counts["open_asks"] = int(row.open_asks or 0)
        counts["active_pitches"] = int(row.active_pitches or 0)
    if counts["is_investor"]:
        counts["new_deals"] = int(row.new_deals or 0)
    return counts
