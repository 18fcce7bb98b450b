"""What each kind of import file holds, column by column, and how one cell's text is read.

Cells take vocabulary codes or their English or Chinese labels ("testing", "Inspection and
testing", "检验检测"); lists are separated by ``;``, ``,``, ``、`` or ``|``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import force_locale

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext
from matchmaker.models.operator import ImportKind

HEADER_LOCALES = ("zh_CN", "en")  # the languages an import file's headers may be in

MAX_MONEY = Decimal("100000000000000")
IMPORT_KINDS = tuple(k.value for k in ImportKind)
_SPLIT = re.compile(r"[;,，；、|\n]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# C0 controls other than tab, LF and CR, as the web forms refuse them: PostgreSQL cannot store
# NUL, and the Excel exports cannot hold any of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRUE = {"1", "true", "yes", "y", "是", "√", "x"}
_FALSE = {"", "0", "false", "no", "n", "否"}


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    required: bool = False
    kind: str = "text"  # text / code / codes / money / int / bool / email / facility / places
    vocabulary: vocab.Labels | None = None
    max_length: int = 255


COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.MENTOR: (
        Column("email", _l("E-mail"), True, "email", max_length=254),
        Column("display_name", _l("Name"), True, max_length=120),
        Column("kind", _l("Mentor kind"), True, "code", vocab.MENTOR_KINDS),
        Column("headline", _l("Headline"), max_length=200),
        Column("expertise", _l("Expertise"), max_length=5000),
        Column("sectors", _l("Sectors"), kind="codes", vocabulary=vocab.SECTORS),
        Column("languages", _l("Languages"), kind="codes", vocabulary=vocab.LANGUAGES),
        Column("mentoring_topics", _l("Topics"), kind="codes", vocabulary=vocab.MENTORING_TOPICS),
        Column("organisation", _l("Organisation"), max_length=120),
        Column("location", _l("Location"), max_length=120),
        Column("capacity_per_month", _l("Sessions a month"), kind="int"),
    ),
    ImportKind.INVESTOR: (
        Column("name", _l("Organisation name"), True, max_length=160),
        Column("type", _l("Investor type"), True, "code", vocab.INVESTOR_TYPES),
        Column("thesis", _l("Thesis"), max_length=5000),
        Column("sectors", _l("Sectors"), kind="codes", vocabulary=vocab.SECTORS),
        Column("stages", _l("Rounds"), kind="codes", vocabulary=vocab.ROUNDS),
        Column("ticket_min", _l("Minimum ticket"), kind="money"),
        Column("ticket_max", _l("Maximum ticket"), kind="money"),
        Column("currency", _l("Currency"), kind="code", vocabulary=vocab.CURRENCIES),
        Column(
            "instruments", _l("Investment instruments"), kind="codes", vocabulary=vocab.INSTRUMENTS
        ),
        Column("regions", _l("Regions"), kind="places"),
        Column("location", _l("Location"), max_length=120),
        Column("website", _l("Website"), max_length=200),
    ),
    ImportKind.FACILITY: (
        Column("name", _l("Organisation name"), True, max_length=160),
        Column("kind", _l("Facility kind"), True, "code", vocab.FACILITY_KINDS),
        Column("description", _l("Description"), max_length=5000),
        Column("address", _l("Address"), max_length=255),
        Column("location", _l("Location"), max_length=120),
        Column("opening_hours", _l("Opening hours"), max_length=255),
        Column("contact_email", _l("Contact e-mail"), kind="email", max_length=254),
    ),
    ImportKind.EQUIPMENT: (
        Column("facility", _l("Facility"), True, "facility"),
        Column("name", _l("Instrument name"), True, max_length=160),
        Column("category", _l("Category"), True, "code", vocab.EQUIPMENT_CATEGORIES),
        Column("model_specs", _l("Model and specifications"), max_length=255),
        Column("description", _l("Description"), max_length=5000),
        Column("price_per_hour", _l("Price per hour"), True, "money"),
        Column("voucher_eligible", _l("Voucher eligible"), kind="bool"),
        Column("training_required", _l("Training required"), kind="bool"),
        Column("booking_mode", _l("Booking mode"), kind="code", vocabulary=vocab.BOOKING_MODES),
    ),
}

KIND_LABELS: vocab.Labels = {
    "mentor": ("Mentors", "创业导师"),
    "investor": ("Investors", "投资机构"),
    "facility": ("Facilities", "设施"),
    "equipment": ("Equipment", "仪器设备"),
}


def _lookup(vocabulary: vocab.Labels) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, (en, zh) in vocabulary.items():
        for key in (code, en, zh):
            table[key.casefold()] = code
    return table


def parse_cell(
    col: Column, text: str, facility: Callable[[str], tuple[Any, Any]]
) -> tuple[Any, Any]:
    """One cell's text as the column's value: (value, None), or (None, the error message).
    ``facility`` finds a facility by name or number the same way."""
    if _CONTROL.search(text):
        return None, _l("Contains invisible control characters (such as NUL bytes).")
    if not text:
        if col.required:
            return None, _l("This field is required.")
        return {"codes": [], "places": [], "bool": False}.get(col.kind), None
    if col.kind in ("text", "email"):
        if len(text) > col.max_length:
            return None, lazy_ngettext(
                "At most %(num)d character.", "At most %(num)d characters.", col.max_length
            )
        if col.kind == "email" and not _EMAIL.match(text):
            return None, _l("Not a valid e-mail address.")
        return (text.lower() if col.kind == "email" else text), None
    if col.kind == "code":
        code = _lookup(col.vocabulary or {}).get(text.casefold())
        if code is None:
            return None, _l("Unknown value “%(value)s”.", value=text)
        return code, None
    if col.kind == "codes":
        table = _lookup(col.vocabulary or {})
        codes: list[str] = []
        unknown: list[str] = []
        for part in (p.strip() for p in _SPLIT.split(text)):
            if part:
                code = table.get(part.casefold())
                (codes if code else unknown).append(code or part)
        if unknown:
            return None, _l("Unknown values: %(values)s.", values=", ".join(unknown))
        return list(dict.fromkeys(codes)), None
    if col.kind == "places":
        return [p.strip() for p in _SPLIT.split(text) if p.strip()], None
    if col.kind == "money":
        try:
            amount = Decimal(text.replace(",", "").replace("¥", "").replace("￥", ""))
        except InvalidOperation:
            return None, _l("Enter an amount.")
        if not amount.is_finite() or amount < 0 or amount >= MAX_MONEY:
            return None, _l("Enter an amount between 0 and 10^14.")
        return amount, None
    if col.kind == "int":
        try:
            number = int(text)
        except ValueError:
            return None, _l("Enter a whole number.")
        if not 0 <= number <= 60:
            return None, _l("Enter a number from 0 to %(n)d.", n=60)
        return number, None
    if col.kind == "bool":
        lowered = text.casefold()
        if lowered in _TRUE:
            return True, None
        if lowered in _FALSE:
            return False, None
        return None, _l("Enter yes or no.")
    if col.kind == "facility":
        return facility(text)
    raise ValueError(col.kind)


def header_keys(columns: Sequence[Column]) -> dict[str, str]:
    """Header text -> column key: the key itself or its English or Chinese label (a file's
    headers are in whichever language its author reads, not the importer's)."""
    table = {col.key.casefold(): col.key for col in columns}
    table.update({str(col.label).casefold(): col.key for col in columns})  # the reader's own
    for locale in HEADER_LOCALES:
        with force_locale(locale):
            table.update({str(col.label).casefold(): col.key for col in columns})
    return table


def template_rows(kind: str, locale: str | None) -> list[list[str]]:
    """Header row (column keys) and one example row, for the downloadable template."""
    examples = {
        "mentor": ["li.na@example.com", "李娜", "technical_expert", "电池材料专家", "",
                   "new_energy; new_materials", "zh; en", "technology", "重庆大学", "重庆", "4"],
        "investor": ["渝创种子基金", "seed_fund", "", "new_energy", "seed; angel", "500000",
                     "3000000", "CNY", "equity", "重庆", "重庆", ""],
        "facility": ["两江材料检测中心", "university_lab", "", "", "重庆两江新区",
                     "周一至周五 9:00-18:00", ""],
        "equipment": ["两江材料检测中心", "X射线衍射仪", "testing", "Bruker D8", "", "300", "yes",
                      "no", "instant"],
    }  # fmt: skip
    return [[c.key for c in COLUMNS[kind]], examples[kind]]
