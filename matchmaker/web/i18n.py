"""Language and time zone of the current request, and template helpers for vocabularies.

Translatable messages themselves are made with ``matchmaker.i18n`` (services use them too): its
lazy messages escape their parameters when they reach HTML, Flask-Babel's do not.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import Locale
from flask import Flask, request, session
from flask_login import current_user
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

from matchmaker import i18n, vocab
from matchmaker.extensions import babel
from matchmaker.timezones import DEFAULT_ZONE

SUPPORTED = vocab.UI_LOCALES


def select_locale() -> str:
    """A signed-in user's choice, else the session's, else the browser's, else Chinese."""
    if getattr(current_user, "is_authenticated", False) and current_user.locale in SUPPORTED:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in SUPPORTED:
        return str(chosen)
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best in ("zh_CN", "zh"):
        return "zh_CN"
    return best or "zh_CN"


def select_timezone() -> str:
    return DEFAULT_ZONE


def current_locale() -> str:
    in_force = i18n.locale()
    return _locale_name(in_force) if in_force is not None else "zh_CN"


@lru_cache(maxsize=32)
def _locale_name(locale: Locale) -> str:
    """``str(locale)``, which babel composes again on each call: templates ask it per label."""
    return str(locale)


def init_app(app: Flask) -> None:
    """Flask-Babel picks each request's language and time zone here (the rest of the app only
    translates), and templates get the vocabulary helpers."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    register_template_helpers(app)
    register_template_gettext(app)


def register_template_gettext(app: Flask) -> None:
    """Templates' ``_()`` and ``gettext()``: what Jinja's i18n extension with Flask-Babel's
    callables does (newstyle: the text, marked safe under autoescape, formatted with its
    escaped parameters), without its per-call detours (a context lookup of ``gettext``, then
    Flask-Babel finding the domain, the locale and its cache again). A page calls it 30-40
    times; ``i18n.catalog()`` is the catalog of the locale in force (``force_locale``
    included)."""

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        text = i18n.catalog().ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704  (the catalog's text, as Jinja marks it)
        # Jinja formats every text, parameters or not ("%%" becomes "%"): the same here,
        # skipped only when there is nothing to format.
        return text % variables if variables or "%" in text else text

    app.jinja_env.globals.update(_=gettext, gettext=gettext)


def register_template_helpers(app: Flask) -> None:
    """``label('SECTORS', code)`` and friends, in the request's language."""

    def label(vocabulary: str, code: str) -> str:
        return vocab.label(getattr(vocab, vocabulary), code, current_locale())

    def labels(vocabulary: str, codes: list[str]) -> list[str]:
        return [label(vocabulary, code) for code in codes]

    app.jinja_env.globals.update(
        label=label, labels=labels, vocab=vocab, current_locale=current_locale
    )
