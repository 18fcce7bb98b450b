"""Translatable messages for every layer: ``from matchmaker.i18n import lazy_gettext as _l``.

Services raise errors and build reasons with lazily translated messages whose parameters are user
data (a startup's location, a column name from an uploaded file). Flask-Babel's ``LazyString``
defines ``__html__`` as its interpolated text, which tells Jinja, ``Markup`` and Flask's flash
serialiser that the whole message, parameters included, is already safe HTML: a founder's
location "<script>…" ran in the operator's browser. Every lazy message is made here instead.

Our messages are text, never HTML (no catalog entry holds markup), so the HTML form of a lazy
message is its escaped text: exactly how Jinja treats the ``str`` an eager ``gettext()`` returns.
We do not instead return ``Markup`` with escaped parameters (the Jinja ``{% trans %}`` way): code
calls ``str(exc.message)`` and puts the text into e-mails, CSV exports, JSON and flash messages,
and a pre-escaped ``str`` there reads "O&#39;Brien" (or is escaped a second time by Jinja).
Keeping ``str()`` plain and only ``__html__`` escaped is right for both kinds of sink.

Eager messages come from here too (``from matchmaker.i18n import gettext as _``): a plain ``str``
like Flask-Babel's ``gettext``, which Jinja escapes, found faster. The catalog of the language in
force is found once per request and language (``catalog``): Flask-Babel finds its context,
domain, locale and cache again on every message, three context lookups each, and a
recommendation page words 50-150 messages, reasons and labels. Per call here: ``gettext`` 2.3 µs
instead of 23.7, the locale 0.8 instead of 6.4 (``scripts/bench_i18n.py``).
"""

from __future__ import annotations

from typing import Any

import flask_babel
from babel import Locale
from babel.support import NullTranslations
from flask import g, has_app_context
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

__all__ = ["LazyText", "catalog", "gettext", "lazy_gettext", "lazy_ngettext", "locale", "ngettext"]


def _babel_state() -> Any:
    """Flask-Babel's per-context namespace (``g._flask_babel``: the locale in force, set by its
    selector or ``force_locale``), reached with one context lookup; None before Flask-Babel
    made it, or outside an app context."""
    if not has_app_context():
        return None
    return getattr(g._get_current_object(), "_flask_babel", None)


def locale() -> Locale | None:
    """``flask_babel.get_locale()``: the locale in force, ``force_locale`` included."""
    found = getattr(_babel_state(), "babel_locale", None)
    return found if found is not None else flask_babel.get_locale()


def catalog() -> NullTranslations:
    """``flask_babel.get_translations()``: the catalog of the locale in force, remembered in
    Flask-Babel's namespace per locale (``force_locale`` switches the key, not the entry)."""
    state = _babel_state()
    in_force = getattr(state, "babel_locale", None)
    if in_force is None:  # the context's first message (its locale not chosen yet) or none
        return flask_babel.get_translations()
    catalogs: dict[Locale, NullTranslations] = state.__dict__.setdefault("catalogs", {})
    found = catalogs.get(in_force)
    if found is None:
        found = catalogs[in_force] = flask_babel.get_translations()
    return found


def gettext(string: str, **variables: Any) -> str:
    """``flask_babel.gettext``: the text in the locale in force, formatted with ``variables``."""
    text = catalog().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """``flask_babel.ngettext``: the form for ``num``, which the text may name as ``%(num)d``."""
    variables.setdefault("num", num)
    return catalog().ungettext(singular, plural, num) % variables


class LazyText(LazyString):
    """A message translated when it is used; its HTML form escapes the text and parameters."""

    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables: Any) -> LazyText:
    """``flask_babel.lazy_gettext`` whose parameters are escaped wherever it reaches HTML."""
    return LazyText(gettext, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables: Any) -> LazyText:
    """``flask_babel.lazy_ngettext`` whose parameters are escaped wherever it reaches HTML."""
    return LazyText(ngettext, singular, plural, num, **variables)
