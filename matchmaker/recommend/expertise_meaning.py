"""Named expertise across languages: a founder's word and a mentor's specific expertise word in
the other language that mean the same ("专利" / "patent", "认证" / "certification").

``expertise.ExpertiseTerms`` matches the words both sides wrote; a founder writing "已提交3项专利
申请" and a lawyer whose profile says "patent filing" share none. Single words are what the
multilingual embedder aligns best across languages: with USE, 专利 / patent 0.78, 认证 /
certification 0.79, 表征 / characterisation 0.70, while two clauses do poorly (an unrelated
description clause and expertise clause reach 0.47, two patent clauses 0.44). So two words of
different languages are the same term when the cosine of their vectors reaches ``MEANING_MIN``.
The vectors are phrase vectors (``phrases.phrase_texts`` holds every profile's expertise words):
published with the index version and never embedded while serving.

"Specific" is as in ``expertise`` but counted over the meaning: a mentor word counts every mentor
who names it or a word of the other language meaning the same, so "fundraising", rare in English
profiles, is not specific on a platform where 18 mentors write 融资. Abbreviations and jargon the
model does not align (XRD / X射线衍射 0.39, pitch / 路演 0.41) come from a
small glossary of general laboratory and startup-support vocabulary (``GLOSSARY``), never from
words of any one profile.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from matchmaker.recommend.expertise import (
    COMMON_IN_STARTUPS,
    SPECIFIC_AT_LEAST,
    SPECIFIC_SHARE,
    WORDS_FOR_FULL_MATCH,
    mentor_expertise_text,
    words,
)
from matchmaker.recommend.hybrid import cjk_share
from matchmaker.recommend.lexical import dictionary_parts, general_rarity
from matchmaker.recommend.texts import MentorProfile, StartupProfile, startup_own_words

if TYPE_CHECKING:
    from numpy.typing import NDArray

# Vectors of words, one row each (a zero row for a word without a vector: it matches nothing).
WordVectors = Callable[[Sequence[str]], "NDArray[np.float32]"]

# Two single words of different languages mean the same at this cosine. Chosen on the demo's
# 263,000 founder-word x mentor-word pairs across languages (USE): the 99th percentile is 0.51 and
# pairs at 0.60-0.70 are still mostly chance ("程度" / "sichuan"); translations sit at 0.75-0.93.
MEANING_MIN = 0.75
# Everyday words have translations too (大型 / big 0.85, 销售 / sell, 愿意 / want) and, on a small
# platform, few mentors and founders use them: counts cannot tell them from 专利 / patent. General
# Chinese can: every pair has a Chinese side, and it must be a term, as rare in general Chinese
# (``lexical.general_rarity``) as domain words are (专利 10.8, 临床 10.1; 大型 9.1, 大学 8.0).
TERM_MIN_RARITY = 10.0
# Latin tokens (as ``expertise.words`` reads them) and the Chinese words that mean the same, where
# the embedder does not see it: abbreviations of laboratory methods and of startup support that
# Chinese texts also write out. General vocabulary of the domain, not of any profile; a pair found
# here still needs a specific mentor word and a term on the Chinese side, like any other.
GLOSSARY: dict[str, tuple[str, ...]] = {
    "xrd": ("衍射",),  # X射线衍射, X-ray diffraction
    "sem": ("扫描电镜",),  # scanning electron microscopy
    "tem": ("透射电镜",),  # transmission electron microscopy
    "xps": ("光电子",),  # X射线光电子能谱, X-ray photoelectron spectroscopy
    "ftir": ("红外",),  # 傅里叶变换红外光谱, Fourier-transform infrared spectroscopy
    "hplc": ("液相", "色谱"),  # 高效液相色谱, high-performance liquid chromatography
    "cnc": ("数控",),  # 数控机床, computer numerical control
    "pitch": ("路演",),  # 融资路演, a fundraising pitch
}
# Not "IP": Chinese texts use it for a franchise (文创IP) and for chip design blocks (IP核) as
# often as for 知识产权.
_GLOSSED: dict[str, frozenset[str]] = {
    word: frozenset(
        [*GLOSSARY.get(word, ()), *(latin for latin, zh in GLOSSARY.items() if word in zh)]
    )
    for word in {*GLOSSARY, *(w for zh in GLOSSARY.values() for w in zh)}
}
# Founders' texts whose matches are kept (a request asks for one startup's, many times).
CACHED_STARTUPS = 4096
_ROWS_PER_BLOCK = 1024  # rows of the word x word cosine matrix computed at once (memory)


def is_cjk(word: str) -> bool:
    """Whether a word (a token of ``expertise.words``) is Chinese rather than Latin script."""
    return cjk_share(word) >= 0.5


@lru_cache(maxsize=65_536)
def meaning_words(text: str) -> frozenset[str]:
    """``expertise.words`` of ``text`` and the dictionary words inside its Chinese compounds:
    "已提交发明专利申请" names 专利 as surely as "patent applications" names patent, and the
    compound as a whole is further from "patent" (0.66-0.69) than its part (0.78)."""
    found = words(text)
    parts = {p for w in found if is_cjk(w) and len(w) >= 3 for p in dictionary_parts(w)}
    return found | parts


def may_mean_across(word: str) -> bool:
    """Whether ``word`` may be matched to a word of the other language: any Latin word (its
    Chinese partner is judged), a Chinese word only if it is a term (``TERM_MIN_RARITY``)."""
    return not is_cjk(word) or general_rarity(word) >= TERM_MIN_RARITY


def surface(word: str, text: str) -> str:
    """``word`` as ``text`` writes it ("XRD" for the token "xrd", "patents" for "patent"),
    for a reason the founder recognises; the token itself if not found."""
    tail = "" if is_cjk(word) else "[a-z]*"
    found = re.search(re.escape(word) + tail, text, flags=re.IGNORECASE)
    return found.group(0) if found else word


def _norms_nonzero(vectors: NDArray[np.float32]) -> NDArray[np.bool_]:
    return np.asarray(np.linalg.norm(vectors, axis=1) > 0)


@dataclass
class CrossLanguageTerms:
    """Per mentor, its expertise words specific over their meaning in both languages, and the
    vectors to find them in a founder's words of the other language."""

    terms: dict[int, dict[str, float]]  # mentor id -> word -> specificity in (0, 1]
    vocab: tuple[str, ...]  # every word of ``terms``, rows of ``matrix``
    matrix: NDArray[np.float32]
    common: frozenset[str]  # words too many founders use to name an expertise
    vectors: WordVectors
    specificity: dict[str, float] = field(default_factory=dict)  # every word of ``vocab``
    _found: dict[str, dict[str, str]] = field(default_factory=dict)  # founder text -> matches

    def __post_init__(self) -> None:
        self._in_vocab = frozenset(self.vocab)

    @classmethod
    def build(
        cls,
        mentors: Iterable[MentorProfile],
        startups: Iterable[StartupProfile],
        vectors: WordVectors,
    ) -> CrossLanguageTerms:
        own = {m.id: meaning_words(mentor_expertise_text(m)) for m in mentors}
        namers: dict[str, set[int]] = defaultdict(set)
        for mid, ws in own.items():
            for t in ws:
                namers[t].add(mid)
        n = len(own)
        limit_m = max(SPECIFIC_AT_LEAST, int(SPECIFIC_SHARE * n))
        sample = [meaning_words(startup_own_words(s)) for s in startups]
        users: Counter[str] = Counter(t for ws in sample for t in ws)
        limit_s = max(SPECIFIC_AT_LEAST, int(COMMON_IN_STARTUPS * len(sample)))
        common = frozenset(t for t, k in users.items() if k > limit_s)
        everything = sorted(namers)
        rare = [
            t
            for t in everything
            if len(namers[t]) <= limit_m and t not in common and may_mean_across(t)
        ]
        empty = np.zeros((0, 1), dtype=np.float32)
        if not rare:
            return cls({}, (), empty, common, vectors)
        all_vecs = vectors(everything)
        has_vec = _norms_nonzero(all_vecs)
        row = {t: i for i, t in enumerate(everything)}
        cjk = np.array([is_cjk(t) for t in everything])
        rare = [t for t in rare if has_vec[row[t]]]
        specificity: dict[str, float] = {}
        scale = math.log(n + 1) if n else 1.0
        for start in range(0, len(rare), _ROWS_PER_BLOCK):
            block = rare[start : start + _ROWS_PER_BLOCK]
            rows = [row[t] for t in block]
            sims = all_vecs[rows] @ all_vecs.T
            for t, r, s in zip(block, rows, sims, strict=True):
                same_meaning = np.flatnonzero((s >= MEANING_MIN) & (cjk != cjk[r]) & has_vec)
                partners = [everything[j] for j in same_meaning]
                partners += [g for g in _GLOSSED.get(t, ()) if g in namers]
                if any(p in common for p in partners):
                    continue  # the meaning is common among founders (another language's word)
                named_by = set(namers[t]).union(*(namers[p] for p in partners))
                if len(named_by) <= limit_m:
                    specificity[t] = math.log((n + 1) / len(named_by)) / scale
        terms = {
            mid: {t: specificity[t] for t in ws if t in specificity} for mid, ws in own.items()
        }
        vocab = tuple(sorted(specificity))
        matrix = all_vecs[[row[t] for t in vocab]] if vocab else empty
        return cls(
            {m: ts for m, ts in terms.items() if ts}, vocab, matrix, common, vectors, specificity
        )

    def with_mentor(self, mentor_id: int, mentor: MentorProfile | None) -> CrossLanguageTerms:
        """These terms with one mentor's words replaced (``None``: the mentor left), looked up
        in the words and vectors these were built with (as ``ExpertiseTerms.with_mentor``): a
        word new to every mentor is matched across languages from the next build."""
        terms = dict(self.terms)
        terms.pop(mentor_id, None)
        if mentor is not None:
            own = meaning_words(mentor_expertise_text(mentor))
            mine = {t: self.specificity[t] for t in own if t in self.specificity}
            if mine:
                terms[mentor_id] = mine
        return CrossLanguageTerms(
            terms, self.vocab, self.matrix, self.common, self.vectors, self.specificity, self._found
        )

    def _founder_matches(self, startup: StartupProfile) -> dict[str, str]:
        """Mentor word -> the founder's word of the other language meaning the same (the
        closest one), for every specific mentor word the startup's own words name."""
        text = startup_own_words(startup)
        found = self._found.get(text)
        if found is not None:
            return found
        mine = sorted(w for w in meaning_words(text) if w not in self.common and may_mean_across(w))
        found = {}
        if mine and self.vocab:
            sims = self.matrix @ self.vectors(mine).T  # vocab x founder words
            mine_cjk = np.array([is_cjk(w) for w in mine])
            vocab_cjk = np.array([is_cjk(t) for t in self.vocab])
            sims[vocab_cjk[:, None] == mine_cjk[None, :]] = -1.0  # the same language: not here
            best = sims.argmax(axis=1)
            for i in np.flatnonzero(sims[np.arange(len(self.vocab)), best] >= MEANING_MIN):
                found[self.vocab[i]] = mine[best[i]]
            for w in mine:  # the glossary's pairs, where the vectors do not see them
                for t in sorted(_GLOSSED.get(w, frozenset()) & self._in_vocab):
                    found.setdefault(t, w)
        if len(self._found) >= CACHED_STARTUPS:
            self._found.clear()
        self._found[text] = found
        return found

    def match(self, startup: StartupProfile, mentor_id: int) -> tuple[float, list[tuple[str, str]]]:
        """How clearly the startup's words name this mentor's expertise in the other language,
        in [0, 1] (as ``ExpertiseTerms.match``), and the (founder word, mentor word) pairs, most
        specific first."""
        theirs = self.terms.get(mentor_id)
        if not theirs:
            return 0.0, []
        found = self._founder_matches(startup)
        pairs = sorted(
            ((found[t], t) for t in theirs if t in found), key=lambda p: (-theirs[p[1]], p[1])
        )
        evidence = sum(theirs[t] for _, t in pairs) / WORDS_FOR_FULL_MATCH
        return min(1.0, evidence), pairs


def expertise_words(profile: object) -> list[str]:
    """The words of a profile that ``CrossLanguageTerms`` compares (a mentor's expertise, a
    founder's own description), whose vectors the index build publishes with the phrases."""
    if isinstance(profile, MentorProfile):
        return sorted(meaning_words(mentor_expertise_text(profile)))
    if isinstance(profile, StartupProfile):
        return sorted(meaning_words(startup_own_words(profile)))
    return []
