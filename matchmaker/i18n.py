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

Eager ``flask_babel.gettext`` needs no wrapper: it returns a plain ``str``, which Jinja escapes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, ngettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

__all__ = ["LazyText", "lazy_gettext", "lazy_ngettext"]


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
