"""Innovation vouchers: issue, hold on a booking, release on cancel, redeem on completion."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from matchmaker.models import Equipment, utcnow
from matchmaker.models.bookings import Voucher, VoucherEntry
from matchmaker.services.errors import Forbidden, Invalid
from matchmaker.services.facilities import vouchers
from matchmaker.services.facilities.bookings import lifecycle, reserve
from matchmaker.services.facilities.bookings.slot_checks import WantedSlot
from matchmaker.timezones import wall_clock
from tests.factories import make_equipment, make_user
from tests.integration.test_bookings import (  # noqa: F401 (fixtures)
    Lab,
    book,
    ctx_fixture,
    lab_fixture,
    local_slot,
)


def _issue(session: Session, lab: Lab, amount: str = "1000", **kw: object) -> Voucher:
    operator = make_user(session, "operator")
    today = wall_clock(utcnow()).date()
    values: dict[str, object] = {
        "startup_id": lab.startup_id,
        "amount": Decimal(amount),
        "valid_from": today,
        "valid_until": today + timedelta(days=90),
        "categories": ["testing"],
    }
    values.update(kw)
    return vouchers.issue_voucher(session, operator, **values)  # type: ignore[arg-type]


def _balance(session: Session, voucher_id: int) -> Decimal:
    session.expire_all()
    return session.get(Voucher, voucher_id).balance  # type: ignore[union-attr]


def test_only_operators_issue(db_session: Session, lab: Lab) -> None:
    today = wall_clock(utcnow()).date()
    with pytest.raises(Forbidden):
        vouchers.issue_voucher(
            db_session, lab.founder, startup_id=lab.startup_id, amount=Decimal("10"),
            valid_from=today, valid_until=today, categories=[],
        )  # fmt: skip
    with pytest.raises(Invalid):
        _issue(db_session, lab, amount="0")


def test_hold_release_on_cancel_and_redeem_on_completion(db_session: Session, lab: Lab) -> None:
    v = _issue(db_session, lab)
    b1 = book(db_session, lab, local_slot(2, 10, 120), voucher_id=v.id)  # price 600
    assert (b1.voucher_amount, b1.voucher_state) == (Decimal("600.00"), "held")
    assert _balance(db_session, v.id) == Decimal("400")
    b2 = book(db_session, lab, local_slot(3, 10, 120), voucher_id=v.id)  # only 400 left
    assert b2.voucher_amount == Decimal("400")
    assert _balance(db_session, v.id) == Decimal("0")
    with pytest.raises(Invalid, match="no balance"):
        book(db_session, lab, local_slot(4, 10), voucher_id=v.id)
    lifecycle.cancel_booking(db_session, lab.founder, b2.id)
    assert _balance(db_session, v.id) == Decimal("400")
    with pytest.raises(Invalid):  # cancelling twice cannot return the value twice
        lifecycle.cancel_booking(db_session, lab.founder, b2.id)
    assert _balance(db_session, v.id) == Decimal("400")
    lifecycle.record_usage(db_session, lab.manager, b1.id, 120, now=b1.ends_at)
    assert _balance(db_session, v.id) == Decimal("400")
    kinds = db_session.scalars(sa.select(VoucherEntry.kind).order_by(VoucherEntry.id)).all()
    assert kinds == ["issue", "hold", "hold", "release", "redeem"]
    lines = vouchers.startup_ledger(db_session, lab.startup_id)
    assert [line.balance_after for line in lines] == [
        Decimal("1000"), Decimal("400"), Decimal("0"), Decimal("400"), Decimal("400"),
    ]  # fmt: skip
    facility_id = db_session.get(Equipment, lab.equipment_id).facility_id  # type: ignore[union-attr]
    assert [line.kind for line in vouchers.facility_ledger(db_session, facility_id)] == [
        "hold", "hold", "release", "redeem",
    ]  # fmt: skip


def test_eligibility_and_validity(db_session: Session, lab: Lab) -> None:
    design_only = _issue(db_session, lab, categories=["design"])
    with pytest.raises(Invalid, match="cannot be used"):
        book(db_session, lab, local_slot(2, 10), voucher_id=design_only.id)
    today = wall_clock(utcnow()).date()
    short = _issue(db_session, lab, valid_until=today + timedelta(days=1))
    with pytest.raises(Invalid, match="not valid"):
        book(db_session, lab, local_slot(5, 10), voucher_id=short.id)
    eq = db_session.get(Equipment, lab.equipment_id)
    other = make_equipment(db_session, eq.facility, name="Laser cutter", voucher_eligible=False)  # type: ignore[union-attr]
    assert other.voucher_eligible is False
    # A failed booking leaves nothing behind.
    assert (
        db_session.scalar(
            sa.select(sa.func.count(VoucherEntry.id)).where(VoucherEntry.kind == "hold")
        )
        == 0
    )


def test_series_uses_the_voucher_while_its_balance_lasts(db_session: Session, lab: Lab) -> None:
    v = _issue(db_session, lab, amount="750")  # two and a half one-hour weeks at 300
    slot = WantedSlot(lab.equipment_id, lab.startup_id, *local_slot(2, 10))
    report = reserve.create_series(db_session, lab.founder, slot, weeks=4, voucher_id=v.id)
    assert not report.skipped
    # The third week takes what is left (150 of 300); the fourth is booked without it.
    assert [b.voucher_amount for b in report.booked] == [
        Decimal("300"), Decimal("300"), Decimal("150"), Decimal("0"),
    ]  # fmt: skip
    assert _balance(db_session, v.id) == Decimal("0")


def test_no_show_releases_the_voucher(db_session: Session, lab: Lab) -> None:
    v = _issue(db_session, lab)
    b = book(db_session, lab, local_slot(2, 10), voucher_id=v.id)
    lifecycle.mark_no_show(db_session, lab.manager, b.id, now=b.starts_at + timedelta(hours=1))
    assert _balance(db_session, v.id) == Decimal("1000")


def test_ledger_exports(db_session: Session, lab: Lab) -> None:
    v = _issue(db_session, lab)
    book(db_session, lab, local_slot(2, 10), voucher_id=v.id)
    lines = vouchers.startup_ledger(db_session, lab.startup_id)
    text = vouchers.ledger_csv(lines)
    assert text.splitlines()[0].startswith("Time,Voucher,Startup,Kind,Amount")
    assert ",hold,300.00,700.00," in text
    wb = load_workbook(io.BytesIO(vouchers.ledger_xlsx(lines)))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][3] == "Kind" and [r[3] for r in rows[1:]] == ["issue", "hold"]
    assert rows[2][4] == 300 and rows[2][5] == 700
