"""Form helpers every area shares: vocabulary choices in the request's language, the numeric field
every form uses (and a mentor's sessions per month, asked in two places), the guard against
control characters and the parsing of ids in query strings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask import abort, flash, request
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter, Map
from wtforms import DecimalField as WTFormsDecimalField
from wtforms import IntegerField as WTFormsIntegerField
from wtforms import SelectMultipleField, widgets
from wtforms.validators import InputRequired, NumberRange, StopValidation, ValidationError

from matchmaker import vocab
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models.mentoring import MAX_SESSIONS_PER_MONTH
from matchmaker.services.errors import ServiceError
from matchmaker.web.i18n import current_locale


def vocab_choices(vocabulary: vocab.Labels, *, blank: Any = None) -> list[tuple[str, str]]:
    choices = vocab.choices(vocabulary, current_locale())
    return [("", str(blank)), *choices] if blank is not None else choices


class MultiCheckboxField(SelectMultipleField):
    """A multi-select shown as check boxes (sectors, languages, topics...)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    # WTForms' own messages for a value outside the list are not translated into Chinese
    # ("'x' is not a valid choice for this field."): ours are, and say what to do.
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Choose only from the list.")) from None

    def pre_validate(self, form: Any) -> None:
        _stop_after_parse_error(self)
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(_("Choose only from the list.")) from None


# Money columns are Numeric(16, 2): a wider number is refused by PostgreSQL (a 500) and silently
# stored as a float by SQLite.
DECIMAL_LIMIT = Decimal(10) ** 14


class DecimalField(WTFormsDecimalField):
    """WTForms' DecimalField without its holes: Decimal() reads "NaN", "sNaN" and "Infinity",
    which crash comparisons (ticket_min > ticket_max) or reach the database. Every form uses
    this one, so no amount field can forget the check."""

    data: Decimal | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            # Left empty: no value, not a parse error (Optional or InputRequired decide).
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Enter a number.")) from None
        value = self.data
        if isinstance(value, Decimal) and not value.is_finite():
            self.data = None
            raise ValueError(_("Enter a number (not NaN or infinity)."))
        if isinstance(value, Decimal) and abs(value) >= DECIMAL_LIMIT:
            self.data = None
            raise ValueError(_("This number is too large: at most 14 digits before the point."))

    def pre_validate(self, form: Any) -> None:
        _stop_after_parse_error(self)


def _stop_after_parse_error(field: Any) -> None:
    """A value that is not a number gets its one message; the range and required validators
    would otherwise add a second, wrong one ("must not be below 0" for 1e30)."""
    if field.process_errors:
        raise StopValidation()


class WholeNumberField(WTFormsIntegerField):
    """An integer field whose "not a number" message is ours (translated) and comes alone."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        raw = str(valuelist[0]).strip()
        if not (raw.isascii() and raw.lstrip("+-").isdigit()) or len(raw) > 12:
            self.data = None
            raise ValueError(_("Enter a whole number."))
        self.data = int(raw)

    def pre_validate(self, form: Any) -> None:
        _stop_after_parse_error(self)


def sessions_per_month_field(label: Any, *, default: int | None = None) -> WholeNumberField:
    """A mentor's capacity (the mentor profile and the mentoring settings both ask for it):
    required, 0 (takes no sessions) to ``MAX_SESSIONS_PER_MONTH``, the range the services
    check too, so the form says it under the field before any service is asked."""
    return WholeNumberField(
        label,
        default=default,
        validators=[
            InputRequired(),
            NumberRange(
                min=0,
                max=MAX_SESSIONS_PER_MONTH,
                message=_l("Enter a number from 0 to %(n)d.", n=MAX_SESSIONS_PER_MONTH),
            ),
        ],
    )


# C0 control characters other than tab, LF and CR. PostgreSQL cannot store NUL in text (a 500),
# XML (the Excel exports) cannot hold any of them, and no keyboard types them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _has_control(values: Sequence[str]) -> bool:
    return any(_CONTROL.search(v) for v in values)


def refuse_control_characters() -> None:
    """Before every request: a form or query string holding a control character is refused
    with a 400 in the user's language, before any view runs, so nothing is stored.

    One check here rather than a validator on each field: it also covers the values views read
    from request.form or request.args directly (slot keys, filters, ids) and every future form."""
    sources = [request.args]
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.form)
    for source in sources:
        for key, values in source.lists():
            if _has_control([key, *values]):
                abort(
                    400,
                    description=_(
                        "The form contained invisible control characters (such as NUL bytes). "
                        "Remove them and try again."
                    ),
                )


# Ids are INTEGER columns; a larger number cannot name a row (and SQLite raises OverflowError).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number beyond MAX_ID matches no route (a 404), instead of
    reaching the database as a value its integer columns cannot compare with (a 500)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def parse_id(raw: str | None) -> int | None:
    """A row id written as ASCII digits, or None ("²" is a digit to str.isdigit, not to int)."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def id_arg(name: str) -> int | None:
    """An id filter from the query string (?facility_id=...): None when absent or not an id."""
    return parse_id(request.args.get(name))


def int_arg(name: str, low: int, high: int) -> int | None:
    """A bounded whole number from the query string (?year=...): None when absent or outside."""
    raw = (request.args.get(name) or "").strip()
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 12:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def show_refusal(form: FlaskForm, exc: ServiceError) -> None:
    """A service's refusal under the form field it names (``exc.field``), else as a flash
    message above the form."""
    field = getattr(form, exc.field or "", None)
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        flash(str(exc.message), "danger")


def refusal_status(exc: ServiceError, form: FlaskForm | None = None) -> int:
    """Show a refusal the user can act on and return its status, to answer with the form again:
    under ``form``'s field it names (``show_refusal``), or flashed without a form. A 403 or 404
    is not the form's business: it is raised again, for the error page."""
    if exc.status in (403, 404):
        raise exc
    if form is None:
        flash(str(exc.message), "danger")
    else:
        show_refusal(form, exc)
    return exc.status


def form_errors(form: FlaskForm) -> list[str]:
    return [f"{form[name].label.text}: {msg}" for name, msgs in form.errors.items() for msg in msgs]


ANY = _l("Any")
