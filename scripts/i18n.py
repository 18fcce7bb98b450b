"""Translation catalogs, one Babel domain per area (see config.TRANSLATION_DOMAINS).

    python scripts/i18n.py update DOMAIN PATH...   extract DOMAIN's strings from PATHs and merge
                                                 them into translations/zh_CN/LC_MESSAGES/DOMAIN.po
    python scripts/i18n.py fill DOMAIN FILE.json   set translations from {msgid: msgstr} JSON
    python scripts/i18n.py compile                 compile every .po to .mo (done at install)
    python scripts/i18n.py check                   fail if any catalog has untranslated or fuzzy
                                                 entries (a page half in English is a bug)

English is the source language, so only Chinese has catalogs (folder `zh`, which serves
zh_CN). Areas keep separate domains so that they can be worked on at the same time without
editing one shared file.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "matchmaker" / "translations"
LOCALE = "zh"  # found for zh_CN, which Babel reads as zh_Hans_CN


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def update(domain: str, paths: list[str]) -> None:
    po = TRANSLATIONS / LOCALE / "LC_MESSAGES" / f"{domain}.po"
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / f"{domain}.pot"
        _pybabel(
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "-o",
            str(pot),
            *paths,
        )
        if po.exists():
            _pybabel(
                "update",
                "-i",
                str(pot),
                "-d",
                str(TRANSLATIONS),
                "-D",
                domain,
                "-l",
                LOCALE,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            _pybabel("init", "-i", str(pot), "-d", str(TRANSLATIONS), "-D", domain, "-l", LOCALE)


def fill(domain: str, mapping_file: str) -> None:
    import json

    from babel.messages.pofile import write_po

    po = TRANSLATIONS / LOCALE / "LC_MESSAGES" / f"{domain}.po"
    mapping = json.loads(Path(mapping_file).read_text(encoding="utf-8"))
    with po.open("rb") as f:
        catalog = read_po(f, locale=LOCALE, domain=domain)
    for message in catalog:
        if message.id and message.id in mapping:
            message.string = mapping[message.id]
            message.flags.discard("fuzzy")
    with po.open("wb") as f:
        write_po(f, catalog, omit_header=False, sort_output=True, width=100)


def compile_all() -> None:
    for po in sorted((TRANSLATIONS / LOCALE / "LC_MESSAGES").glob("*.po")):
        _pybabel("compile", "-d", str(TRANSLATIONS), "-D", po.stem, "-l", LOCALE, "--statistics")


def check() -> int:
    """Untranslated or fuzzy entries, and one msgid translated differently in two domains:
    the domains are merged into one catalog at run time, so one of the two would silently win."""
    problems = 0
    seen: dict[str, tuple[str, object]] = {}
    for po in sorted((TRANSLATIONS / LOCALE / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                problems += 1
                print(f"{po.name}: untranslated: {message.id!r}")
            key = str(message.id)
            if key in seen and seen[key][1] != message.string:
                problems += 1
                other_po, other = seen[key]
                print(f"{po.name}: {key!r} is {message.string!r}, but {other!r} in {other_po}")
            seen.setdefault(key, (po.name, message.string))
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, *rest = argv
    if command == "update" and len(rest) >= 2:
        update(rest[0], rest[1:])
    elif command == "fill" and len(rest) == 2:
        fill(rest[0], rest[1])
    elif command == "compile":
        compile_all()
    elif command == "check":
        return check()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
