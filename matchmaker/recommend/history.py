"""Candidates' history relations (portfolio companies, past mentees): what one is, how they are
built from a profile, and what is read from them: recency, stage and momentum weights, the
relations' vectors, and the corpus-wide lookups over them (``CandidateHistory``, part of
``corpus.Corpus``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from matchmaker.recommend import texts as T
from matchmaker.recommend.kinds import IndexKind, PairKind, ProfileKind

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from matchmaker.recommend.embedding import Embedder
    from matchmaker.recommend.index import VectorIndex
    from matchmaker.recommend.lexical import LexicalIndex

PORTFOLIO: Literal["portfolio"] = "portfolio"  # portfolio companies that are not platform startups
# ``momentum``: the pace of the last half year against the two years before it.
MOMENTUM_WINDOW_YEARS = 0.5
MOMENTUM_BEFORE_YEARS = 2.0


@dataclass(frozen=True)
class Relation:
    """One history link of a candidate: a portfolio company or a past mentee."""

    label: str
    startup_id: int | None
    vector_kind: Literal["startup", "portfolio", "none"]  # whose vector; "none": no text
    vector_id: int
    when: float | None  # decimal year (2011.5 = early July 2011), None if unknown
    round: str | None
    sectors: tuple[str, ...]
    age: float | None = None  # the company's age in years when the relation formed


def relation_index(rel: Relation) -> IndexKind | None:
    """The index holding the relation's company vector (None: the company has no text)."""
    if rel.vector_kind == "startup":
        return "startup"
    if rel.vector_kind == PORTFOLIO:
        return PORTFOLIO
    return None


def company_age(when: float | None, founded_year: int | None) -> float | None:
    if when is None or founded_year is None:
        return None
    return max(0.0, when - (founded_year + 0.5))


def decimal_year(year: int | None, day: date | None) -> float | None:
    """A date as a decimal year; a bare year counts as its middle."""
    if day is not None:
        return day.year + (day.timetuple().tm_yday - 0.5) / 366.0
    return None if year is None else year + 0.5


def entry_key(text: str) -> int:
    """The id of a portfolio entry's vector: its content, so duplicate entries embed once."""
    return int(T.content_hash(text, "", T.PORTFOLIO_TEMPLATE_VERSION)[:15], 16)


def relations_of(profile: Any, startups: Mapping[int, Any]) -> list[Relation]:
    """The history relations of a candidate profile: an investor's portfolio entries (platform
    startups among ``startups`` by their vector, other companies by a portfolio vector), a
    mentor's past mentees."""
    rels: list[Relation] = []
    if isinstance(profile, T.InvestorProfile):
        for e in profile.portfolio:
            when = decimal_year(e.year, e.date)
            if e.startup_id is not None and e.startup_id in startups:
                s = startups[e.startup_id]
                rels.append(
                    Relation(
                        e.company or s.name,
                        e.startup_id,
                        "startup",
                        e.startup_id,
                        when,
                        e.round,
                        e.sectors or s.sectors,
                        company_age(when, s.founded_year),
                    )
                )
            else:
                key = entry_key(T.portfolio_entry_text(e))
                rels.append(
                    Relation(e.company, e.startup_id, PORTFOLIO, key, when, e.round, e.sectors)
                )
    elif isinstance(profile, T.MentorProfile):
        dates = list(profile.past_mentee_dates) + [None] * len(profile.past_mentee_ids)
        for sid, day in zip(profile.past_mentee_ids, dates, strict=False):
            s = startups.get(sid)
            when = decimal_year(None, day)
            if s is not None:
                age = company_age(when, s.founded_year)
                rels.append(
                    Relation(s.name, sid, "startup", sid, when, s.ask_round, s.sectors, age)
                )
            else:  # a mentee we know nothing about still counts for popularity
                rels.append(Relation(f"#{sid}", sid, "none", sid, when, None, ()))
    return rels


def stage_weight(
    rels: Sequence[Relation], latest: float, age: float | None, half_life_years: float = 0.4
) -> float:
    """Recent relations with companies about as old as ``age`` (revealed stage preference:
    a fund doing series B lately is not the angel a two-month-old startup needs)."""
    total = 0.0
    for r in rels:
        if r.when is None:
            continue
        recency = 0.5 ** (max(0.0, latest - r.when) / half_life_years)
        if age is None or r.age is None:
            total += 0.3 * recency  # unknown ages: some evidence, less than a match
        else:
            total += recency * math.exp(-abs(r.age - age) / 2.0)
    return total


def recent_weight(rels: Sequence[Relation], latest: float, half_life_years: float = 0.2) -> float:
    """Relations weighted by recency (halving every ``half_life_years``); undated ones
    count as old. Who was active lately is the best single predictor of who acts next."""
    return float(
        sum(
            0.5 ** (max(0.0, latest - r.when) / half_life_years) for r in rels if r.when is not None
        )
    )


def momentum(
    rels: Sequence[Relation],
    latest: float,
    window_years: float = MOMENTUM_WINDOW_YEARS,
    before_years: float = MOMENTUM_BEFORE_YEARS,
) -> float:
    """Whether a candidate is speeding up or slowing down: its rate of relations in the last
    ``window_years`` over its rate in the ``before_years`` before, each with half a relation
    of prior (so one deal is not a trend), mapped by r / (1 + r) into (0, 1): 0.5 for a
    steady pace or no dated history, toward 1 for a fund that has just started deploying a
    new fund, toward 0 for one that stopped. ``activity`` ranks who was busy lately; this
    ranks who is busier than they used to be, which on investment data says who keeps
    going (funds invest in cycles)."""
    recent = before = 0
    for r in rels:
        if r.when is None:
            continue
        ago = latest - r.when
        if ago < window_years:
            recent += 1
        elif ago < window_years + before_years:
            before += 1
    ratio = (recent + 0.5) / (before * window_years / before_years + 0.5)
    return ratio / (1.0 + ratio)


class _CorpusState(Protocol):
    """What ``CandidateHistory`` reads of the ``Corpus`` it is part of."""

    embedder: Embedder
    profiles: dict[ProfileKind, dict[int, Any]]
    hashes: dict[str, dict[int, str]]
    lexical: dict[IndexKind, LexicalIndex]
    relations: dict[PairKind, dict[int, list[Relation]]]
    linked: dict[PairKind, dict[int, set[int]]]
    _stats: dict[PairKind, tuple[int, float, float]]
    _activity: dict[str, dict[int, float]]
    _orders: dict[str, list[int]]

    def index(self, kind: str) -> VectorIndex: ...

    def stats(self, kind: PairKind) -> tuple[int, float, float]: ...

    def _sync_vectors(self, kind: str, items: dict[int, str], *, rebuild: bool) -> None: ...

    def _fit_lexical(self, kind: IndexKind, texts: Mapping[int, str]) -> None: ...


class CandidateHistory:
    """The lookups of ``Corpus`` over its relations (a mixin: the state is the corpus's, kept by
    ``Corpus.sync``/``upsert``/``remove``, and its caches cleared there)."""

    def relation_vectors(self: _CorpusState, rels: Sequence[Relation]) -> NDArray[np.float32]:
        """Vectors of the relations (zero rows for relations without one)."""
        out = np.zeros((len(rels), self.embedder.dim), dtype=np.float32)
        by_kind: dict[IndexKind, list[tuple[int, int]]] = defaultdict(list)
        for row, rel in enumerate(rels):
            kind = relation_index(rel)
            if kind is not None and rel.vector_id in self.index(kind):
                by_kind[kind].append((row, rel.vector_id))
        for kind, pairs in by_kind.items():
            rows, ids = zip(*pairs, strict=True)
            out[list(rows)] = self.index(kind).get_vectors(list(ids))
        return out

    def relation_lexical(
        self: _CorpusState, rels: Sequence[Relation], text: str
    ) -> NDArray[np.float32]:
        """TF-IDF cosine of ``text`` to each relation's company (0 where there is no text)."""
        out = np.zeros(len(rels), dtype=np.float32)
        by_kind: dict[IndexKind, list[tuple[int, int]]] = defaultdict(list)
        for row, rel in enumerate(rels):
            kind = relation_index(rel)
            if kind is not None:
                by_kind[kind].append((row, rel.vector_id))
        for kind, pairs in by_kind.items():
            sims = self.lexical[kind].scores(text, {i for _, i in pairs})
            for row, item_id in pairs:
                out[row] = sims.get(item_id, 0.0)
        return out

    def stats(self: _CorpusState, kind: PairKind) -> tuple[int, float, float]:
        """(largest history, largest recency-weighted history, latest relation time).

        "Now" is the latest relation in the data rather than the wall clock, so that offline
        evaluation on old data and a live platform measure recency the same way.
        """
        if kind not in self._stats:
            rels = self.relations.get(kind, {})
            times = [r.when for rs in rels.values() for r in rs if r.when is not None]
            latest = max(times, default=0.0)
            sizes = [len(rs) for rs in rels.values()]
            recent = [recent_weight(rs, latest) for rs in rels.values()]
            self._stats[kind] = (max(sizes, default=0), max(recent, default=0.0), latest)
        return self._stats[kind]

    def activity(self: _CorpusState, kind: PairKind, cand_id: int) -> float:
        """``recent_weight`` of a candidate's whole history, cached until the next change."""
        key = f"activity:{kind}"
        cache = self._activity.setdefault(key, {})
        if cand_id not in cache:
            latest = self.stats(kind)[2]
            cache[cand_id] = recent_weight(self.relations[kind].get(cand_id, []), latest)
        return cache[cand_id]

    def neighbour_votes(
        self: _CorpusState, kind: PairKind, startup_id: int, s_vec: NDArray[np.float32], k: int = 30
    ) -> dict[int, float]:
        """User-kNN over startups: the startup's ``k`` nearest other startups (by embedding), each
        weighted by its squared cosine (clipped at 0), vote for the candidates tied to them.

        A candidate's vote is its weight over the total weight, in [0, 1], so it does not depend
        on which other candidates are scored (a pair scores the same from either side). Where
        similar companies draw the same funds (syndicates, sector specialists), this carries
        what the candidate's own, often empty, description cannot."""
        index = self.index("startup")
        if not len(index) or not self.linked.get(kind):
            return {}
        sims, ids = index.search(s_vec, min(k + 1, len(index)))
        votes: dict[int, float] = defaultdict(float)
        total = 0.0
        for sim, sid in zip(sims[0].tolist(), ids[0].tolist(), strict=True):
            if sid < 0 or sid == startup_id:
                continue
            weight = max(0.0, float(sim)) ** 2
            total += weight
            for cand in self.linked[kind].get(sid, ()):
                votes[cand] += weight
        return {c: v / total for c, v in votes.items()} if total > 0 else {}

    def popular(self: _CorpusState, kind: PairKind, n: int) -> list[int]:
        """The ``n`` most active candidates (recency-weighted history), most active first."""
        key = f"popular:{kind}"
        if key not in self._orders:
            rels = self.relations.get(kind, {})
            latest = self.stats(kind)[2]
            weight = {i: recent_weight(rs, latest) for i, rs in rels.items()}
            self._orders[key] = sorted(rels, key=lambda i: (-weight[i], -len(rels[i]), i))
        return self._orders[key][:n]

    def _sync_portfolio_vectors(self: _CorpusState, *, rebuild: bool) -> None:
        """Make the portfolio index and lexical rows hold exactly the investors' portfolio
        companies that are not platform startups."""
        texts: dict[int, str] = {}
        for p in self.profiles["investor"].values():
            for e in p.portfolio:
                if e.startup_id is None or e.startup_id not in self.profiles["startup"]:
                    text = T.portfolio_entry_text(e)
                    texts[entry_key(text)] = text
        if rebuild or set(texts) != set(self.hashes[PORTFOLIO]):
            self._sync_vectors(PORTFOLIO, texts, rebuild=rebuild)
            lexical = self.lexical[PORTFOLIO]
            if rebuild or not len(lexical):
                self._fit_lexical(PORTFOLIO, texts)
            else:
                indexed = set(lexical.ids())
                for key in indexed - texts.keys():
                    lexical.remove(key)
                for key in texts.keys() - indexed:
                    lexical.upsert(key, texts[key])
