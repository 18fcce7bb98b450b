"""Bulk import of mentors, investors, facilities and equipment from Excel (.xlsx) or CSV.

``preview`` parses and validates every row and writes nothing (the dry run); ``run_import``
validates again and writes all rows in one transaction, or none: a file with a single bad row
is refused whole. Errors name the row and column and are lazy-translated.

Cells take vocabulary codes or their English or Chinese labels ("testing", "Inspection and
testing", "检验检测"); lists are separated by ``;``, ``,``, ``、`` or ``|``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Facility, Investor, MentorProfile, User
from matchmaker.models.operator import ImportBatch
from matchmaker.services.accounts.profile_events import PROFILE_KINDS, profile_changed
from matchmaker.services.errors import Conflict, Invalid
from matchmaker.services.operator.policies import require_operator

MAX_ROWS = 5000
MAX_MONEY = Decimal("100000000000000")
IMPORT_KINDS = ("mentor", "investor", "facility", "equipment")
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
    "mentor": (
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
    "investor": (
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
    "facility": (
        Column("name", _l("Organisation name"), True, max_length=160),
        Column("kind", _l("Facility kind"), True, "code", vocab.FACILITY_KINDS),
        Column("description", _l("Description"), max_length=5000),
        Column("address", _l("Address"), max_length=255),
        Column("location", _l("Location"), max_length=120),
        Column("opening_hours", _l("Opening hours"), max_length=255),
        Column("contact_email", _l("Contact e-mail"), kind="email", max_length=254),
    ),
    "equipment": (
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


@dataclass(frozen=True)
class CellError:
    column: str
    message: Any


@dataclass
class RowResult:
    number: int  # row number in the file (the header is row 1)
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    kind: str
    filename: str
    columns: tuple[Column, ...]
    rows: list[RowResult]
    file_errors: list[Any] = field(default_factory=list)
    # The earlier import of the very same file, if any: shown as a warning before confirming.
    duplicate_of: ImportBatch | None = None

    @property
    def valid(self) -> bool:
        return not self.file_errors and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(r.errors) for r in self.rows)


# --- reading files ------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def iter_table(data: bytes, filename: str) -> Generator[list[str], None, None]:
    """Rows of cells (as text) of an .xlsx or .csv file, parsed one at a time as they are asked
    for; refuses anything else. A caller that stops early never parses the rest of the file (a
    400,000-row workbook took a worker 63 s to read whole before its row limit was checked).
    Close the iterator when stopping early, so the workbook is closed at once.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        yield from _xlsx_rows(data)
    elif name.endswith(".csv"):
        yield from _csv_rows(data)
    else:
        raise Invalid(_l("Upload an .xlsx or .csv file."), field="file")


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    unreadable = _l("This is not a readable Excel file.")
    try:
        # read_only streams the sheet's XML row by row instead of building every cell first.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise Invalid(unreadable, field="file") from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a sheet broken half-way is as unreadable as a bad zip
                raise Invalid(unreadable, field="file") from exc
            yield [_cell(v) for v in row]
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid(_l("The CSV file is not UTF-8 or GB18030 text."), field="file")
    try:
        for row in csv.reader(io.StringIO(text)):
            yield [c.strip() for c in row]
    except csv.Error as exc:
        raise Invalid(_l("The CSV file could not be read."), field="file") from exc


class _TooManyRows(Exception):
    """The file passed a row limit; raised while reading, before the rest is parsed."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def _non_blank_rows(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    """The header and data rows, skipping blank ones; stops as soon as a limit is passed.

    ``MAX_ROWS`` data rows at most, and at most ``MAX_ROWS`` blank rows read on the way (a sheet
    formatted down to row 1,048,576 is a million blank rows to parse).
    """
    data_rows = blank_rows = 0
    header_seen = False
    for cells in rows:
        if not any(cells):
            blank_rows += 1
            if blank_rows > MAX_ROWS:
                raise _TooManyRows(
                    _l(
                        "More than %(n)d empty rows: delete them and upload the file again.",
                        n=MAX_ROWS,
                    )
                )
            continue
        if header_seen:
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise _TooManyRows(_l("At most %(n)d rows per file.", n=MAX_ROWS))
        header_seen = True
        yield cells


# --- validating ---------------------------------------------------------------------------


def _lookup(vocabulary: vocab.Labels) -> dict[str, str]:
    table: dict[str, str] = {}
    for code, (en, zh) in vocabulary.items():
        for key in (code, en, zh):
            table[key.casefold()] = code
    return table


def _parse_cell(col: Column, text: str, ctx: _Context) -> tuple[Any, Any]:
    """(value, error message or None)."""
    if _CONTROL.search(text):
        return None, _l("Contains invisible control characters (such as NUL bytes).")
    if not text:
        if col.required:
            return None, _l("This field is required.")
        return {"codes": [], "places": [], "bool": False}.get(col.kind), None
    if col.kind in ("text", "email"):
        if len(text) > col.max_length:
            return None, _l("At most %(n)d characters.", n=col.max_length)
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
        return ctx.facility(text)
    raise ValueError(col.kind)


class _Context:
    """What rows are checked against: the database and the rows seen so far."""

    def __init__(self, session: Session, kind: str) -> None:
        self.session = session
        self.kind = kind
        self.seen: set[str] = set()
        self._facilities: dict[str, list[int]] | None = None

    def facility(self, text: str) -> tuple[Any, Any]:
        if self._facilities is None:
            self._facilities = {}
            for fid, name in self.session.execute(sa.select(Facility.id, Facility.name)):
                self._facilities.setdefault(name.casefold(), []).append(fid)
                self._facilities.setdefault(str(fid), []).append(fid)
        found = self._facilities.get(text.casefold(), [])
        if not found:
            return None, _l("No facility called “%(name)s”.", name=text)
        if len(found) > 1:
            return None, _l("Several facilities are called “%(name)s”: use its number.", name=text)
        return found[0], None


def _check_row(row: RowResult, ctx: _Context) -> None:
    v = row.values
    if ctx.kind == "mentor" and "email" in v:
        email = v["email"]
        if email in ctx.seen:
            row.errors.append(
                CellError("email", _l("This e-mail address appears twice in the file."))
            )
        ctx.seen.add(email)
        user = ctx.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if user is not None and ctx.session.scalar(
            sa.select(MentorProfile.id).where(MentorProfile.user_id == user.id)
        ):
            row.errors.append(CellError("email", _l("This person already has a mentor profile.")))
    if ctx.kind == "investor":
        low, high = v.get("ticket_min"), v.get("ticket_max")
        if low is not None and high is not None and low > high:
            row.errors.append(
                CellError("ticket_max", _l("The minimum ticket cannot be larger than the maximum."))
            )
        key = (v.get("name") or "").casefold()
        if key and key in ctx.seen:
            row.errors.append(CellError("name", _l("This name appears twice in the file.")))
        ctx.seen.add(key)
    if ctx.kind == "facility":
        key = (v.get("name") or "").casefold()
        if key and key in ctx.seen:
            row.errors.append(CellError("name", _l("This name appears twice in the file.")))
        ctx.seen.add(key)
    if ctx.kind == "equipment" and v.get("facility") and v.get("name"):
        key = f"{v['facility']}|{v['name'].casefold()}"
        if key in ctx.seen:
            row.errors.append(CellError("name", _l("This instrument appears twice in the file.")))
        ctx.seen.add(key)


def _header_keys(columns: Sequence[Column]) -> dict[str, str]:
    """Header text -> column key: the key itself or its English/Chinese label."""
    table = {}
    for col in columns:
        table[col.key.casefold()] = col.key
        table[str(col.label).casefold()] = col.key
    return table


def preview(session: Session, kind: str, data: bytes, filename: str) -> ImportPreview:
    """Parse and validate ``data`` without writing anything (the dry run)."""
    if kind not in COLUMNS:
        raise Invalid(_l("Choose what to import."), field="kind")
    columns = COLUMNS[kind]
    result = ImportPreview(kind, filename, columns, [])
    with closing(iter_table(data, filename)) as rows:
        try:
            table = list(_non_blank_rows(rows))
        except _TooManyRows as exc:
            # Stop reading here: the rest of the file is never parsed.
            result.file_errors.append(exc.message)
            return result
    if not table:
        result.file_errors.append(_l("The file is empty."))
        return result
    headers = table[0]
    known = _header_keys(columns)
    from flask_babel import force_locale

    with force_locale("zh_CN"):
        known.update({str(c.label).casefold(): c.key for c in columns})
    with force_locale("en"):
        known.update({str(c.label).casefold(): c.key for c in columns})
    keys = [known.get(h.strip().casefold()) for h in headers]
    unknown = [h for h, k in zip(headers, keys, strict=True) if h and k is None]
    if unknown:
        result.file_errors.append(_l("Unknown columns: %(names)s.", names=", ".join(unknown)))
    missing = [str(c.label) for c in columns if c.required and c.key not in keys]
    if missing:
        result.file_errors.append(_l("Missing columns: %(names)s.", names=", ".join(missing)))
        return result
    ctx = _Context(session, kind)
    for number, cells in enumerate(table[1:], start=2):
        raw = {k: (cells[i] if i < len(cells) else "") for i, k in enumerate(keys) if k is not None}
        row = RowResult(number, raw)
        for col in columns:
            value, error = _parse_cell(col, raw.get(col.key, ""), ctx)
            if error is not None:
                row.errors.append(CellError(col.key, error))
            else:
                row.values[col.key] = value
        if row.ok:
            _check_row(row, ctx)
        result.rows.append(row)
    if not result.rows:
        result.file_errors.append(_l("The file has no data rows."))
    result.duplicate_of = earlier_import(session, data)
    return result


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def earlier_import(session: Session, data: bytes) -> ImportBatch | None:
    """The committed import of exactly this file (same bytes), if there was one."""
    return session.scalar(
        sa.select(ImportBatch).where(ImportBatch.content_hash == content_hash(data))
    )


def _already_imported(batch: ImportBatch | None) -> Any:
    if batch is None:
        return _l("This file has already been imported: nothing was imported.")
    return _l(
        "This file was already imported on %(day)s (%(n)d rows): nothing was imported. "
        "Tick “import it again” to import it anyway.",
        day=f"{batch.created_at:%Y-%m-%d %H:%M}",
        n=batch.row_count,
    )


# --- writing ------------------------------------------------------------------------------


def _mentor(session: Session, v: Mapping[str, Any]) -> MentorProfile:
    user = session.scalar(sa.select(User).where(sa.func.lower(User.email) == v["email"]))
    if user is None:
        user = User(email=v["email"], display_name=v["display_name"], roles=["mentor"])
        # Imported people sign in after an operator resets their password; until then no
        # password works.
        user.set_password(secrets.token_urlsafe(32))
        session.add(user)
    elif "mentor" not in user.roles:
        user.roles = [*user.roles, "mentor"]
    fields = {k: v[k] for k in v if k not in ("email", "display_name") and v[k] is not None}
    mentor = MentorProfile(user=user, **fields)
    session.add(mentor)
    return mentor


def _investor(session: Session, v: Mapping[str, Any]) -> Investor:
    values = {k: val for k, val in v.items() if val is not None}
    investor = Investor(**values)
    session.add(investor)
    return investor


def _facility(session: Session, v: Mapping[str, Any]) -> Facility:
    facility = Facility(**{k: val for k, val in v.items() if val is not None})
    session.add(facility)
    return facility


def _equipment(session: Session, v: Mapping[str, Any]) -> Equipment:
    values = {k: val for k, val in v.items() if k != "facility" and val is not None}
    equipment = Equipment(facility_id=v["facility"], **values)
    session.add(equipment)
    return equipment


_WRITERS: dict[str, Callable[[Session, Mapping[str, Any]], Any]] = {
    "mentor": _mentor,
    "investor": _investor,
    "facility": _facility,
    "equipment": _equipment,
}


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    kind: str
    count: int
    ids: list[int]


def run_import(
    session: Session,
    actor: User,
    kind: str,
    data: bytes,
    filename: str,
    *,
    import_again: bool = False,
) -> ImportResult:
    """Validate the whole file and write every row in one transaction, or refuse it whole.

    The same file (same bytes) a second time is refused unless ``import_again``: its rows would
    all be created twice. The unique hash decides when two operators confirm it at once.
    """
    require_operator(actor)
    checked = preview(session, kind, data, filename)
    if not checked.valid:
        raise Invalid(
            _l("The file has %(n)d errors: nothing was imported.", n=max(checked.error_count, 1)),
            field="file",
        )
    if checked.duplicate_of is not None and not import_again:
        raise Conflict(_already_imported(checked.duplicate_of), field="file")
    digest = content_hash(data)
    session.rollback()  # end the validation's read transaction: the writes go in one of their own
    try:
        entities = [_WRITERS[kind](session, row.values) for row in checked.rows]
        session.flush()
        batch = ImportBatch(
            kind=kind,
            filename=filename[:255],
            row_count=len(entities),
            created_by_id=actor.id,
            content_hash=None if checked.duplicate_of is not None else digest,
        )
        session.add(batch)
        session.flush()
        # Read the ids before the commit: reading them after would open a read transaction
        # that (SQLite) blocks the embedding jobs _announce starts, until its busy timeout.
        ids = [e.id for e in entities]
        batch_id = batch.id
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        earlier = None if import_again else earlier_import(session, data)
        if earlier is not None:  # another operator imported the same file just now
            raise Conflict(_already_imported(earlier), field="file") from exc
        raise Conflict(
            _l("The import conflicts with existing data: nothing was imported.")
        ) from exc
    _announce(kind, ids)
    return ImportResult(batch_id, kind, len(ids), ids)


def _announce(kind: str, ids: Sequence[int]) -> None:
    """Tell the recommendation indexes after the commit (one embedding job per profile)."""
    if kind not in PROFILE_KINDS:
        return
    for entity_id in ids:
        profile_changed(kind, entity_id)


# --- uploads kept between the preview and the confirmation ----------------------------------

_TOKEN = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


def store_upload(folder: str | Path, data: bytes, filename: str) -> str:
    """Keep an uploaded file for the confirmation step; returns its opaque token."""
    ext = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    token = f"{secrets.token_hex(16)}.{ext}"
    path = Path(folder) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    (path / token).write_bytes(data)
    return token


def load_upload(folder: str | Path, token: str) -> bytes:
    if not _TOKEN.match(token or ""):
        raise Invalid(_l("The uploaded file has expired; upload it again."), field="file")
    path = Path(folder) / "imports" / token
    if not path.exists():
        raise Invalid(_l("The uploaded file has expired; upload it again."), field="file")
    return path.read_bytes()


def discard_upload(folder: str | Path, token: str) -> None:
    if _TOKEN.match(token or ""):
        (Path(folder) / "imports" / token).unlink(missing_ok=True)


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
