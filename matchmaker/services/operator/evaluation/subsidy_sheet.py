"""The subsidy report as a spreadsheet for the finance office: the rule, the facilities
(ranked), the instruments and every booking counted, so each figure can be recounted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services import exports
from matchmaker.services.operator.evaluation.subsidies import SubsidyReport


def report_xlsx(report: SubsidyReport, equipment_names: Mapping[int, str] | None = None) -> bytes:
    """Four sheets: the rule, the facilities (ranked), the instruments, and every booking counted.

    Headers are in the operator's language (the caller's request locale)."""
    rule = report.rule
    names = dict(equipment_names or {})
    for f in report.facilities:
        for i in f.instruments:
            names.setdefault(i.equipment_id, i.name)
    rule_rows: list[list[Any]] = [
        [_l("Year"), rule.year],
        [_l("CNY per hour used"), rule.rate_per_hour],
        [_l("CNY per voucher yuan redeemed"), rule.rate_per_voucher_yuan],
        [_l("Cap per facility (CNY)"), rule.cap_per_facility],
        [_l("Cap per instrument (CNY)"), rule.cap_per_instrument],
        [_l("Minimum utilisation (%)"), rule.min_utilisation_percent],
        [_l("Facilities rewarded"), rule.reward_count],
        [_l("Total subsidy (CNY)"), report.total],
    ]
    facility_header = [
        _l("Rank"), _l("Facility"), _l("Completed bookings"), _l("Hours used"), _l("Hours open"),
        _l("Utilisation (%)"), _l("Startups served"), _l("Vouchers redeemed (CNY)"),
        _l("Service value (CNY)"), _l("Before the facility cap (CNY)"), _l("Subsidy (CNY)"),
        _l("Annual reward"), _l("Notes"),
    ]  # fmt: skip
    facility_rows = [
        [f.rank, f.name, f.bookings, f.hours_used, f.hours_open, f.utilisation,
         f.startups_served, f.vouchers_redeemed, f.service_value, f.before_cap, f.amount,
         _l("Yes") if f.rewarded else "", "; ".join(str(r) for r in f.reasons)]
        for f in sorted(report.facilities, key=lambda f: (f.rank is None, f.rank or 0, f.name))
    ]  # fmt: skip
    instrument_header = [
        _l("Facility"), _l("Instrument"), _l("Completed bookings"), _l("Hours used"),
        _l("Startups served"), _l("Vouchers redeemed (CNY)"), _l("From hours (CNY)"),
        _l("From vouchers (CNY)"), _l("Before the instrument cap (CNY)"), _l("Subsidy (CNY)"),
    ]  # fmt: skip
    instrument_rows = [
        [f.name, i.name, i.bookings, i.hours_used, i.startups_served, i.vouchers_redeemed,
         i.from_hours, i.from_vouchers, i.before_cap, i.amount]
        for f in report.facilities
        for i in f.instruments
    ]  # fmt: skip
    evidence_header = [
        _l("Booking"), _l("Facility"), _l("Instrument"), _l("Startup"), _l("Start (local)"),
        _l("Minutes used"), _l("Price (CNY)"), _l("Voucher redeemed (CNY)"),
    ]  # fmt: skip
    evidence_rows = [
        [e.booking_id, f.name, names.get(e.equipment_id, ""), e.startup_name, e.starts_local,
         e.minutes, e.price, e.voucher_redeemed]
        for f in report.facilities
        for e in f.evidence
    ]  # fmt: skip
    return exports.to_xlsx(
        [
            (str(_l("Rule")), [str(_l("Item")), str(_l("Value"))], rule_rows),
            (str(_l("Facilities")), facility_header, facility_rows),
            (str(_l("Instruments")), instrument_header, instrument_rows),
            (str(_l("Evidence")), evidence_header, evidence_rows),
        ]
    )
