"""Plausible, unique people for the demo: Chinese names with pinyin e-mail addresses and
international names from the countries the makerspace hosts founders and mentors from."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from matchmaker.demo.tables import GIVEN_NAMES, INTERNATIONAL, SURNAMES

DOMAINS = ("example.com", "example.net", "example.org")  # reserved for examples (RFC 2606)


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    locale: str  # UI locale: zh_CN or en
    languages: tuple[str, ...]  # vocab.LANGUAGES codes
    chinese: bool


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


class PeoplePool:
    """Draws people without repeating a name or an e-mail address."""

    def __init__(self, rng: random.Random, reserved_names: tuple[str, ...] = ()) -> None:
        self.rng = rng
        self._names: set[str] = set(reserved_names)
        self._emails: set[str] = set()
        # Common surnames come up more often, as they do in life.
        self._surname_weights = [len(SURNAMES) - i + 5 for i in range(len(SURNAMES))]

    def _email(self, local: str) -> str:
        domain = self.rng.choice(DOMAINS)
        candidate, n = f"{local}@{domain}", 2
        while candidate in self._emails:
            candidate, n = f"{local}{n}@{domain}", n + 1
        self._emails.add(candidate)
        return candidate

    def reserve_email(self, local: str) -> str:
        """An address for a person whose name is fixed (reserved at construction)."""
        return self._email(local)

    def chinese(self, english_share: float = 0.25, english_ui: bool = False) -> Person:
        while True:
            (surname, s_py) = self.rng.choices(SURNAMES, weights=self._surname_weights)[0]
            given, g_py = self.rng.choice(GIVEN_NAMES)
            if surname + given not in self._names:
                break
        self._names.add(surname + given)
        languages = ("zh", "en") if english_ui or self.rng.random() < english_share else ("zh",)
        return Person(
            name=surname + given,
            email=self._email(f"{s_py}.{g_py}"),
            locale="en" if english_ui else "zh_CN",
            languages=languages,
            chinese=True,
        )

    def international(self, origin: str | None = None) -> Person:
        origins = {code: (firsts, lasts) for code, firsts, lasts in INTERNATIONAL}
        if origin is None:
            origin = self.rng.choices(list(origins), weights=[3, 2, 2, 2, 2, 5])[0]
        firsts, lasts = origins[origin]
        while True:
            name = f"{self.rng.choice(firsts)} {self.rng.choice(lasts)}"
            if name not in self._names:
                break
        self._names.add(name)
        first, last = name.split(" ", 1)
        languages = ["en"] if origin == "en" else ["en", origin]
        if self.rng.random() < 0.4:
            languages.append("zh")
        return Person(
            name=name,
            email=self._email(f"{_ascii(first)}.{_ascii(last)}"),
            locale="en",
            languages=tuple(languages),
            chinese=False,
        )
