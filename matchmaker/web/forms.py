"""Form helpers every area shares: vocabulary choices in the request's language."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.web.i18n import current_locale


def vocab_choices(vocabulary: vocab.Labels, *, blank: Any = None) -> list[tuple[str, str]]:
    choices = vocab.choices(vocabulary, current_locale())
    return [("", str(blank)), *choices] if blank is not None else choices


class MultiCheckboxField(SelectMultipleField):
    """A multi-select shown as check boxes (sectors, languages, topics...)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def form_errors(form: FlaskForm) -> list[str]:
    return [f"{form[name].label.text}: {msg}" for name, msgs in form.errors.items() for msg in msgs]


ANY = _l("Any")
