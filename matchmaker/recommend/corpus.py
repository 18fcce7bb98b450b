"""The engine's in-memory state: profiles, vectors, lexical rows and history relations per kind.

``sync`` builds a kind from a full profile list, re-embedding only profiles whose content hash
changed (so a persisted index loaded at start-up is reused); ``upsert``/``remove`` change one
profile without a rebuild. History relations (portfolio companies, past mentees) are kept per
candidate, with reverse maps (startup -> candidates linked to it) for co-occurrence features.
What is read from them is in ``history.CandidateHistory``; phrase lookups in ``phrases``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommend import texts as T
from matchmaker.recommend.embedding import Embedder
from matchmaker.recommend.expertise import ExpertiseTerms
from matchmaker.recommend.expertise_meaning import CrossLanguageTerms
from matchmaker.recommend.history import (
    PORTFOLIO,
    CandidateHistory,
    Relation,
    relations_of,
)
from matchmaker.recommend.hnsw import build_index
from matchmaker.recommend.index import ExactIndex, VectorIndex
from matchmaker.recommend.kinds import KINDS as PROFILE_KINDS
from matchmaker.recommend.kinds import PAIR_KINDS, IndexKind, PairKind, ProfileKind, is_pair_kind
from matchmaker.recommend.lexical import LexicalIndex, texts_digest
from matchmaker.recommend.mentions import NameIndex
from matchmaker.recommend.overlay import OverlayIndex
from matchmaker.recommend.phrases import (
    PHRASE,
    PHRASE_TEMPLATE_VERSION,
    PhraseVectors,
    phrase_texts,
)
from matchmaker.recommend.store import IndexUnavailable, load_index, save_index

if TYPE_CHECKING:
    from numpy.typing import NDArray

# The profile kinds for the bridge, which loops over them with plain strings (the engine's own
# code uses ``kinds.KINDS``, typed ``ProfileKind``).
KINDS: tuple[str, ...] = PROFILE_KINDS
# How many startups (an even sample) say which words are common in founders' texts.
EXPERTISE_STARTUP_SAMPLE = 500

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
# The capacity figure each kind's profiles carry beside their text: it moves with bookings, not
# with edits, and no text, vector, lexical row, relation or cached statistic reads it (only the
# re-ranking of a request does), so ``set_figures`` changes it in place.
FIGURES: Mapping[str, str] = {
    "mentor": "sessions_this_month",
    "equipment": "free_hours_next_14d",
}
PROFILE_TYPES: dict[str, type] = {
    "startup": T.StartupProfile,
    "mentor": T.MentorProfile,
    "investor": T.InvestorProfile,
    "equipment": T.EquipmentProfile,
}


class VectorsMissing(LookupError):  # noqa: N818 - reads as "vectors missing"
    """A frozen corpus (serving a published index) was asked to embed profiles."""


def _check_type(kind: ProfileKind, profile: object) -> None:
    expected = PROFILE_TYPES[kind]
    if not isinstance(profile, expected):
        raise TypeError(f"{kind} profiles must be {expected.__name__}, got {type(profile)}")


class Corpus(CandidateHistory, PhraseVectors):
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
        # Lexical indexes fitted earlier (``offer_lexical``): a sync over the very texts one was
        # fitted on adopts it instead of fitting again.
        self._offered_lexical: dict[IndexKind, LexicalIndex] = {}
        # Index kinds whose vector index is exactly as ``load`` read it (built, with its recall
        # measured, by an earlier build): a sync that changes none of its vectors keeps it.
        self._loaded_as_built: set[str] = set()
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
        # (text version, the phrase index it read its word vectors from, words)
        self._across: tuple[int, int, CrossLanguageTerms] | None = None
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
            if changed:
                raise VectorsMissing(f"{kind}: {len(changed)} profiles without a published vector")
            if stale:  # a delta dropped them (``served_engine.apply_deltas``): nothing to embed
                index.remove(stale)
                self.hashes[kind] = new_hashes
            return
        approximate = len(items) > self.approximate_above
        if (
            rebuild
            and kind in self._loaded_as_built
            and not changed
            and not stale
            and (index.index_type == "hnsw") == approximate
        ):
            # The previous version's index, untouched, holds exactly these vectors in the kind
            # of index this size calls for: rebuilding an HNSW graph of 100,000 vectors (and
            # measuring its recall again) would cost minutes and change nothing.
            self.hashes[kind] = new_hashes
            return
        self._loaded_as_built.discard(kind)
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

    def offer_lexical(self, kind: IndexKind, index: LexicalIndex) -> None:
        """Offer a lexical index fitted earlier (a published version's): a sync whose texts
        have its ``texts_digest`` adopts it rather than tokenising every text again."""
        if index.texts_digest is not None:
            self._offered_lexical[kind] = index

    def _fit_lexical(self, kind: IndexKind, texts: Mapping[int, str]) -> None:
        if not texts:
            self.lexical[kind] = LexicalIndex()
            return
        digest = texts_digest(texts)
        if self.lexical[kind].texts_digest == digest:
            return  # fitted on these very texts already
        offered = self._offered_lexical.get(kind)
        if offered is not None and offered.texts_digest == digest:
            self.lexical[kind] = offered
            return
        # Not these texts: an offer is never right later (texts only move further away).
        self._offered_lexical.pop(kind, None)
        ids = list(texts)
        self.lexical[kind].fit(ids, [texts[i] for i in ids])

    # -- whole kinds --------------------------------------------------------------------------
    def sync(self, kind: ProfileKind, profiles: Iterable[Any]) -> None:
        """Replace all profiles of ``kind``; unchanged ones keep their vectors (no re-embedding)."""
        items = {p.id: p for p in profiles}
        for p in items.values():
            _check_type(kind, p)
        self.profiles[kind] = items
        texts = {i: self.text(kind, p) for i, p in items.items()}
        self._sync_vectors(kind, texts, rebuild=True)
        self._fit_lexical(kind, texts)
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
        self._forget_derived()
        self.text_version += 1
        self.version += 1
        if kind == "mentor":
            # Built here, where profiles are loaded (a worker's background load), not in the
            # first request that ranks mentors.
            self.expertise()

    def upsert(
        self, kind: ProfileKind, profile: Any, vector: NDArray[np.float32] | None = None
    ) -> None:
        """Add or replace one profile: re-embeds it only if its text changed. ``vector``: its
        text's vector, embedded elsewhere (a published delta), used instead of embedding."""
        _check_type(kind, profile)
        text = self.text(kind, profile)
        h = self._hash(kind, text)
        index = self.index(kind)
        text_changed = (
            self.hashes[kind].get(profile.id) != h or profile.id not in self.profiles[kind]
        )
        if text_changed:
            self._text_changed(kind, profile.id, profile)
        if self.hashes[kind].get(profile.id) != h or profile.id not in index:
            if vector is None and self.frozen:
                raise VectorsMissing(f"{kind} {profile.id}: no published vector for its text")
            rows = self.embed([text]) if vector is None else np.asarray(vector).reshape(1, -1)
            index.add([profile.id], rows)
            self.hashes[kind][profile.id] = h
        self.profiles[kind][profile.id] = profile
        if text_changed or profile.id not in self.lexical[kind]:
            # Only a new text changes the row (a capacity refresh changes figures: re-stacking
            # 100,000 rows for it would cost the next search seconds).
            self.lexical[kind].upsert(profile.id, text)
        if is_pair_kind(kind):
            self._set_relations(kind, profile)
            self.names[kind].put(profile.id, profile.name)
        if kind == "investor":  # the portfolio index holds investors' entries only
            self._sync_portfolio_vectors(rebuild=False)
        self._forget_derived()
        self.version += 1

    def set_figures(self, kind: ProfileKind, figures: Mapping[int, Any]) -> int:
        """Write capacity figures (id -> new value of ``FIGURES[kind]``) into the profiles that
        hold another value; returns how many moved.

        Not ``upsert``: that re-derives a profile's text, lexical row and relations, rescans
        every portfolio for a mentor and clears every statistic cached over the kind, which at
        100,000 profiles a request then recomputes for seconds, while a booking changes none
        of them. ``version`` still moves (once), because rankings read the figures."""
        field = FIGURES[kind]
        pool = self.profiles[kind]
        moved = 0
        for item_id, value in figures.items():
            profile = pool.get(item_id)
            if profile is not None and getattr(profile, field) != value:
                pool[item_id] = replace(profile, **{field: value})
                moved += 1
        if moved:
            self.version += 1
        return moved

    def remove(self, kind: ProfileKind, item_id: int) -> None:
        self.profiles[kind].pop(item_id, None)
        self.index(kind).remove([item_id])
        self.hashes[kind].pop(item_id, None)
        self.lexical[kind].remove(item_id)
        if is_pair_kind(kind):
            self._drop_relations(kind, item_id)
            self.names[kind].remove(item_id)
        if kind == "investor":
            self._sync_portfolio_vectors(rebuild=False)
        self._forget_derived()
        self._text_changed(kind, item_id, None)
        self.version += 1

    def _text_changed(self, kind: ProfileKind, item_id: int, profile: Any | None) -> None:
        """One profile's text changed (``None``: it left). A served (frozen) corpus keeps its
        version's expertise word statistics (over the mentors and a sample of the startups)
        and only looks an edited mentor's words up in them (``ExpertiseTerms.with_mentor``):
        rebuilding both over every mentor took 4.5 s per edit at 100,000 of them. The next
        version rebuilds them exactly."""
        was = self.text_version
        self.text_version += 1
        if not self.frozen:
            return
        if self._expertise is not None and self._expertise[0] == was:
            words = self._expertise[1]
            if kind == "mentor":
                words = words.with_mentor(item_id, profile)
            self._expertise = (self.text_version, words)
        if self._across is not None and self._across[0] == was:
            _, phrase_index, across = self._across
            if kind == "mentor":
                across = across.with_mentor(item_id, profile)
            self._across = (self.text_version, phrase_index, across)

    def make_writable(self, kind: str) -> None:
        """Put an ``OverlayIndex`` over the read-only (published, mapped) index of ``kind``, so
        that a delta can edit it. It answers as the index did: what is cached from it stays."""
        index = self.index(kind)
        if not getattr(index, "read_only", False):
            return
        self.indexes[kind] = OverlayIndex(index)
        if kind == PHRASE and self._across is not None and self._across[1] == id(index):
            self._across = (self._across[0], id(self.indexes[kind]), self._across[2])

    def _forget_derived(self) -> None:
        """Clear what is cached from the profiles (the caller bumps the versions)."""
        self._stats.clear()
        self._orders.clear()
        self._sets.clear()
        self._activity.clear()
        self._named.clear()

    # -- history relations --------------------------------------------------------------------
    def _drop_relations(self, kind: PairKind, cand_id: int) -> None:
        for rel in self.relations[kind].pop(cand_id, []):
            if rel.startup_id is not None:
                self.linked[kind][rel.startup_id].discard(cand_id)
            if rel.vector_kind == PORTFOLIO:
                self.entry_owners[rel.vector_id].discard(cand_id)

    def _set_relations(self, kind: PairKind, profile: Any) -> None:
        self._drop_relations(kind, profile.id)
        rels = relations_of(profile, self.profiles["startup"])
        self.relations[kind][profile.id] = rels
        for rel in rels:
            if rel.startup_id is not None:
                self.linked[kind][rel.startup_id].add(profile.id)
            if rel.vector_kind == PORTFOLIO:
                self.entry_owners[rel.vector_id].add(profile.id)

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
            terms = ExpertiseTerms.build(self.profiles["mentor"].values(), self._startup_sample())
            self._expertise = (self.text_version, terms)
        return self._expertise[1]

    def expertise_across(self) -> CrossLanguageTerms:
        """Mentors' expertise words matched across languages (``expertise_meaning``), cached
        until a text changes or another phrase index is adopted; built by ``sync_phrases`` and a
        served version's load, not by a request (frozen: a word without a vector matches none)."""
        phrase_index = id(self.index(PHRASE))
        cached = self._across
        if cached is None or cached[:2] != (self.text_version, phrase_index):
            terms = CrossLanguageTerms.build(
                self.profiles["mentor"].values(), self._startup_sample(), self.phrase_vectors
            )
            cached = self._across = (self.text_version, phrase_index, terms)
        return cached[2]

    def _startup_sample(self) -> list[T.StartupProfile]:
        """An even sample of the startups: which words are common in founders' texts."""
        ids = sorted(self.profiles["startup"])
        step = max(1, -(-len(ids) // EXPERTISE_STARTUP_SAMPLE))
        return [self.profiles["startup"][i] for i in ids[::step]]

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

    def sync_phrases(self) -> int:
        """Make the phrase index hold exactly the phrases of the current profiles, embedding
        only phrases without a vector (a loaded previous version's are reused). The builder
        calls it after every kind is synced; returns how many phrases were embedded."""
        if self.frozen:
            raise VectorsMissing("a frozen corpus does not embed phrases")
        texts = phrase_texts(p for kind in PROFILE_KINDS for p in self.profiles[kind].values())
        before = set(self.index(PHRASE).ids().tolist())
        self._sync_vectors(PHRASE, texts, rebuild=True)
        self.expertise_across()  # from the new vectors, here rather than in a request
        return len(set(texts) - before)

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
        self._loaded_as_built.add(kind)
        return manifest.data_watermark

    def add_vectors(
        self, kind: str, vectors: Mapping[int, NDArray[np.float32]], hashes: Mapping[int, str]
    ) -> None:
        """Put vectors computed elsewhere (the embeddings table, a worker) into the index of
        ``kind``, with the content hash of the text each one embeds; the next sync re-indexes
        the kind."""
        if not vectors:
            return
        ids = list(vectors)
        self.index(kind).add(np.array(ids, dtype=np.int64), np.stack([vectors[i] for i in ids]))
        self.hashes[kind] = {**self.hashes.get(kind, {}), **{i: hashes[i] for i in ids}}
        self._loaded_as_built.discard(kind)
