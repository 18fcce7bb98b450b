"""Performance-based post-subsidy (根据服务绩效后补助) and the annual evaluation with rewards
(年度评估、择优奖励) for facilities that open their instruments to startups.

For the rule of a year and every facility, from the records alone:

- evidence per instrument: completed bookings by startups that start in the year (local days),
  the hours recorded for them (``actual_minutes``), the distinct startups served and the voucher
  value redeemed on them; each booking is listed, so every figure can be recounted;
- per instrument: ``hours x rate_per_hour + vouchers x rate_per_voucher_yuan``, rounded to the
  fen (half up), then cut to ``cap_per_instrument``;
- per facility: utilisation = hours used / hours open (``services.facilities.utilisation``, the
same figure   the facility's usage page shows); below ``min_utilisation_percent`` the facility gets
nothing;   otherwise the sum of its instruments, cut to ``cap_per_facility``;
- ranking for the rewards: facilities that qualify, by the service they delivered (the amount
  before the caps), then by distinct startups served; the first ``reward_count`` are rewarded.

Nothing computed is stored, so changing a record changes the report, and the report says why.
The report as a spreadsheet: ``subsidy_sheet``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, User
from matchmaker.models.bookings import EquipmentBooking
from matchmaker.models.subsidies import SubsidyRule
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.facilities import utilisation
from matchmaker.services.facilities.equipment_availability import local_today
from matchmaker.services.operator.policy_center.policies import require_operator
from matchmaker.services.transactions import commit
from matchmaker.timezones import to_utc, wall_clock

ZERO = Decimal("0.00")  # money: shown to the fen even when nothing was counted
FEN = Decimal("0.01")
MAX_MONEY = Decimal("100000000000000")
MIN_YEAR, MAX_YEAR = 2000, 2100


def fen(value: Decimal) -> Decimal:
    """Money rounded to the fen, half up (as the finance office rounds)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# --- the rule ----------------------------------------------------------------------------------


def _decimal(
    values: Mapping[str, Any], key: str, *, low: Decimal, high: Decimal, optional: bool = False
) -> Decimal | None:
    raw = values.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if optional:
            return None
        raise Invalid(_l("This field is required."), field=key)
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise Invalid(_l("Enter an amount."), field=key) from None
    if not number.is_finite() or number < low or number > high:
        raise Invalid(
            _l("Enter a number between %(low)s and %(high)s.", low=low, high=high), field=key
        )
    return number


def _clean_rule(values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        year = int(values.get("year") or 0)
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(_l("Enter a year between 2000 and 2100."), field="year")
    data: dict[str, Any] = {"year": year}
    data["rate_per_hour"] = _decimal(values, "rate_per_hour", low=Decimal("0"), high=MAX_MONEY)
    data["rate_per_voucher_yuan"] = _decimal(
        values, "rate_per_voucher_yuan", low=Decimal("0"), high=Decimal("10")
    )
    for key in ("cap_per_facility", "cap_per_instrument"):
        cap = _decimal(values, key, low=Decimal("0"), high=MAX_MONEY, optional=True)
        if cap is not None and cap <= 0:
            raise Invalid(_l("A cap must be more than 0 (leave it empty for none)."), field=key)
        data[key] = cap
    data["min_utilisation_percent"] = _decimal(
        values, "min_utilisation_percent", low=Decimal("0"), high=Decimal("100")
    )
    try:
        reward_count = int(values.get("reward_count") or 0)
    except (TypeError, ValueError):
        reward_count = -1
    if not 0 <= reward_count <= 100:
        raise Invalid(_l("Enter a whole number from 0 to 100."), field="reward_count")
    data["reward_count"] = reward_count
    note = str(values.get("note") or "").strip()
    if len(note) > 500:
        raise Invalid(_l("At most 500 characters."), field="note")
    data["note"] = note
    if not data["rate_per_hour"] and not data["rate_per_voucher_yuan"]:
        raise Invalid(
            _l("Set a rate per hour, a rate per voucher yuan, or both."), field="rate_per_hour"
        )
    return data


def save_rule(session: Session, actor: User, values: Mapping[str, Any]) -> SubsidyRule:
    """Create the rule of a year, or replace the figures of the existing one.

    Two operators creating the same year at once: the unique year makes one of them a Conflict.
    """
    require_operator(actor)
    data = _clean_rule(values)
    rule = session.scalar(sa.select(SubsidyRule).where(SubsidyRule.year == data["year"]))
    if rule is None:
        rule = SubsidyRule(created_by_id=actor.id, **data)
        session.add(rule)
    else:
        for key, value in data.items():
            setattr(rule, key, value)
    commit(session, _l("Another operator saved the rule of this year just now."))
    return rule


def rules(session: Session) -> list[SubsidyRule]:
    """Every year's subsidy rule, newest year first."""
    return list(session.scalars(sa.select(SubsidyRule).order_by(SubsidyRule.year.desc())))


def rule_for(session: Session, year: int) -> SubsidyRule:
    """The subsidy rule of ``year``; ``NotFound`` when none was set for it."""
    rule = session.scalar(sa.select(SubsidyRule).where(SubsidyRule.year == year))
    if rule is None:
        raise NotFound(_l("No subsidy rule for %(year)d.", year=year))
    return rule


# --- the computation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingEvidence:
    booking_id: int
    equipment_id: int
    startup_id: int
    startup_name: str
    starts_local: datetime
    minutes: int
    price: Decimal
    voucher_redeemed: Decimal


@dataclass(kw_only=True)
class ServiceTally:
    """What a facility or one instrument delivered to startups in the year, and what it earns:
    the figures an instrument and its facility both keep (the facility's are its instruments'
    summed)."""

    hours_open: Decimal = ZERO
    bookings: int = 0
    hours_used: Decimal = ZERO
    startups: set[int] = field(default_factory=set)
    vouchers_redeemed: Decimal = ZERO
    service_value: Decimal = ZERO
    before_cap: Decimal = ZERO
    amount: Decimal = ZERO
    capped: bool = False

    @property
    def startups_served(self) -> int:
        return len(self.startups)

    def add_service(self, part: ServiceTally) -> None:
        """Count ``part``'s service (an instrument's, in its facility's) in this tally; what
        it earns is summed by the caller, after its cap."""
        self.hours_open += part.hours_open
        self.hours_used += part.hours_used
        self.bookings += part.bookings
        self.startups |= part.startups
        self.vouchers_redeemed += part.vouchers_redeemed
        self.service_value += part.service_value


@dataclass(kw_only=True)
class InstrumentSubsidy(ServiceTally):
    equipment_id: int
    name: str
    from_hours: Decimal = ZERO
    from_vouchers: Decimal = ZERO


@dataclass(kw_only=True)
class FacilitySubsidy(ServiceTally):
    facility_id: int
    name: str
    instruments: list[InstrumentSubsidy]
    evidence: list[BookingEvidence]
    qualifies: bool = True
    rank: int | None = None
    rewarded: bool = False
    reasons: list[Any] = field(default_factory=list)

    @property
    def utilisation(self) -> Decimal:
        if not self.hours_open:
            return ZERO
        return (self.hours_used / self.hours_open * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


@dataclass
class SubsidyReport:
    rule: SubsidyRule
    first: date
    last: date
    facilities: list[FacilitySubsidy]

    @property
    def total(self) -> Decimal:
        return sum((f.amount for f in self.facilities), ZERO)

    @property
    def ranking(self) -> list[FacilitySubsidy]:
        ranked = [f for f in self.facilities if f.rank is not None]
        return sorted(ranked, key=lambda f: f.rank or 0)


def _evidence(session: Session, first: date, last: date) -> list[EquipmentBooking]:
    start = to_utc(datetime.combine(first, time()))
    end = to_utc(datetime.combine(last + timedelta(days=1), time()))
    return list(
        session.scalars(
            sa.select(EquipmentBooking)
            .options(selectinload(EquipmentBooking.startup))
            .where(
                EquipmentBooking.status == "completed",
                EquipmentBooking.starts_at >= start,
                EquipmentBooking.starts_at < end,
            )
            .order_by(EquipmentBooking.starts_at, EquipmentBooking.id)
        )
    )


def _instrument(rule: SubsidyRule, row: InstrumentSubsidy) -> None:
    row.hours_used = fen(row.hours_used)
    row.from_hours = fen(row.hours_used * rule.rate_per_hour)
    row.from_vouchers = fen(row.vouchers_redeemed * rule.rate_per_voucher_yuan)
    row.before_cap = row.from_hours + row.from_vouchers
    row.amount = row.before_cap
    if rule.cap_per_instrument is not None and row.amount > rule.cap_per_instrument:
        row.amount = rule.cap_per_instrument
        row.capped = True


def compute(session: Session, year: int) -> SubsidyReport:
    """The subsidy of every facility for the rule of ``year`` (NotFound without a rule)."""
    rule = rule_for(session, year)
    first, last = date(year, 1, 1), date(year, 12, 31)
    today = local_today()
    if first <= today < last:
        # The running year: the days still to come were never open yet, so they must not
        # lower the utilisation (nor can they hold evidence).
        last = today
    facilities = list(
        session.scalars(
            sa.select(Facility)
            .options(selectinload(Facility.equipment))
            .order_by(Facility.name, Facility.id)
        )
    )
    bookings = _evidence(session, first, last)
    by_equipment: dict[int, list[EquipmentBooking]] = {}
    for booking in bookings:
        by_equipment.setdefault(booking.equipment_id, []).append(booking)

    out: list[FacilitySubsidy] = []
    for facility in facilities:
        equipment: list[Equipment] = list(facility.equipment)
        if not equipment:
            continue
        usage = utilisation.usage_report(session, equipment, first, last)
        hours_open = {r.equipment_id: r.hours_open for r in usage.rows}
        result = FacilitySubsidy(
            facility_id=facility.id, name=facility.name, instruments=[], evidence=[]
        )
        for eq in equipment:
            row = InstrumentSubsidy(
                equipment_id=eq.id, name=eq.name, hours_open=hours_open.get(eq.id, ZERO)
            )
            for b in by_equipment.get(eq.id, []):
                redeemed = b.voucher_amount if b.voucher_state == "redeemed" else ZERO
                minutes = b.actual_minutes or 0
                row.bookings += 1
                row.hours_used += Decimal(minutes) / Decimal(60)
                row.startups.add(b.startup_id)
                row.vouchers_redeemed += redeemed
                row.service_value += b.price
                result.evidence.append(
                    BookingEvidence(
                        booking_id=b.id,
                        equipment_id=eq.id,
                        startup_id=b.startup_id,
                        startup_name=b.startup.name,
                        starts_local=wall_clock(b.starts_at),
                        minutes=minutes,
                        price=b.price,
                        voucher_redeemed=redeemed,
                    )
                )
            _instrument(rule, row)
            result.instruments.append(row)
            result.add_service(row)
            result.before_cap += row.amount
            if row.capped:
                result.reasons.append(
                    _l(
                        "%(name)s: capped at ¥%(cap)s per instrument.",
                        name=row.name,
                        cap=rule.cap_per_instrument,
                    )
                )
        _facility(rule, result)
        out.append(result)
    _rank(rule, out)
    return SubsidyReport(rule=rule, first=first, last=last, facilities=out)


def _facility(rule: SubsidyRule, result: FacilitySubsidy) -> None:
    minimum = rule.min_utilisation_percent
    if minimum > 0 and result.utilisation < minimum:
        result.qualifies = False
        result.reasons.append(
            _l(
                "Utilisation %(value)s%% is below the minimum of %(minimum)s%%: no subsidy.",
                value=result.utilisation,
                minimum=f"{minimum.normalize():f}",
            )
        )
        result.amount = ZERO
        return
    if not result.bookings:
        result.qualifies = False
        result.reasons.append(_l("No completed service for startups this year."))
        return
    result.amount = result.before_cap
    if rule.cap_per_facility is not None and result.amount > rule.cap_per_facility:
        result.amount = rule.cap_per_facility
        result.capped = True
        result.reasons.append(_l("Capped at ¥%(cap)s per facility.", cap=rule.cap_per_facility))


def _performance(result: FacilitySubsidy) -> Decimal:
    """The service delivered, before any cap: what the annual ranking compares."""
    return sum((i.before_cap for i in result.instruments), ZERO)


def _rank(rule: SubsidyRule, results: list[FacilitySubsidy]) -> None:
    ranked = sorted(
        (r for r in results if r.qualifies),
        key=lambda r: (-_performance(r), -r.startups_served, r.name, r.facility_id),
    )
    for position, result in enumerate(ranked, start=1):
        result.rank = position
        result.rewarded = position <= rule.reward_count
