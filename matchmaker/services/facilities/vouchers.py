"""Innovation vouchers (创新券): issue, hold on a booking, redeem at completion, release.

The balance moves only through one conditional UPDATE (``balance = balance - x WHERE balance
>= x``), which the database applies atomically even when bookings race, and a CHECK keeps it in
``[0, amount]``. Every movement is a ``VoucherEntry`` row; a booking holds, releases and redeems
at most once (unique per booking and kind), so the same value is never spent twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, Startup, StartupMember, User, utcnow
from matchmaker.models.bookings import (
    EquipmentBooking,
    Voucher,
    VoucherEntry,
    VoucherEntryKind,
    VoucherState,
)
from matchmaker.services import exports, notifications
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.transactions import commit, use_case
from matchmaker.timezones import wall_clock


@use_case
def issue_voucher(
    session: Session,
    operator: User,
    *,
    startup_id: int,
    amount: Decimal | None,
    valid_from: date,
    valid_until: date,
    categories: Sequence[str],
    note: str = "",
) -> Voucher:
    """An operator issues a voucher to a startup (a new code, the full amount as
    balance, an ``issue`` ledger entry); the startup's members are notified."""
    if not operator.is_operator:
        raise Forbidden(_l("Only operators issue innovation vouchers."))
    startup = session.get(Startup, startup_id)
    if startup is None:
        raise NotFound(_l("No such startup."))
    if amount is None or amount <= 0:
        raise Invalid(_l("The amount must be positive."), field="amount")
    if valid_until < valid_from:
        raise Invalid(_l("The voucher must end after it starts."), field="valid_until")
    voucher = Voucher(
        code=f"CXQ-{valid_from.year}-{secrets.token_hex(4).upper()}",
        startup_id=startup_id,
        amount=amount,
        balance=amount,
        valid_from=valid_from,
        valid_until=valid_until,
        categories=list(categories),
        note=note.strip(),
        issued_by_id=operator.id,
    )
    add_issued(session, voucher)
    rows = notifications.notify(
        session,
        [m.user_id for m in startup.members],
        "facilities.voucher_issued",
        amount=str(amount),
        startup=startup.name,
        until=valid_until.isoformat(),
    )
    commit(session)
    notifications.send_after_commit(session, rows)
    return voucher


def add_issued(session: Session, voucher: Voucher, *, at: datetime | None = None) -> None:
    """Add a new voucher with its ``issue`` ledger line (the full amount, by its issuer; ``at``
    dates the line, else now). No checks and no commit: ``issue_voucher`` and the demo data."""
    session.add(voucher)
    session.flush()
    entry = VoucherEntry(
        voucher_id=voucher.id,
        kind=VoucherEntryKind.ISSUE,
        amount=voucher.amount,
        balance_after=voucher.amount,
        actor_id=voucher.issued_by_id,
    )
    if at is not None:
        entry.created_at = at
    session.add(entry)


def usable_vouchers(
    session: Session, startup_id: int, category: str | None = None, on: date | None = None
) -> list[Voucher]:
    """A startup's vouchers with a balance, valid on ``on`` (today, local) and covering
    ``category`` (a voucher with no categories covers every one), soonest to expire first."""
    on = on or wall_clock(utcnow()).date()
    vouchers = session.scalars(
        sa.select(Voucher)
        .where(
            Voucher.startup_id == startup_id,
            Voucher.balance > 0,
            Voucher.valid_from <= on,
            Voucher.valid_until >= on,
        )
        .order_by(Voucher.valid_until, Voucher.id)
    )
    return [v for v in vouchers if category is None or not v.categories or category in v.categories]


def hold(
    session: Session,
    booking: EquipmentBooking,
    voucher_id: int,
    amount: Decimal | None,
    actor: User,
) -> Decimal:
    """Move voucher value onto ``booking`` (inside the caller's transaction); the amount held.

    ``amount`` None applies as much as the booking's price and the balance allow.
    """
    voucher = session.get(Voucher, voucher_id)
    equipment = booking.equipment
    if voucher is None or voucher.startup_id != booking.startup_id:
        raise NotFound(_l("No such voucher for this startup."), field="voucher_id")
    day = wall_clock(booking.starts_at).date()
    if not (voucher.valid_from <= day <= voucher.valid_until):
        raise Invalid(_l("The voucher is not valid on the booking date."), field="voucher_id")
    if not equipment.voucher_eligible or (
        voucher.categories and equipment.category not in voucher.categories
    ):
        raise Invalid(_l("This voucher cannot be used for this instrument."), field="voucher_id")
    balance = session.scalar(sa.select(Voucher.balance).where(Voucher.id == voucher_id))
    wanted = min(booking.price, balance or Decimal("0")) if amount is None else amount
    if wanted <= 0:
        raise Invalid(_l("The voucher has no balance left."), field="voucher_id")
    if wanted > booking.price:
        raise Invalid(_l("A voucher cannot pay more than the booking costs."), field="voucher_id")
    result = session.execute(
        sa.update(Voucher)
        .where(Voucher.id == voucher_id, Voucher.balance >= wanted)
        .values(balance=Voucher.balance - wanted, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Invalid(_l("The voucher balance is not enough."), field="voucher_id")
    booking.voucher_id = voucher_id
    booking.voucher_amount = wanted
    booking.voucher_state = VoucherState.HELD
    _enter(session, booking, VoucherEntryKind.HOLD, wanted, actor)
    session.expire(voucher)
    return wanted


def release(session: Session, booking: EquipmentBooking, actor: User | None) -> None:
    """Give a held amount back to the voucher (cancelled, declined, no-show, expired; no
    ``actor`` when the expiry job does it)."""
    if booking.voucher_state != VoucherState.HELD or booking.voucher_id is None:
        return
    amount = booking.voucher_amount
    session.execute(
        sa.update(Voucher)
        .where(Voucher.id == booking.voucher_id)
        .values(balance=Voucher.balance + amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    booking.voucher_state = VoucherState.RELEASED
    _enter(session, booking, VoucherEntryKind.RELEASE, amount, actor)
    if booking.voucher is not None:
        session.expire(booking.voucher)


def redeem(session: Session, booking: EquipmentBooking, actor: User) -> None:
    """The facility collects the held amount when the booking is completed."""
    if booking.voucher_state != VoucherState.HELD or booking.voucher_id is None:
        return
    booking.voucher_state = VoucherState.REDEEMED
    _enter(session, booking, VoucherEntryKind.REDEEM, booking.voucher_amount, actor)


def _enter(
    session: Session,
    booking: EquipmentBooking,
    kind: VoucherEntryKind,
    amount: Decimal,
    actor: User | None,
) -> None:
    """Write the ledger line of a movement of ``booking``'s voucher value, with the balance
    the voucher is left with (read back: the UPDATE moved it in the database)."""
    after = session.scalar(sa.select(Voucher.balance).where(Voucher.id == booking.voucher_id))
    session.add(
        VoucherEntry(
            voucher_id=booking.voucher_id,
            booking_id=booking.id,
            facility_id=booking.equipment.facility_id,
            kind=kind,
            amount=amount,
            balance_after=after,
            actor_id=actor.id if actor is not None else None,
        )
    )


@dataclass(frozen=True)
class LedgerLine:
    created_at: object
    voucher_code: str
    startup: str
    kind: str
    amount: Decimal
    balance_after: Decimal
    booking_id: int | None
    equipment: str


def _ledger(session: Session, where: sa.ColumnElement[bool]) -> list[LedgerLine]:
    entries = session.scalars(
        sa.select(VoucherEntry)
        .join(Voucher, Voucher.id == VoucherEntry.voucher_id)
        .where(where)
        .options(selectinload(VoucherEntry.voucher).selectinload(Voucher.startup))
        .order_by(VoucherEntry.created_at, VoucherEntry.id)
    ).all()
    booking_ids = {e.booking_id for e in entries if e.booking_id}
    names = dict(
        session.execute(
            sa.select(EquipmentBooking.id, EquipmentBooking.equipment_id).where(
                EquipmentBooking.id.in_(booking_ids)
            )
        ).all()
    )
    eq_names = dict(
        session.execute(
            sa.select(Equipment.id, Equipment.name).where(Equipment.id.in_(set(names.values())))
        ).all()
    )
    return [
        LedgerLine(
            created_at=wall_clock(e.created_at),
            voucher_code=e.voucher.code,
            startup=e.voucher.startup.name,
            kind=e.kind,
            amount=e.amount,
            balance_after=e.balance_after,
            booking_id=e.booking_id,
            equipment=eq_names.get(names.get(e.booking_id or 0, 0), ""),
        )
        for e in entries
    ]


def startup_ledger(session: Session, startup_id: int) -> list[LedgerLine]:
    """Every movement of a startup's vouchers, oldest first."""
    return _ledger(session, Voucher.startup_id == startup_id)


def facility_ledger(session: Session, facility_id: int) -> list[LedgerLine]:
    """Every voucher movement on a facility's bookings, oldest first."""
    return _ledger(session, VoucherEntry.facility_id == facility_id)


def listed_vouchers(session: Session, user: User) -> list[Voucher]:
    """The voucher list ``user`` may read, with each voucher's startup: an operator the 500
    latest issued, anyone else the vouchers of the startups they are a member of."""
    stmt = sa.select(Voucher).options(selectinload(Voucher.startup))
    if user.is_operator:
        stmt = stmt.order_by(Voucher.created_at.desc()).limit(500)
    else:
        mine = sa.select(StartupMember.startup_id).where(StartupMember.user_id == user.id)
        stmt = stmt.where(Voucher.startup_id.in_(mine)).order_by(Voucher.id)
    return list(session.scalars(stmt))


def startups_to_issue_to(session: Session) -> list[Startup]:
    """Active startups by name: who an operator can issue a voucher to."""
    return list(
        session.scalars(
            sa.select(Startup).where(Startup.is_active.is_(True)).order_by(Startup.name)
        )
    )


def ledger_startup(session: Session, user: User, startup_id: int) -> Startup:
    """The startup whose ledger ``user`` asks for: operators and its members only. Anyone else
    gets the same ``NotFound`` as for a startup that does not exist."""
    startup = session.get(Startup, startup_id)
    if startup is None or not (user.is_operator or startup.has_member(user)):
        raise NotFound(_l("No such startup."))
    return startup


def ledger_facility(session: Session, user: User, facility_id: int) -> Facility:
    """The facility whose ledger ``user`` asks for: operators and its managers only (else
    ``NotFound``, as for a facility that does not exist)."""
    facility = session.get(Facility, facility_id)
    if facility is None or not (user.is_operator or facility.has_manager(user)):
        raise NotFound(_l("No such facility."))
    return facility


def startup_vouchers(session: Session, startup_id: int) -> list[Voucher]:
    """A startup's vouchers, in the order issued."""
    return list(
        session.scalars(
            sa.select(Voucher).where(Voucher.startup_id == startup_id).order_by(Voucher.id)
        )
    )


LEDGER_HEADER = (
    "time",
    "voucher",
    "startup",
    "kind",
    "amount",
    "balance_after",
    "booking",
    "equipment",
)


def _ledger_rows(lines: Sequence[LedgerLine]) -> list[list[object]]:
    return [
        [
            f"{line.created_at:%Y-%m-%d %H:%M}",
            line.voucher_code,
            line.startup,
            line.kind,
            line.amount,
            line.balance_after,
            line.booking_id or "",
            line.equipment,
        ]
        for line in lines
    ]


def ledger_csv(lines: Sequence[LedgerLine]) -> str:
    """The ledger as CSV (cells guarded against formula injection by ``exports``)."""
    return exports.csv_text([exports.header(LEDGER_HEADER), *_ledger_rows(lines)])


def ledger_xlsx(lines: Sequence[LedgerLine]) -> bytes:
    """The ledger as an Excel workbook."""
    return exports.to_xlsx(
        [(str(_l("Voucher ledger")), exports.header(LEDGER_HEADER), _ledger_rows(lines))]
    )
