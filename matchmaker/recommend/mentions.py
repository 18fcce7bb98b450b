"""Which candidates a startup's own words name: "backed by SV Angel", "获得红杉资本天使轮投资".

A founder who names a fund or a mentor in their profile states a tie (a backer the platform has
not recorded, a mentor they already work with, a fund they are talking to). That is direct
evidence, stronger than any similarity of texts, and it must not depend on the candidate being
among the nearest vectors: ``NameIndex.find`` costs time in the length of the text, not in the
number of names, so it also serves as a candidate-generation leg.

Latin-script names match whole words, case-insensitively except for the first letter: a fund
called "Benchmark" is found in "led by Benchmark" but not in "benchmark tests". Names with CJK
characters have no word boundaries to rely on and match as substrings of the text with spaces
and punctuation removed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

_LATIN_WORD = re.compile(r"[0-9A-Za-z\u00C0-\u024F]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PARENTHESES = re.compile(r"[(（]([^)）]*)[)）]")
MIN_LATIN_CHARS = 3  # "AB" is more often an abbreviation than a name
MIN_CJK_CHARS = 2  # one character is a word, not a name
MAX_CJK_CHARS = 24


def aliases(name: str) -> set[str]:
    """The name, the name without parenthetical parts, and each parenthetical part:
    "Draper Fisher Jurvetson (DFJ)" is also "Draper Fisher Jurvetson" and "DFJ"."""
    out = {name.strip(), _PARENTHESES.sub(" ", name).strip()}
    out.update(m.strip() for m in _PARENTHESES.findall(name))
    return {a for a in out if a}


def _compact(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class NameIndex:
    """Names of one kind of profile (mentors or investors), kept current with ``put``/``remove``."""

    def __init__(self) -> None:
        # casefolded words -> {item id: the match must start with a capital letter}
        self._latin: dict[tuple[str, ...], dict[int, bool]] = defaultdict(dict)
        self._cjk: dict[str, set[int]] = defaultdict(set)  # compacted name -> item ids
        self._keys: dict[int, list[tuple[str, ...] | str]] = {}
        self._latin_lengths: Counter[int] = Counter()
        self._cjk_lengths: Counter[int] = Counter()

    def __len__(self) -> int:
        return len(self._keys)

    def put(self, item_id: int, name: str) -> None:
        """Index ``name`` for ``item_id`` (replacing what was indexed for it)."""
        self.remove(item_id)
        keys: list[tuple[str, ...] | str] = []
        for alias in aliases(name):
            if _CJK.search(alias):
                key = _compact(alias)
                if MIN_CJK_CHARS <= len(key) <= MAX_CJK_CHARS and key not in keys:
                    self._cjk[key].add(item_id)
                    self._cjk_lengths[len(key)] += 1
                    keys.append(key)
                continue
            words = tuple(w.casefold() for w in _LATIN_WORD.findall(alias))
            if sum(map(len, words)) < MIN_LATIN_CHARS or words in keys:
                continue
            self._latin[words][item_id] = alias[0].isupper()
            self._latin_lengths[len(words)] += 1
            keys.append(words)
        if keys:
            self._keys[item_id] = keys

    def remove(self, item_id: int) -> None:
        for key in self._keys.pop(item_id, []):
            if isinstance(key, str):
                self._cjk[key].discard(item_id)
                if not self._cjk[key]:
                    del self._cjk[key]
                self._cjk_lengths[len(key)] -= 1
            else:
                self._latin[key].pop(item_id, None)
                if not self._latin[key]:
                    del self._latin[key]
                self._latin_lengths[len(key)] -= 1
        self._latin_lengths += Counter()  # drops lengths no name has any more
        self._cjk_lengths += Counter()

    def find(self, text: str) -> set[int]:
        """Ids whose name (or an alias of it) occurs in ``text``."""
        found: set[int] = set()
        if not text:
            return found
        if self._latin:
            words = [
                (m.group(0).casefold(), m.group(0)[0].isupper()) for m in _LATIN_WORD.finditer(text)
            ]
            folded = [w for w, _ in words]
            for n in self._latin_lengths:
                for start in range(len(words) - n + 1):
                    owners = self._latin.get(tuple(folded[start : start + n]))
                    if owners:
                        capital = words[start][1]
                        found.update(i for i, needs in owners.items() if capital or not needs)
        if self._cjk:
            compact = _compact(text)
            for n in self._cjk_lengths:
                for start in range(len(compact) - n + 1):
                    owners_cjk = self._cjk.get(compact[start : start + n])
                    if owners_cjk:
                        found.update(owners_cjk)
        return found
