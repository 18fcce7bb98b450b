"""Named expertise: the specific words a founder's own text and a mentor's stated expertise share.

A battery-materials founder who writes "XRD、SEM表征数据完整" names the expertise they work with;
the mentor whose profile says "材料表征（XRD、SEM、热分析）" names the same. The whole-text TF-IDF
cosine (``lexical``) sees this too, but diluted by everything else both texts say and outweighed
by behaviour (past mentees, recent sessions) that a new specialist has none of: the startup page
showed generalists. This module finds the *specific* words (few mentors name them, few startups
use them: "xrd", "gmp", "专利", not "材料" or "重庆") both sides wrote, so that the score can say
"the founder's words name this mentor's expertise" with the weight that deserves.

Tokens are the lexical leg's words (``lexical.tokenize``), without CJK bigrams, numbers and single
letters; fillers are already stopwords there.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from matchmaker.recommend.lexical import tokenize
from matchmaker.recommend.texts import MentorProfile, StartupProfile, startup_own_words

# A word is specific when at most this share of the mentors name it, or at most two of them on a
# small platform; and not common in founders' texts (at most ``COMMON_IN_STARTUPS`` of them:
# a city, "研发", "team" say nothing about expertise, while a need many startups share, like
# patents, still counts).
# One shared specific word is some evidence (a lone "研究" may be chance); two or more ("XRD" and
# "SEM", "专利" and "知识产权") are the expertise named: the evidence is the sum of the shared
# words' specificities over this many words, at most 1.
WORDS_FOR_FULL_MATCH = 2.0
SPECIFIC_SHARE = 0.1
COMMON_IN_STARTUPS = 0.2
SPECIFIC_AT_LEAST = 2


@lru_cache(maxsize=65_536)
def words(text: str) -> frozenset[str]:
    """Content words of ``text`` (no CJK bigrams, numbers or single characters); cached, as
    the lexical leg's tokens are: the same profiles are read again after every change."""
    return frozenset(
        t
        for t in tokenize(text)
        if not t.startswith("~") and len(t) >= 2 and not t.replace(".", "").isdigit()
    )


def mentor_expertise_text(m: MentorProfile) -> str:
    """What a mentor says they know: headline and expertise (not name, organisation, labels)."""
    return "\n".join(t for t in (m.headline, m.expertise) if t)


def _limit(n: int) -> int:
    return max(SPECIFIC_AT_LEAST, int(SPECIFIC_SHARE * n))


@dataclass(frozen=True)
class ExpertiseTerms:
    """Per mentor, its specific expertise words and how specific each is, in (0, 1]."""

    terms: dict[int, dict[str, float]]
    # Every specific word, with its specificity: what ``with_mentor`` looks an edit's words up in.
    specificity: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(
        cls, mentors: Iterable[MentorProfile], startups: Iterable[StartupProfile]
    ) -> ExpertiseTerms:
        own = {m.id: words(mentor_expertise_text(m)) for m in mentors}
        by_mentors: Counter[str] = Counter(t for ws in own.values() for t in ws)
        n, limit_m = len(own), _limit(len(own))
        rare = {t for t, k in by_mentors.items() if k <= limit_m}
        sample = list(startups)
        by_startups: Counter[str] = Counter(
            t for s in sample for t in words(startup_own_words(s)) if t in rare
        )
        limit_s = max(SPECIFIC_AT_LEAST, int(COMMON_IN_STARTUPS * len(sample)))
        specific = {t for t in rare if by_startups[t] <= limit_s}
        # Specificity: IDF among mentors, scaled so a word only one mentor names is 1.
        scale = math.log(n + 1) if n else 1.0
        idf = {k: math.log((n + 1) / k) / scale for k in set(by_mentors[t] for t in specific)}
        specificity = {t: idf[by_mentors[t]] for t in specific}
        terms = {mid: {t: specificity[t] for t in ws & specific} for mid, ws in own.items()}
        return cls(terms, specificity)

    def with_mentor(self, mentor_id: int, mentor: MentorProfile | None) -> ExpertiseTerms:
        """These terms with one mentor's words replaced (``None``: the mentor left), looked up
        in the word statistics these were built with: a word no mentor named then counts from
        the next build. A served version's edit (``Corpus.upsert``, frozen) costs this instead
        of a build over every mentor, about 2 s at 100,000 of them."""
        terms = dict(self.terms)
        terms.pop(mentor_id, None)
        if mentor is not None:
            own = words(mentor_expertise_text(mentor))
            terms[mentor_id] = {t: self.specificity[t] for t in own if t in self.specificity}
        return ExpertiseTerms(terms, self.specificity)

    def match(self, startup: StartupProfile, mentor_id: int) -> tuple[float, list[str]]:
        """How clearly the startup's own words name this mentor's expertise, in [0, 1] (0:
        no specific word shared), and the shared words, most specific first."""
        mine = self.terms.get(mentor_id)
        if not mine:
            return 0.0, []
        shared = sorted(
            (t for t in words(startup_own_words(startup)) if t in mine),
            key=lambda t: (-mine[t], t),
        )
        return min(1.0, sum(mine[t] for t in shared) / WORDS_FOR_FULL_MATCH), shared
