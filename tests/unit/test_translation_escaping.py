"""Every translatable message with parameters, in English and Chinese, rendered with an HTML
payload in every parameter through each way a message reaches a page: a lazy message from
``matchmaker.i18n`` (as services build them), an eager ``gettext`` (as views do), ``_()`` in a
template, ``Markup(message)`` and a flash message's trip through the session cookie.

The messages are read from the catalogs and extracted from the sources (a message not yet in a
catalog is still checked, in English)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale, gettext
from markupsafe import Markup, escape

from matchmaker import create_app
from matchmaker.i18n import LazyText, lazy_gettext

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "matchmaker" / "translations" / "zh" / "LC_MESSAGES"
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
LOCALES = ["en", "zh_CN"]
PARAMETER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")


def _catalog_messages() -> dict[str, str]:
    """msgid -> Chinese msgstr, over every domain."""
    messages: dict[str, str] = {}
    for po in sorted(CATALOGS.glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id and isinstance(message.id, str):
                    messages[message.id] = str(message.string)
    return messages


def _source_messages() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found: set[str] = set()
    for folder, method in (("matchmaker", "python"), ("templates", "jinja2")):
        for _name, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / folder), [("**." + ("py" if method == "python" else "html"), method)],
            keywords=keywords,
        ):  # fmt: skip
            if isinstance(message, str):
                found.add(message)
    return found


CATALOG = _catalog_messages()
MESSAGES = sorted(m for m in CATALOG.keys() | _source_messages() if PARAMETER.search(m))


def _arguments(msgid: str, payload: str) -> dict[str, Any]:
    """A value for each parameter of the message and its translation: the payload for text,
    a number where the format needs one."""
    arguments: dict[str, Any] = {}
    for text in (msgid, CATALOG.get(msgid, "")):
        for name, conversion in PARAMETER.findall(text):
            if conversion in "diouxXc":
                arguments[name] = 7
            elif conversion in "eEfFgG":
                arguments[name] = 1.5
            else:
                arguments[name] = payload
    return arguments


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    # No database is touched: only templates, translations and the session serialiser.
    folder = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k" * 64,
            "DATABASE_URL": "sqlite://",
            "QUEUE_DATABASE": str(folder / "jobs.sqlite3"),
            "UPLOAD_DIR": str(folder / "uploads"),
        }
    )
    with app.test_request_context():
        yield app


def test_every_parameterised_message_is_found() -> None:
    assert len(MESSAGES) > 150
    assert "Located in %(place)s." in MESSAGES
    assert "Unknown columns: %(names)s." in MESSAGES
    assert "No facility called “%(name)s”." in MESSAGES


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("payload", PAYLOADS, ids=["script", "img"])
def test_parameters_are_escaped_wherever_a_message_reaches_html(
    app: Flask, locale: str, payload: str
) -> None:
    shown = app.jinja_env.from_string("{{ message }}")
    in_template = app.jinja_env.from_string("{{ _(msgid, **arguments) }}")
    cookie = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    escaped = str(escape(payload))
    failures = []
    with force_locale(locale):
        for msgid in MESSAGES:
            arguments = _arguments(msgid, payload)
            if not any(v == payload for v in arguments.values()):
                continue  # only numbers: nothing a user could inject
            lazy = lazy_gettext(msgid, **arguments)
            flashed = cookie.loads(cookie.dumps({"_flashes": [("info", lazy)]}))["_flashes"][0][1]
            outputs = {
                "lazy": shown.render(message=lazy),
                "eager": shown.render(message=gettext(msgid, **arguments)),
                "template": in_template.render(msgid=msgid, arguments=arguments),
                "Markup(lazy)": str(Markup(lazy)),  # noqa: S704 (what a careless view would do)
                "flashed lazy": shown.render(message=flashed),
            }
            for way, html in outputs.items():
                if payload in html or escaped not in html:
                    failures.append(f"{way}: {msgid!r} -> {html!r}")
            # The text form stays plain, for e-mails, CSV exports and JSON.
            if payload not in str(lazy):
                failures.append(f"text: {msgid!r} -> {str(lazy)!r}")
    assert not failures, "\n".join(failures[:20])


def test_a_lazy_message_is_text_even_without_parameters(app: Flask) -> None:
    message = lazy_gettext("Terms & conditions")  # not a catalog entry: shown as given
    assert isinstance(message, LazyText)
    assert app.jinja_env.from_string("{{ m }}").render(m=message) == "Terms &amp; conditions"
    assert str(message) == "Terms & conditions"


def test_no_module_makes_lazy_messages_with_flask_babel_directly() -> None:
    """Flask-Babel's own lazy strings claim to be safe HTML; matchmaker.i18n's do not."""
    lazy = {"lazy_gettext", "lazy_ngettext", "lazy_pgettext", "lazy_npgettext"}
    offenders = []
    for path in sorted((ROOT / "matchmaker").rglob("*.py")):
        if path == ROOT / "matchmaker" / "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask_babel":
                offenders += [f"{path}:{node.lineno}" for a in node.names if a.name in lazy]
            elif (
                isinstance(node, ast.Attribute)
                and node.attr in lazy
                and isinstance(node.value, ast.Name)
                and node.value.id == "flask_babel"
            ):
                offenders.append(f"{path}:{node.lineno}")
    assert not offenders, offenders


def test_the_remembered_catalog_follows_the_locale_in_force(app: Flask) -> None:
    """``matchmaker.i18n`` finds a catalog once per request and locale; ``force_locale`` (as
    e-mails in the recipient's language use it) still switches, nested, and switches back."""
    from flask_babel import ngettext

    from matchmaker import i18n

    def both(msgid: str) -> tuple[str, str]:
        return i18n.gettext(msgid), gettext(msgid)

    # A new app context: ``g``, where Flask-Babel keeps the chosen locale, belongs to it.
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert both("Sign in") == ("Sign in", "Sign in")
        with force_locale("zh_CN"):
            chinese = i18n.gettext("Sign in")
            assert chinese != "Sign in" and chinese == gettext("Sign in")
            with force_locale("en"):
                assert both("Sign in") == ("Sign in", "Sign in")
            assert i18n.gettext("Sign in") == chinese
            assert str(lazy_gettext("Sign in")) == chinese
            for n in (1, 2):
                forms = ("%(num)d instrument", "%(num)d instruments", n)
                assert i18n.ngettext(*forms) == ngettext(*forms) == f"{n} 台仪器"
        assert both("Sign in") == ("Sign in", "Sign in")
        assert str(i18n.locale()) == "en"
