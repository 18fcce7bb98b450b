"""Bulk import of mentors, investors, facilities and equipment from Excel (.xlsx) or CSV.

``preview`` parses and validates every row and writes nothing (the dry run); ``run_import``
validates again and writes all rows in one transaction, or none: a file with a single bad row
is refused whole. Errors name the row and column and are lazy-translated. The columns of each
kind are ``import_columns``; reading the file and keeping the upload, ``import_files``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.database import begin_write
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext
from matchmaker.models import Equipment, Facility, Investor, Mentor, User
from matchmaker.models.operator import ImportBatch, ImportKind
from matchmaker.services.accounts.profile_events import PROFILE_KINDS, profile_changed
from matchmaker.services.errors import Conflict, Invalid
from matchmaker.services.operator.imports.import_columns import (
    COLUMNS,
    Column,
    header_keys,
    parse_cell,
)
from matchmaker.services.operator.imports.import_files import (
    TooManyRows,
    iter_table,
    non_blank_rows,
)
from matchmaker.services.operator.policy_center.policies import require_operator
from matchmaker.services.transactions import commit, use_case

MAX_ROWS = 5000


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


# --- validating ---------------------------------------------------------------------------


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
    if ctx.kind == ImportKind.MENTOR and "email" in v:
        email = v["email"]
        if email in ctx.seen:
            row.errors.append(
                CellError("email", _l("This e-mail address appears twice in the file."))
            )
        ctx.seen.add(email)
        user = ctx.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if user is not None and ctx.session.scalar(
            sa.select(Mentor.id).where(Mentor.user_id == user.id)
        ):
            row.errors.append(CellError("email", _l("This person already has a mentor profile.")))
    if ctx.kind == ImportKind.INVESTOR:
        low, high = v.get("ticket_min"), v.get("ticket_max")
        if low is not None and high is not None and low > high:
            row.errors.append(
                CellError("ticket_max", _l("The minimum ticket cannot be larger than the maximum."))
            )
        key = (v.get("name") or "").casefold()
        if key and key in ctx.seen:
            row.errors.append(CellError("name", _l("This name appears twice in the file.")))
        ctx.seen.add(key)
    if ctx.kind == ImportKind.FACILITY:
        key = (v.get("name") or "").casefold()
        if key and key in ctx.seen:
            row.errors.append(CellError("name", _l("This name appears twice in the file.")))
        ctx.seen.add(key)
    if ctx.kind == ImportKind.EQUIPMENT and v.get("facility") and v.get("name"):
        key = f"{v['facility']}|{v['name'].casefold()}"
        if key in ctx.seen:
            row.errors.append(CellError("name", _l("This instrument appears twice in the file.")))
        ctx.seen.add(key)


def preview(session: Session, kind: str, data: bytes, filename: str) -> ImportPreview:
    """Parse and validate ``data`` without writing anything (the dry run)."""
    if kind not in COLUMNS:
        raise Invalid(_l("Choose what to import."), field="kind")
    columns = COLUMNS[kind]
    result = ImportPreview(kind, filename, columns, [])
    with closing(iter_table(data, filename)) as rows:
        try:
            table = list(non_blank_rows(rows, MAX_ROWS))
        except TooManyRows as exc:
            # Stop reading here: the rest of the file is never parsed.
            result.file_errors.append(exc.message)
            return result
    if not table:
        result.file_errors.append(_l("The file is empty."))
        return result
    headers = table[0]
    known = header_keys(columns)
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
            value, error = parse_cell(col, raw.get(col.key, ""), ctx.facility)
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
    """SHA-256 of the file's bytes: the same file imported twice has the same hash."""
    return hashlib.sha256(data).hexdigest()


def earlier_import(session: Session, data: bytes) -> ImportBatch | None:
    """The committed import of exactly this file (same bytes), if there was one."""
    return session.scalar(
        sa.select(ImportBatch).where(ImportBatch.content_hash == content_hash(data))
    )


def _already_imported(batch: ImportBatch | None) -> Any:
    if batch is None:
        return _l("This file has already been imported: nothing was imported.")
    return lazy_ngettext(
        "This file was already imported on %(day)s (%(num)d row): nothing was imported. "
        "Tick “import it again” to import it anyway.",
        "This file was already imported on %(day)s (%(num)d rows): nothing was imported. "
        "Tick “import it again” to import it anyway.",
        batch.row_count,
        day=f"{batch.created_at:%Y-%m-%d %H:%M}",
    )


# --- writing ------------------------------------------------------------------------------


def _mentor(session: Session, v: Mapping[str, Any]) -> Mentor:
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
    mentor = Mentor(user=user, **fields)
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
    ImportKind.MENTOR: _mentor,
    ImportKind.INVESTOR: _investor,
    ImportKind.FACILITY: _facility,
    ImportKind.EQUIPMENT: _equipment,
}


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    kind: str
    count: int
    ids: list[int]


@use_case
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
            lazy_ngettext(
                "The file has %(num)d error: nothing was imported.",
                "The file has %(num)d errors: nothing was imported.",
                max(checked.error_count, 1),
            ),
            field="file",
        )
    if checked.duplicate_of is not None and not import_again:
        raise Conflict(_already_imported(checked.duplicate_of), field="file")
    actor_id = actor.id  # read before begin_write's commit expires it
    begin_write(session)  # the validation's reads end here: the writes go in one of their own
    # Everything is flushed at the commit, so a constraint that says no (another operator's
    # rows, committed meanwhile) says it there. The writers' lookups need no row of this file:
    # a value repeated in the file was refused above.
    with session.no_autoflush:
        entities = [_WRITERS[kind](session, row.values) for row in checked.rows]
    batch = ImportBatch(
        kind=kind,
        filename=filename[:255],
        row_count=len(entities),
        created_by_id=actor_id,
        content_hash=None if checked.duplicate_of is not None else content_hash(data),
    )
    session.add(batch)

    def conflict(exc: IntegrityError) -> Any:
        earlier = None if import_again else earlier_import(session, data)
        if earlier is not None:  # another operator imported the same file just now
            return _already_imported(earlier)
        return _l("The import conflicts with existing data: nothing was imported.")

    commit(session, conflict_for=conflict)
    # The ids as the commit persisted them, read from the identity map: loading them would open
    # a read transaction that (SQLite) blocks the embedding jobs _announce starts, until its
    # busy timeout.
    ids = [_persisted_id(e) for e in entities]
    _announce(kind, ids)
    return ImportResult(_persisted_id(batch), kind, len(ids), ids)


def _persisted_id(entity: Any) -> int:
    """The primary key the commit gave ``entity``, without a query (it is expired)."""
    identity = sa.inspect(entity).identity
    if identity is None:
        raise RuntimeError(f"{entity!r} was not persisted")
    return int(identity[0])


def _announce(kind: str, ids: Sequence[int]) -> None:
    """Tell the recommendation indexes after the commit (one embedding job per profile)."""
    if kind not in PROFILE_KINDS:
        return
    for entity_id in ids:
        profile_changed(kind, entity_id)
