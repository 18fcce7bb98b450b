"""The engine's in-memory state: profiles, vectors, lexical rows and history relations per kind.

``sync`` builds a kind from a full profile list, re-embedding only profiles whose content hash
changed (so a persisted index loaded at start-up is reused); ``upsert``/``remove`` change one
profile without a rebuild. History relations (portfolio companies, past mentees) are kept per
candidate, with reverse maps (startup -> candidates linked to it) for co-occurrence features.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from matchmaker.recommend import texts as T
from matchmaker.recommend.embedding import Embedder
from matchmaker.recommend.expertise import ExpertiseTerms
from matchmaker.recommend.index import ExactIndex, VectorIndex, build_index
from matchmaker.recommend.kinds import KINDS as PROFILE_KINDS
from matchmaker.recommend.kinds import (
    PAIR_KINDS,
    IndexKind,
    PairKind,
    ProfileKind,
    is_pair_kind,
)
from matchmaker.recommend.lexical import LexicalIndex
from matchmaker.recommend.mentions import NameIndex
from matchmaker.recommend.store import IndexUnavailable, load_index, save_index

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

Profile = T.StartupProfile | T.MentorProfile | T.InvestorProfile | T.EquipmentProfile
# The profile kinds for the bridge, which loops over them with plain strings (the engine's own
# code uses ``kinds.KINDS``, typed ``ProfileKind``).
KINDS: tuple[str, ...] = PROFILE_KINDS
PORTFOLIO: Literal["portfolio"] = "portfolio"  # portfolio companies that are not platform startups
# Vectors of the short phrases of every profile (``texts.profile_phrases``), keyed by their text
# (``phrase_key``): computed by the builder, published with the version, never embedded while
# serving. Not in ``texts`` because it is the engine's bookkeeping, not a profile template.
PHRASE: Literal["phrase"] = "phrase"
PHRASE_TEMPLATE_VERSION = "phrase-v1"
# How many startups (an even sample) say which words are common in founders' texts.
EXPERTISE_STARTUP_SAMPLE = 500
# ``momentum``: the pace of the last half year against the two years before it.
MOMENTUM_WINDOW_YEARS = 0.5
MOMENTUM_BEFORE_YEARS = 2.0

# Keyed by index kind (``kinds.IndexKind``), typed ``str`` like the index bookkeeping of
# ``Corpus``: the bridge adopts published index folders by name.
TEXTS: dict[str, tuple[Callable[[Any], str], str]] = {
    "startup": (T.startup_text, T.STARTUP_TEMPLATE_VERSION),
    "mentor": (T.mentor_text, T.MENTOR_TEMPLATE_VERSION),
    "investor": (T.investor_text, T.INVESTOR_TEMPLATE_VERSION),
    "equipment": (T.equipment_text, T.EQUIPMENT_TEMPLATE_VERSION),
    PORTFOLIO: (T.portfolio_entry_text, T.PORTFOLIO_TEMPLATE_VERSION),
    PHRASE: (str, PHRASE_TEMPLATE_VERSION),
}
PROFILE_TYPES: dict[str, type] = {
    "startup": T.StartupProfile,
    "mentor": T.MentorProfile,
    "investor": T.InvestorProfile,
    "equipment": T.EquipmentProfile,
}


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


def _vector_index(rel: Relation) -> IndexKind | None:
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


def _entry_key(text: str) -> int:
    # Same text, same vector: entries are keyed by their content so duplicates embed once.
    return int(T.content_hash(text, "", T.PORTFOLIO_TEMPLATE_VERSION)[:15], 16)


def phrase_key(text: str) -> int:
    """The id of a phrase's vector: its content (60 bits), so a phrase shared by profiles, or
    unchanged by an edit, has one vector."""
    return int(T.content_hash(text, "", PHRASE_TEMPLATE_VERSION)[:15], 16)


def phrase_texts(profiles: Iterable[Any]) -> dict[int, str]:
    """``phrase_key`` -> phrase of every phrase of ``profiles`` (any kinds)."""
    return {phrase_key(t): t for p in profiles for t in T.profile_phrases(p)}


class VectorsMissing(LookupError):  # noqa: N818 - reads as "vectors missing"
    """A frozen corpus (serving a published index) was asked to embed profiles."""


def _check_type(kind: ProfileKind, profile: object) -> None:
    expected = PROFILE_TYPES[kind]
    if not isinstance(profile, expected):
        raise TypeError(f"{kind} profiles must be {expected.__name__}, got {type(profile)}")


class Corpus:
    def __init__(
        self, embedder: Embedder, *, approximate_above: int = 50_000, show_progress: bool = False
    ) -> None:
        self.embedder = embedder
        self.approximate_above = approximate_above
        self.show_progress = show_progress
        # Frozen: vectors come only from the loaded (published, read-only) indexes; a profile
        # without one is an error, never an embedding (web processes serve, workers embed).
        self.frozen = False
        self.profiles: dict[ProfileKind, dict[int, Any]] = {k: {} for k in PROFILE_KINDS}
        # Index bookkeeping by index kind, ``str``-keyed for the bridge (see ``TEXTS``).
        self.indexes: dict[str, VectorIndex] = {}
        self.recall: dict[str, float | None] = {}
        self.hashes: dict[str, dict[int, str]] = {
            k: {} for k in (*PROFILE_KINDS, PORTFOLIO, PHRASE)
        }
        self.lexical: dict[IndexKind, LexicalIndex] = {
            k: LexicalIndex() for k in (*PROFILE_KINDS, PORTFOLIO)
        }
        self.relations: dict[PairKind, dict[int, list[Relation]]] = {"mentor": {}, "investor": {}}
        self.linked: dict[PairKind, dict[int, set[int]]] = {
            "mentor": defaultdict(set),
            "investor": defaultdict(set),
        }
        self.entry_owners: dict[int, set[int]] = defaultdict(set)  # portfolio vector -> investors
        self.names: dict[PairKind, NameIndex] = {"mentor": NameIndex(), "investor": NameIndex()}
        self._stats: dict[PairKind, tuple[int, float, float]] = {}
        self.version = 0  # bumped on every change: callers key their own caches on it
        self._typical: dict[str, tuple[int, float]] = {}  # kind -> (version, median cosine)
        # Bumped only when a profile's text (or the set of profiles) changes, not when only its
        # figures do (capacity left, ratings): caches of what texts say key on it.
        self.text_version = 0
        self._expertise: tuple[int, ExpertiseTerms] | None = None  # (text version, words)
        self._orders: dict[str, list[int]] = {}  # cached orderings, cleared on any change
        self._sets: dict[str, frozenset[int]] = {}  # cached filters, cleared on any change
        self._activity: dict[str, dict[int, float]] = {}
        self._named: dict[str, dict[str, frozenset[int]]] = {}  # kind -> text -> named ids
        self._phrases_unvectored: set[int] = set()  # frozen: phrase keys already logged

    # -- text and vectors ---------------------------------------------------------------------
    def text(self, kind: str, profile: Any) -> str:
        return TEXTS[kind][0](profile)

    def _hash(self, kind: str, text: str) -> str:
        return T.content_hash(text, self.embedder.model_id, TEXTS[kind][1])

    def index(self, kind: str) -> VectorIndex:
        if kind not in self.indexes:
            self.indexes[kind] = ExactIndex(self.embedder.dim)
        return self.indexes[kind]

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self.embedder.encode(list(texts), show_progress=self.show_progress)

    def vector(
        self, kind: ProfileKind, item_id: int, profile: Any | None = None
    ) -> NDArray[np.float32]:
        """The stored vector, or a fresh embedding if the item is not indexed (yet)."""
        index = self.index(kind)
        vectors = (
            index.get_vectors([item_id])
            if item_id in index
            else self.embed([self.text(kind, self._given(kind, item_id, profile))])
        )
        row: NDArray[np.float32] = vectors[0]
        return row

    @staticmethod
    def _given(kind: ProfileKind, item_id: int, profile: Any | None) -> Any:
        if profile is None:
            raise KeyError(f"{kind} {item_id} is neither indexed nor given")
        return profile

    def _sync_vectors(self, kind: str, items: dict[int, str], *, rebuild: bool) -> None:
        """Make the index of ``kind`` hold exactly ``items`` (id -> text); embeds only changes."""
        index = self.index(kind)
        hashes = self.hashes[kind]
        new_hashes = {i: self._hash(kind, t) for i, t in items.items()}
        stale = [i for i in index.ids().tolist() if i not in items]
        changed = [i for i, h in new_hashes.items() if hashes.get(i) != h or i not in index]
        if self.frozen:
            if changed or stale:
                raise VectorsMissing(
                    f"{kind}: {len(changed)} profiles without a published vector,"
                    f" {len(stale)} vectors without a profile"
                )
            return
        vectors = self.embed([items[i] for i in changed]) if changed else None
        if rebuild:
            changed_set = set(changed)  # not inside the comprehension: that was O(n^2)
            keep = [i for i in items if i not in changed_set]
            all_ids = np.array(keep + changed, dtype=np.int64)
            parts = [index.get_vectors(keep)] if keep else []
            if vectors is not None:
                parts.append(vectors)
            all_vecs = (
                np.vstack(parts) if parts else np.zeros((0, self.embedder.dim), dtype=np.float32)
            )
            self.indexes[kind], self.recall[kind] = build_index(
                all_ids, all_vecs, dim=self.embedder.dim, approximate_above=self.approximate_above
            )
        else:
            index.remove(stale)
            if vectors is not None:
                index.add(np.array(changed, dtype=np.int64), vectors)
        self.hashes[kind] = new_hashes

    # -- whole kinds --------------------------------------------------------------------------
    def sync(self, kind: ProfileKind, profiles: Iterable[Any]) -> None:
        """Replace all profiles of ``kind``; unchanged ones keep their vectors (no re-embedding)."""
        items = {p.id: p for p in profiles}
        for p in items.values():
            _check_type(kind, p)
        self.profiles[kind] = items
        texts = {i: self.text(kind, p) for i, p in items.items()}
        self._sync_vectors(kind, texts, rebuild=True)
        ids = list(texts)
        self.lexical[kind].fit(ids, [texts[i] for i in ids])
        if is_pair_kind(kind):
            self.relations[kind] = {}
            self.linked[kind] = defaultdict(set)
            self.names[kind] = NameIndex()
            for p in items.values():
                self._set_relations(kind, p)
                self.names[kind].put(p.id, p.name)
            self._sync_portfolio_vectors(rebuild=True)
        if kind == "startup":
            # Relation labels and vectors depend on which startups exist.
            for other in PAIR_KINDS:
                for p in list(self.profiles[other].values()):
                    self._set_relations(other, p)
            self._sync_portfolio_vectors(rebuild=True)
        self._stats.clear()
        self._orders.clear()
        self._sets.clear()
        self._activity.clear()
        self._named.clear()
        self.text_version += 1
        self.version += 1
        if kind == "mentor":
            # Built here, where profiles are loaded (a worker's background load), not in the
            # first request that ranks mentors.
            self.expertise()

    def upsert(self, kind: ProfileKind, profile: Any) -> None:
        """Add or replace one profile: re-embeds it only if its text changed."""
        _check_type(kind, profile)
        text = self.text(kind, profile)
        h = self._hash(kind, text)
        index = self.index(kind)
        if self.hashes[kind].get(profile.id) != h or profile.id not in self.profiles[kind]:
            self.text_version += 1
        if self.hashes[kind].get(profile.id) != h or profile.id not in index:
            if self.frozen:
                raise VectorsMissing(f"{kind} {profile.id}: no published vector for its text")
            index.add([profile.id], self.embed([text]))
            self.hashes[kind][profile.id] = h
        self.profiles[kind][profile.id] = profile
        self.lexical[kind].upsert(profile.id, text)
        if is_pair_kind(kind):
            self._set_relations(kind, profile)
            self.names[kind].put(profile.id, profile.name)
            self._sync_portfolio_vectors(rebuild=False)
        self._stats.clear()
        self._orders.clear()
        self._sets.clear()
        self._activity.clear()
        self._named.clear()
        self.version += 1

    def remove(self, kind: ProfileKind, item_id: int) -> None:
        self.profiles[kind].pop(item_id, None)
        self.index(kind).remove([item_id])
        self.hashes[kind].pop(item_id, None)
        self.lexical[kind].remove(item_id)
        if is_pair_kind(kind):
            self._drop_relations(kind, item_id)
            self.names[kind].remove(item_id)
        self._stats.clear()
        self._orders.clear()
        self._sets.clear()
        self._activity.clear()
        self._named.clear()
        self.text_version += 1
        self.version += 1

    # -- history relations --------------------------------------------------------------------
    def _drop_relations(self, kind: PairKind, cand_id: int) -> None:
        for rel in self.relations[kind].pop(cand_id, []):
            if rel.startup_id is not None:
                self.linked[kind][rel.startup_id].discard(cand_id)
            if rel.vector_kind == PORTFOLIO:
                self.entry_owners[rel.vector_id].discard(cand_id)

    def _set_relations(self, kind: PairKind, profile: Any) -> None:
        self._drop_relations(kind, profile.id)
        startups = self.profiles["startup"]
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
                    key = _entry_key(T.portfolio_entry_text(e))
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
        self.relations[kind][profile.id] = rels
        for rel in rels:
            if rel.startup_id is not None:
                self.linked[kind][rel.startup_id].add(profile.id)
            if rel.vector_kind == PORTFOLIO:
                self.entry_owners[rel.vector_id].add(profile.id)

    def _sync_portfolio_vectors(self, *, rebuild: bool) -> None:
        texts: dict[int, str] = {}
        for p in self.profiles["investor"].values():
            for e in p.portfolio:
                if e.startup_id is None or e.startup_id not in self.profiles["startup"]:
                    text = T.portfolio_entry_text(e)
                    texts[_entry_key(text)] = text
        if rebuild or set(texts) != set(self.hashes[PORTFOLIO]):
            self._sync_vectors(PORTFOLIO, texts, rebuild=rebuild)
            lexical = self.lexical[PORTFOLIO]
            if rebuild or not len(lexical):
                keys = list(texts)
                lexical.fit(keys, [texts[k] for k in keys])
            else:
                indexed = set(lexical.ids())
                for key in indexed - texts.keys():
                    lexical.remove(key)
                for key in texts.keys() - indexed:
                    lexical.upsert(key, texts[key])

    def relation_vectors(self, rels: Sequence[Relation]) -> NDArray[np.float32]:
        """Vectors of the relations (zero rows for relations without one)."""
        out = np.zeros((len(rels), self.embedder.dim), dtype=np.float32)
        by_kind: dict[IndexKind, list[tuple[int, int]]] = defaultdict(list)
        for row, rel in enumerate(rels):
            kind = _vector_index(rel)
            if kind is not None and rel.vector_id in self.index(kind):
                by_kind[kind].append((row, rel.vector_id))
        for kind, pairs in by_kind.items():
            rows, ids = zip(*pairs, strict=True)
            out[list(rows)] = self.index(kind).get_vectors(list(ids))
        return out

    def relation_lexical(self, rels: Sequence[Relation], text: str) -> NDArray[np.float32]:
        """TF-IDF cosine of ``text`` to each relation's company (0 where there is no text)."""
        out = np.zeros(len(rels), dtype=np.float32)
        by_kind: dict[IndexKind, list[tuple[int, int]]] = defaultdict(list)
        for row, rel in enumerate(rels):
            kind = _vector_index(rel)
            if kind is not None:
                by_kind[kind].append((row, rel.vector_id))
        for kind, pairs in by_kind.items():
            sims = self.lexical[kind].scores(text, {i for _, i in pairs})
            for row, item_id in pairs:
                out[row] = sims.get(item_id, 0.0)
        return out

    def stats(self, kind: PairKind) -> tuple[int, float, float]:
        """(largest history, largest recency-weighted history, latest relation time).

        "Now" is the latest relation in the data rather than the wall clock, so that offline
        evaluation on old data and a live platform measure recency the same way.
        """
        if kind not in self._stats:
            rels = self.relations.get(kind, {})
            times = [r.when for rs in rels.values() for r in rs if r.when is not None]
            latest = max(times, default=0.0)
            sizes = [len(rs) for rs in rels.values()]
            recent = [self.recent_weight(rs, latest) for rs in rels.values()]
            self._stats[kind] = (max(sizes, default=0), max(recent, default=0.0), latest)
        return self._stats[kind]

    def activity(self, kind: PairKind, cand_id: int) -> float:
        """``recent_weight`` of a candidate's whole history, cached until the next change."""
        key = f"activity:{kind}"
        cache = self._activity.setdefault(key, {})
        if cand_id not in cache:
            latest = self.stats(kind)[2]
            cache[cand_id] = self.recent_weight(self.relations[kind].get(cand_id, []), latest)
        return cache[cand_id]

    def typical_cosine(self, kind: ProfileKind = "startup", pairs: int = 400) -> float:
        """Median cosine between two profiles of ``kind`` drawn at random (a fixed draw of at
        most ``pairs`` pairs), cached until the corpus changes: how similar two unrelated
        profiles look to this model (about 0.44 for the multilingual USE on the demo startups,
        lower for MiniLM on English), so "similar" can mean "more similar than usual"."""
        key = f"typical:{kind}"
        cached = self._typical.get(key)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        index = self.index(kind)
        ids = index.ids()
        value = 0.0
        if len(ids) >= 3:
            rng = np.random.default_rng(0)
            a, b = rng.integers(0, len(ids), size=(2, pairs))
            keep = a != b
            va = index.get_vectors(ids[a[keep]].tolist())
            vb = index.get_vectors(ids[b[keep]].tolist())
            value = float(np.median(np.einsum("ij,ij->i", va, vb)))
        self._typical[key] = (self.version, value)
        return value

    def expertise(self) -> ExpertiseTerms:
        """The mentors' specific expertise words (``expertise.ExpertiseTerms``), cached until
        a text changes (a capacity refresh, which changes figures only, keeps them: building
        them tokenises every mentor, about a second for 10,000 of them)."""
        if self._expertise is None or self._expertise[0] != self.text_version:
            startups = self.profiles["startup"]
            ids = sorted(startups)
            step = max(1, -(-len(ids) // EXPERTISE_STARTUP_SAMPLE))
            terms = ExpertiseTerms.build(
                self.profiles["mentor"].values(), [startups[i] for i in ids[::step]]
            )
            self._expertise = (self.text_version, terms)
        return self._expertise[1]

    def neighbour_votes(
        self, kind: PairKind, startup_id: int, s_vec: NDArray[np.float32], k: int = 30
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

    def named(self, kind: PairKind, startup: T.StartupProfile) -> frozenset[int]:
        """Ids of ``kind`` (mentor, investor) named in the startup's own words, cached until the
        next change: a deal-flow request asks it for every startup it scores."""
        if kind not in self.names:
            return frozenset()
        text = T.startup_own_words(startup)
        cache = self._named.setdefault(kind, {})
        found = cache.get(text)
        if found is None:
            found = cache[text] = frozenset(self.names[kind].find(text))
        return found

    def closest_phrase(self, q: NDArray[np.float32], profile: Any, minimum: float) -> str | None:
        """The phrase of ``profile`` (``texts.profile_phrases``) closest in meaning to the vector
        ``q``, if its cosine reaches ``minimum`` (vectors: see ``_phrase_matrix``)."""
        phrases = T.profile_phrases(profile)
        if not phrases:
            return None
        sims = self._phrase_matrix(phrases) @ q
        best = int(np.argmax(sims))
        return phrases[best] if float(sims[best]) >= minimum else None

    def sync_phrases(self) -> int:
        """Make the phrase index hold exactly the phrases of the current profiles, embedding
        only phrases without a vector (a loaded previous version's are reused). The builder
        calls it after every kind is synced; returns how many phrases were embedded."""
        if self.frozen:
            raise VectorsMissing("a frozen corpus does not embed phrases")
        texts = phrase_texts(p for kind in PROFILE_KINDS for p in self.profiles[kind].values())
        before = set(self.index(PHRASE).ids().tolist())
        self._sync_vectors(PHRASE, texts, rebuild=True)
        return len(set(texts) - before)

    def _phrase_matrix(self, phrases: Sequence[str]) -> NDArray[np.float32]:
        """Vectors of ``phrases`` (one row each) from the phrase index.

        Frozen (serving a published version): a phrase without a stored vector is a zero row
        (similarity 0), logged once per phrase, never embedded: a request embeds only its
        query. Otherwise (offline use, evaluation, tests) missing phrases are embedded and
        added to the index."""
        index = self.index(PHRASE)
        keys = [phrase_key(p) for p in phrases]
        todo = {k: p for k, p in zip(keys, phrases, strict=True) if k not in index}
        if todo and not self.frozen:
            ids = list(todo)
            index.add(np.array(ids, dtype=np.int64), self.embed([todo[k] for k in ids]))
            self.hashes[PHRASE].update({k: self._hash(PHRASE, todo[k]) for k in ids})
            todo = {}
        out = np.zeros((len(phrases), self.embedder.dim), dtype=np.float32)
        have = [row for row, k in enumerate(keys) if k not in todo]
        if have:
            out[have] = index.get_vectors([keys[row] for row in have])
        new = todo.keys() - self._phrases_unvectored
        if new:
            self._phrases_unvectored.update(new)
            log.warning(
                "%d phrase(s) without a published vector count as unrelated (e.g. %r)",
                len(new),
                todo[next(iter(new))],
            )
        return out

    def phrase_similarity(
        self, q: NDArray[np.float32], kind: ProfileKind, ids: Sequence[int]
    ) -> list[float]:
        """Per profile of ``kind``: the best cosine of ``q`` to one of its short phrases (an
        instrument's name, a mentor's expertise clause; 0 without phrases).

        A short need ("XRD", "工程仿真工作站") is closer to the phrase that names it than to a
        whole profile, whose vector averages every other thing the profile says; across
        languages, where no word is shared, this is the only evidence."""
        phrases = [T.profile_phrases(self.profiles[kind][i]) for i in ids]
        flat = [p for ps in phrases for p in ps]
        if not flat:
            return [0.0] * len(ids)
        sims = (self._phrase_matrix(flat) @ q).tolist()
        out, start = [], 0
        for ps in phrases:
            out.append(max(sims[start : start + len(ps)], default=0.0))
            start += len(ps)
        return out

    def ids_where(
        self, kind: ProfileKind, key: str, predicate: Callable[[Any], bool]
    ) -> frozenset[int]:
        """Ids of ``kind`` whose profile satisfies ``predicate``, cached under ``key`` until the
        next change (filters like "active" would otherwise scan every profile per request)."""
        cache_key = f"{kind}:{key}"
        if cache_key not in self._sets:
            self._sets[cache_key] = frozenset(
                i for i, p in self.profiles[kind].items() if predicate(p)
            )
        return self._sets[cache_key]

    def popular(self, kind: PairKind, n: int) -> list[int]:
        """The ``n`` most active candidates (recency-weighted history), most active first."""
        key = f"popular:{kind}"
        if key not in self._orders:
            rels = self.relations.get(kind, {})
            latest = self.stats(kind)[2]
            weight = {i: self.recent_weight(rs, latest) for i, rs in rels.items()}
            self._orders[key] = sorted(rels, key=lambda i: (-weight[i], -len(rels[i]), i))
        return self._orders[key][:n]

    @staticmethod
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

    @staticmethod
    def recent_weight(
        rels: Sequence[Relation], latest: float, half_life_years: float = 0.2
    ) -> float:
        """Relations weighted by recency (halving every ``half_life_years``); undated ones
        count as old. Who was active lately is the best single predictor of who acts next."""
        return float(
            sum(
                0.5 ** (max(0.0, latest - r.when) / half_life_years)
                for r in rels
                if r.when is not None
            )
        )

    @staticmethod
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

    # -- persistence --------------------------------------------------------------------------
    def save(self, root: Path | str, kind: str, data_watermark: str) -> None:
        save_index(
            root,
            kind,
            self.index(kind),
            model_id=self.embedder.model_id,
            template_version=TEXTS[kind][1],
            data_watermark=data_watermark,
            recall_at_10=self.recall.get(kind),
            content_hashes=self.hashes[kind],
        )

    def load(self, root: Path | str, kind: str) -> str | None:
        """Adopt a persisted index (its vectors are reused by the next ``sync``).

        Returns its data watermark, or None when it is missing, stale or corrupt (the next
        ``sync`` then embeds everything).
        """
        try:
            index, manifest, hashes = load_index(
                root,
                kind,
                model_id=self.embedder.model_id,
                template_version=TEXTS[kind][1],
                dim=self.embedder.dim,
            )
        except IndexUnavailable:
            return None
        self.indexes[kind], self.hashes[kind] = index, hashes
        self.recall[kind] = manifest.recall_at_10
        return manifest.data_watermark
