"""Export of every directory (startups, mentors, investors, facilities, equipment, policies) as
CSV or Excel, for operators. Column keys match the bulk import's, and code lists are written as
labels in the operator's language (which the import reads back).

Also the one CSV/Excel writer every download uses (directories, voucher ledgers, utilisation,
deal pipeline, disclosure, annual reports): it keeps user text from running as a formula."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, Investor, Mentor, Startup
from matchmaker.models.operator import Policy

EXPORT_KINDS = ("startup", "mentor", "investor", "facility", "equipment", "policy")


def _codes(vocabulary: vocab.Labels, codes: Sequence[str], locale: str | None) -> str:
    return "; ".join(vocab.label(vocabulary, c, locale) for c in codes)


def _money(value: Any) -> float | None:
    return float(value) if value is not None else None


def _startups(session: Session, locale: str | None) -> tuple[list[str], list[list[Any]]]:
    header = ["id", "name", "one_liner", "sectors", "stage", "funding_round", "location",
              "team_size", "founded_on", "services_needed", "website", "is_active"]  # fmt: skip
    rows = [
        [s.id, s.name, s.one_liner, _codes(vocab.SECTORS, s.sectors, locale),
         vocab.label(vocab.STAGES, s.stage, locale),
         vocab.label(vocab.ROUNDS, s.funding_round, locale),
         s.location, s.team_size, s.founded_on.isoformat() if s.founded_on else "",
         _codes(vocab.CHAIN_SERVICES, s.services_needed, locale), s.website, s.is_active]
        for s in session.scalars(sa.select(Startup).order_by(Startup.id))
    ]  # fmt: skip
    return header, rows


def _mentors(session: Session, locale: str | None) -> tuple[list[str], list[list[Any]]]:
    header = ["id", "email", "display_name", "kind", "headline", "expertise", "sectors",
              "languages", "mentoring_topics", "organisation", "location", "capacity_per_month",
              "is_active"]  # fmt: skip
    mentors = session.scalars(
        sa.select(Mentor).options(selectinload(Mentor.user)).order_by(Mentor.id)
    )
    rows = [
        [m.id, m.user.email, m.user.display_name, vocab.label(vocab.MENTOR_KINDS, m.kind, locale),
         m.headline, m.expertise, _codes(vocab.SECTORS, m.sectors, locale),
         _codes(vocab.LANGUAGES, m.languages, locale),
         _codes(vocab.MENTORING_TOPICS, m.mentoring_topics, locale), m.organisation, m.location,
         m.capacity_per_month, m.is_active]
        for m in mentors
    ]  # fmt: skip
    return header, rows


def _investors(session: Session, locale: str | None) -> tuple[list[str], list[list[Any]]]:
    header = ["id", "name", "type", "thesis", "sectors", "stages", "ticket_min", "ticket_max",
              "currency", "instruments", "regions", "location", "website", "is_active"]  # fmt: skip
    rows = [
        [i.id, i.name, vocab.label(vocab.INVESTOR_TYPES, i.type, locale), i.thesis,
         _codes(vocab.SECTORS, i.sectors, locale), _codes(vocab.ROUNDS, i.stages, locale),
         _money(i.ticket_min), _money(i.ticket_max), i.currency,
         _codes(vocab.INSTRUMENTS, i.instruments, locale), "; ".join(i.regions), i.location,
         i.website, i.is_active]
        for i in session.scalars(sa.select(Investor).order_by(Investor.id))
    ]  # fmt: skip
    return header, rows


def _facilities(session: Session, locale: str | None) -> tuple[list[str], list[list[Any]]]:
    header = ["id", "name", "kind", "description", "address", "location", "opening_hours",
              "contact_email", "is_active"]  # fmt: skip
    rows = [
        [f.id, f.name, vocab.label(vocab.FACILITY_KINDS, f.kind, locale), f.description,
         f.address, f.location, f.opening_hours, f.contact_email, f.is_active]
        for f in session.scalars(sa.select(Facility).order_by(Facility.id))
    ]  # fmt: skip
    return header, rows


def _equipment(session: Session, locale: str | None) -> tuple[list[str], list[list[Any]]]:
    header = ["id", "facility", "name", "category", "model_specs", "description",
              "price_per_hour", "voucher_eligible", "training_required", "booking_mode",
              "is_active"]  # fmt: skip
    items = session.scalars(
        sa.select(Equipment).options(selectinload(Equipment.facility)).order_by(Equipment.id)
    )
    rows = [
        [e.id, e.facility.name, e.name, vocab.label(vocab.EQUIPMENT_CATEGORIES, e.category, locale),
         e.model_specs, e.description, _money(e.price_per_hour),
         "yes" if e.voucher_eligible else "no", "yes" if e.training_required else "no",
         vocab.label(vocab.BOOKING_MODES, e.booking_mode, locale), e.is_active]
        for e in items
    ]  # fmt: skip
    return header, rows


def _policies(session: Session, locale: str | None) -> tuple[list[str], list[list[Any]]]:
    header = ["id", "title_en", "title_zh", "issuer_en", "issuer_zh", "document_number",
              "kind", "sectors", "stages", "locations", "max_company_age_years", "max_team_size",
              "requires_makerspace", "benefit_amount", "deadline", "is_published"]  # fmt: skip
    rows = [
        [p.id, p.title_en, p.title_zh, p.issuer_en, p.issuer_zh, p.document_number, p.kind,
         _codes(vocab.SECTORS, p.sectors, locale), _codes(vocab.STAGES, p.stages, locale),
         "; ".join(p.locations), p.max_company_age_years, p.max_team_size,
         p.requires_makerspace, _money(p.benefit_amount),
         p.deadline.isoformat() if p.deadline else "", p.is_published]
        for p in session.scalars(sa.select(Policy).order_by(Policy.id))
    ]  # fmt: skip
    return header, rows


_TABLES: dict[str, Callable[[Session, str | None], tuple[list[str], list[list[Any]]]]] = {
    "startup": _startups,
    "mentor": _mentors,
    "investor": _investors,
    "facility": _facilities,
    "equipment": _equipment,
    "policy": _policies,
}


# Column headers as people read them, in the downloader's language. Where a column is also a
# bulk-import column the label is the import's (the same msgid), which the import reads back.
COLUMN_LABELS: dict[str, Any] = {
    "id": _l("ID"),
    "name": _l("Name"),
    "one_liner": _l("One-liner"),
    "sectors": _l("Sectors"),
    "stage": _l("Stage"),
    "stages": _l("Stages"),
    "funding_round": _l("Funding round"),
    "location": _l("Location"),
    "team_size": _l("Team size"),
    "founded_on": _l("Founded on"),
    "services_needed": _l("Services needed"),
    "website": _l("Website"),
    "is_active": _l("Active"),
    "email": _l("E-mail"),
    "display_name": _l("Name"),
    "headline": _l("Headline"),
    "expertise": _l("Expertise"),
    "languages": _l("Languages"),
    "mentoring_topics": _l("Topics"),
    "organisation": _l("Organisation"),
    "capacity_per_month": _l("Sessions a month"),
    "type": _l("Investor type"),
    "thesis": _l("Thesis"),
    "ticket_min": _l("Minimum ticket"),
    "ticket_max": _l("Maximum ticket"),
    "currency": _l("Currency"),
    "instruments": _l("Investment instruments"),
    "regions": _l("Regions"),
    "description": _l("Description"),
    "address": _l("Address"),
    "opening_hours": _l("Opening hours"),
    "contact_email": _l("Contact e-mail"),
    "facility": _l("Facility"),
    "category": _l("Category"),
    "model_specs": _l("Model and specifications"),
    "price_per_hour": _l("Price per hour"),
    "voucher_eligible": _l("Voucher eligible"),
    "training_required": _l("Training required"),
    "booking_mode": _l("Booking mode"),
    "title_en": _l("Title (English)"),
    "title_zh": _l("Title (Chinese)"),
    "issuer_en": _l("Issuer (English)"),
    "issuer_zh": _l("Issuer (Chinese)"),
    "document_number": _l("Document number"),
    "locations": _l("Locations"),
    "max_company_age_years": _l("Maximum company age (years)"),
    "max_team_size": _l("Maximum team size"),
    "requires_makerspace": _l("Requires a makerspace"),
    "benefit_amount": _l("Benefit amount"),
    "deadline": _l("Deadline"),
    "is_published": _l("Published"),
    # utilisation
    "period": _l("Period"),
    "equipment": _l("Instrument"),
    "date": _l("Date"),
    "hours_open": _l("Hours open"),
    "hours_booked": _l("Hours booked"),
    "hours_used": _l("Hours used"),
    "utilisation_percent": _l("Utilisation (%)"),
    "booking_rate_percent": _l("Booked share of open hours (%)"),
    "startups_served": _l("Startups served"),
    "bookings": _l("Bookings"),
    "no_shows": _l("No-shows"),
    "revenue_cny": _l("Revenue (CNY)"),
    "vouchers_redeemed_cny": _l("Vouchers redeemed (CNY)"),
    # voucher ledger
    "time": _l("Time"),
    "voucher": _l("Voucher"),
    "startup": _l("Startup"),
    "kind": _l("Kind"),
    "amount": _l("Amount"),
    "balance_after": _l("Balance after"),
    "booking": _l("Booking"),
}
# Within one table a key can mean a kind of something specific.
_KIND_LABELS: dict[str, Any] = {
    "mentor": _l("Mentor kind"),
    "facility": _l("Facility kind"),
    "policy": _l("Kind of support"),
}


def header(keys: Sequence[str], table_kind: str | None = None) -> list[str]:
    """Column keys as translated headers (the current locale); an unknown key stays itself."""
    out = []
    for key in keys:
        if key == "kind" and table_kind in _KIND_LABELS:
            out.append(str(_KIND_LABELS[table_kind]))
        elif key == "name" and table_kind in ("investor", "facility"):
            out.append(str(_l("Organisation name")))
        elif key == "name" and table_kind == "equipment":
            out.append(str(_l("Instrument name")))
        else:
            out.append(str(COLUMN_LABELS.get(key, key)))
    return out


def table(session: Session, kind: str, locale: str | None) -> tuple[list[str], list[list[Any]]]:
    """A directory as (translated header, rows); call it under the downloader's locale."""
    if kind not in _TABLES:
        raise KeyError(kind)
    keys, rows = _TABLES[kind](session, locale)
    return header(keys, kind), rows


# -- the one writer every CSV and Excel download goes through -----------------------------------
#
# Spreadsheet programs run a text cell that starts with a formula character (CSV/formula
# injection, OWASP): founders write names and notes that operators and investors open in Excel.
# Tab, CR and LF count too (Excel and LibreOffice skip them before reading "=..."), so do leading
# spaces, and the full-width forms a Chinese input method types. Such a cell gets a leading "'",
# which both programs show as text. Numbers, dates and booleans stay what they are.
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
# Characters XML 1.0 cannot hold: openpyxl refuses them (a 500 on export), so they are dropped.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A CSV field holding one of these is quoted even when RFC 4180 does not require it: Excel in a
# locale whose list separator is ";" would otherwise split "a;=1+1" into a formula cell.
_CSV_QUOTE = frozenset(',;"\t\r\n|')


def guard_text(text: str) -> str:
    """Text as a spreadsheet shows it, never as a formula."""
    if text.lstrip(" ")[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def _cell(value: Any) -> Any:
    """A value as a cell: numbers, dates and booleans as themselves, everything else as guarded
    text (lazy translations included)."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime | time):
        return value
    return guard_text(value if isinstance(value, str) else str(value))


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and (set(text) & _CSV_QUOTE):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text (RFC 4180, CRLF line ends), every text cell guarded."""
    return "".join(",".join(_csv_field(_cell(v)) for v in row) + "\r\n" for row in rows)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV download: header and rows, UTF-8 with a BOM (which makes Excel read UTF-8)."""
    return csv_text([header, *rows]).encode("utf-8-sig")


def _xlsx_value(value: Any) -> Any:
    value = _cell(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    return value


def to_xlsx(sheets: Sequence[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx with one sheet per (title, header, rows); the header row is bold and frozen.

    Every text cell is guarded and stored as a string: openpyxl turns a str starting with "="
    into a live formula, which data_type "s" rules out whatever the text is."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(_XML_ILLEGAL.sub("", str(title))[:31])
        for r, row in enumerate([header, *rows], start=1):
            for c, raw in enumerate(row, start=1):
                value = _xlsx_value(raw)
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
                if r == 1 and header:
                    cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
