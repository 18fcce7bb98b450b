"""Language and time zone of the current request, and template helpers for vocabularies.

Translatable messages themselves are made with ``matchmaker.i18n`` (services use them too): its
lazy messages escape their parameters when they reach HTML, Flask-Babel's do not.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import get_locale
from flask_login import current_user

from matchmaker import vocab
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
    return str(get_locale() or "zh_CN")


def init_app(app: Flask) -> None:
    """Flask-Babel picks each request's language and time zone here (the rest of the app only
    translates), and templates get the vocabulary helpers."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    register_template_helpers(app)


def register_template_helpers(app: Flask) -> None:
    """``label('SECTORS', code)`` and friends, in the request's language."""

    def label(vocabulary: str, code: str) -> str:
        return vocab.label(getattr(vocab, vocabulary), code, current_locale())

    def labels(vocabulary: str, codes: list[str]) -> list[str]:
        return [label(vocabulary, code) for code in codes]

    app.jinja_env.globals.update(
        label=label, labels=labels, vocab=vocab, current_locale=current_locale
    )
