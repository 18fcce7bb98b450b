"""Funding, founder side: who may manage a startup's funding, funding asks with their pitch
deck, and the investors recommended for a startup's need.

Sending the pitches is ``pitches``; what the pages show at a glance is ``overview``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from matchmaker import vocab
from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import FundingAsk, Investor, InvestorMember, Startup, StartupMember, User
from matchmaker.models.funding import Pitch, PitchDeck
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.funding import fund_fit
from matchmaker.services.funding.matching import (
    FitReason,
    FundingNeed,
    need_for,
)
from matchmaker.services.funding.pitch_decks import StagedDeck, remove_deck
from matchmaker.services.recommendations import bridge
from matchmaker.services.recommendations.engine_settings import Caller
from matchmaker.services.transactions import commit, use_case

log = logging.getLogger(__name__)

# --- who may do what -------------------------------------------------------------------------


def member_investor_ids(session: Session, user: Any) -> list[int]:
    """The funds ``user`` is a member of, by fund name ([] when signed out)."""
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


def member_funds(session: Session, user: Any) -> list[Investor]:
    """The funds ``user`` is a member of, by fund name ([] when signed out)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        session.scalars(
            sa.select(Investor)
            .join(InvestorMember, Investor.id == InvestorMember.investor_id)
            .where(InvestorMember.user_id == user.id)
            .order_by(Investor.name)
        )
    )


def member_startup_ids(session: Session, user: Any) -> list[int]:
    """The startups on whose team ``user`` is ([] when signed out)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        session.scalars(sa.select(StartupMember.startup_id).where(StartupMember.user_id == user.id))
    )


def is_startup_member(session: Session, user: Any, startup_id: int) -> bool:
    """Whether ``user`` is on the startup's team (False when signed out)."""
    return startup_id in member_startup_ids(session, user)


def startup_for_member(session: Session, user: Any, startup_id: int) -> Startup:
    """The startup, for a member of its team: NotFound if there is none, Forbidden otherwise."""
    startup = session.get(Startup, startup_id)
    if startup is None:
        raise NotFound(_l("This startup does not exist."))
    if not is_startup_member(session, user, startup_id):
        raise Forbidden(_l("Only the startup's team can manage its funding."))
    return startup


def ask_for_member(session: Session, user: Any, ask_id: int) -> FundingAsk:
    """The ask, for a member of its startup's team: NotFound if there is none, else Forbidden."""
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
        ask = FundingAsk(startup=startup_for_member(session, user, startup_id or 0), **values)
        session.add(ask)
        session.flush()
    replaced = _attach_deck(session, ask, deck, user) if deck is not None else None
    commit(session)
    return ask, replaced


def deck_of(session: Session, ask_id: int) -> PitchDeck | None:
    """The ask's deck (its metadata), without checking who asks: for pages already checked."""
    return session.scalar(sa.select(PitchDeck).where(PitchDeck.ask_id == ask_id))


def deck_for_viewer(session: Session, user: Any, ask_id: int) -> PitchDeck:
    """The deck for someone ``can_view_deck`` admits; Forbidden for others, NotFound if none."""
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


def _open_ask_with_pitches_statement() -> sa.Select[FundingAsk, Pitch]:
    latest = aliased(FundingAsk)
    latest_id = (
        sa.select(latest.id)
        .where(latest.startup_id == sa.bindparam("startup_id"), latest.is_open.is_(True))
        .order_by(latest.created_at.desc(), latest.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(FundingAsk, Pitch)
        .outerjoin(Pitch, Pitch.ask_id == FundingAsk.id)
        .where(FundingAsk.id == latest_id)
    )


# Built once, the startup bound when it runs: building it cost a pathway page more than
# running it (profiled).
_OPEN_ASK_WITH_PITCHES = _open_ask_with_pitches_statement()


def open_ask_and_pitches(
    session: Session, startup_id: int
) -> tuple[FundingAsk | None, dict[int, Pitch]]:
    """The startup's latest open ask and its pitches by investor, in one statement (the latest
    open ask is a subquery joined to its pitches)."""
    rows = session.execute(_OPEN_ASK_WITH_PITCHES, {"startup_id": startup_id}).all()
    if not rows:
        return None, {}
    return rows[0][0], {p.investor_id: p for _, p in rows if p is not None}


def _ask_and_its_pitches(
    session: Session, startup_id: int, ask: FundingAsk | None
) -> tuple[FundingAsk | None, dict[int, Pitch]]:
    """``ask`` (else the startup's latest open ask) and its pitches by investor: one statement
    either way."""
    if ask is None:
        return open_ask_and_pitches(session, startup_id)
    pitches = session.scalars(sa.select(Pitch).where(Pitch.ask_id == ask.id))
    return ask, {p.investor_id: p for p in pitches}


def recommend_investors_for_startup(
    session: Session,
    startup: Startup,
    *,
    ask: FundingAsk | None = None,
    pitches: dict[int, Pitch] | None = None,
    limit: int = 10,
    use_engine: bool = True,
    caller: Caller,
) -> tuple[FundingNeed, list[InvestorMatch]]:
    """Investors whose stated preferences the startup's need satisfies, best first, with reasons:
    the one list behind the ask page, the founder's dashboard and the pathway.

    The need is ``ask``, else the startup's latest open ask, else its profile's stand-in
    (``matching.need_for``). Every candidate passes ``matching.investor_fits``; the
    engine's ranking orders them where available (its reasons are kept) and investors it does
    not return but which fit follow by the stated-preference score, so a fitting fund is never
    hidden because an index is stale. Funds the startup's description names ("backed by X")
    and funds whose portfolio records the startup are current backers, shown as such, never in
    this list (as the engine leaves them out).
    ``caller``: who asks the engine (a view: ``Caller.web_request``). ``pitches``: the ask's
    pitches by investor, when the caller read them with it (``open_ask_and_pitches``).
    """
    if pitches is None:
        ask, pitches = _ask_and_its_pitches(session, startup.id, ask)
    need = need_for(startup, ask)
    read: dict[int, Investor] = {}
    ranked = fund_fit.ranked_funds(
        session, startup, need, limit, use_engine=use_engine, caller=caller, rows=read
    )
    funds = _funds_by_id(session, [f.investor_id for f in ranked], read)
    return need, [
        InvestorMatch(
            funds[f.investor_id], f.score, list(f.reasons), list(f.fit), pitches.get(f.investor_id)
        )
        for f in ranked
        if f.investor_id in funds
    ]


def _funds_by_id(
    session: Session, ids: list[int], read: dict[int, Investor]
) -> dict[int, Investor]:
    """The active funds ``ids``: those the fit check just ``read``, the others (a remembered
    answer) in one statement."""
    found = {i: read[i] for i in ids if i in read}
    missing = [i for i in ids if i not in found]
    if missing:
        found.update(
            (i.id, i) for i in session.scalars(sa.select(Investor).where(Investor.id.in_(missing)))
        )
    return {i: investor for i, investor in found.items() if investor.is_active}


def investor_recommendations(
    session: Session,
    startup: Startup,
    limit: int,
    *,
    use_engine: bool = True,
    caller: Caller,
) -> list[bridge.Match]:
    """``recommend_investors_for_startup`` as the engine's matches (what fits first, then the
    engine's reasons): the investors a founder's dashboard and the open data API show."""
    _, matches = recommend_investors_for_startup(
        session, startup, limit=limit, use_engine=use_engine, caller=caller
    )
    return [
        bridge.Match("investor", m.investor.id, m.score, tuple(m.shown_reasons), m.investor)
        for m in matches
    ]


def recommend_investors_for_ask(
    session: Session,
    ask: FundingAsk,
    *,
    limit: int = 10,
    use_engine: bool = True,
    caller: Caller,
) -> list[InvestorMatch]:
    """Investors whose stated preferences the ask satisfies, best first, with reasons."""
    return recommend_investors_for_startup(
        session, ask.startup, ask=ask, limit=limit, use_engine=use_engine, caller=caller
    )[1]
