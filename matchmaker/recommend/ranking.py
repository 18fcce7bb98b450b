"""``Recommender``: the engine's one public entry point.

Candidate generation is the union of the dense index's top-N, the lexical leg's top-N, the
candidates linked to the startup's nearest neighbours (startups and portfolio companies), the
co-backers of its current backers and the most active candidates; then hard filters (what the
other side would refuse), pair features, a two-sided score (or a learned ranker) and a
capacity-aware re-rank. Candidates the startup's own description names ("backed by SV Angel")
are existing ties: ``named`` returns them for display and they are never recommended. The app,
the CLI and the evaluation scripts all call these methods.

Parts of it live next door: ``generation`` (candidates), ``spreading`` (load prices, re-rank),
``candidate_side`` (startups for a mentor or investor), ``free_text`` (similarity, search).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from matchmaker.recommend import features as F
from matchmaker.recommend import free_text
from matchmaker.recommend.calibration import Calibration, calibrate, check_weights
from matchmaker.recommend.candidate_side import startups_for
from matchmaker.recommend.corpus import Corpus
from matchmaker.recommend.embedding import Embedder
from matchmaker.recommend.generation import generate_candidates
from matchmaker.recommend.history import PORTFOLIO
from matchmaker.recommend.kinds import KINDS, PairKind, ProfileKind, profile_kind
from matchmaker.recommend.learn import LearnedRanker, load_usable_ranker
from matchmaker.recommend.pairing import ScoredPair, refuses, score_pairs
from matchmaker.recommend.reasons import Recommendation
from matchmaker.recommend.spreading import demand_factors, estimate_load_prices, rerank
from matchmaker.recommend.texts import StartupProfile

if TYPE_CHECKING:
    from numpy.typing import NDArray


class UnknownProfile(KeyError):  # noqa: N818 - reads as "unknown profile"
    """An id the recommender has no profile for."""


@dataclass(frozen=True)
class RecommenderConfig:
    candidates_per_leg: int = 50  # top-N from each of the dense and lexical legs
    neighbour_startups: int = 30  # similar startups whose backers become candidates
    approximate_above: int = 50_000  # HNSW past this many vectors of a kind
    min_training_rows: int = 200  # a learned ranker needs at least this many outcome rows
    search_dense_weight: float = 0.65  # free-text search: dense vs lexical
    capacity_scarce_sessions: float = 2.0
    capacity_scarce_hours: float = 8.0
    exposure_strength: float = 0.15
    demand_sample: int = 100  # startups sampled to estimate each mentor's expected demand
    demand_strength: float = 0.5  # exponent of capacity / expected demand (see rerank.py)
    demand_rounds: int = 8  # rounds of load-price adjustment (``load_prices``)
    # Prices older than this many seconds are re-estimated after a change; younger ones are
    # kept (a booking changes one mentor's capacity left, not the market: re-scoring the sample
    # inside a request after every booking would cost more than the estimate gains).
    demand_max_age: float = 300.0


class Recommender:
    """Recommendations from in-memory profiles, an embedder and (optionally loaded) indexes.

    Build with ``sync`` per kind (or ``from_profiles``); keep current with ``upsert``/``remove``.
    Methods taking a startup accept its id or a ``StartupProfile`` (e.g. with a new funding ask).
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        config: RecommenderConfig | None = None,
        rankers: Mapping[str, LearnedRanker] | None = None,
        show_progress: bool = False,
    ) -> None:
        self.config = config or RecommenderConfig()
        self.corpus = Corpus(
            embedder, approximate_above=self.config.approximate_above, show_progress=show_progress
        )
        self.rankers: dict[str, LearnedRanker] = dict(rankers or {})
        self.calibrations: dict[str, Calibration] = {}
        self.exposure: dict[str, Counter[int]] = {k: Counter() for k in KINDS}
        # kind -> (corpus version, prices, when computed)
        self._prices: dict[str, tuple[int, dict[int, float], float]] = {}

    @classmethod
    def from_profiles(
        cls,
        embedder: Embedder,
        *,
        startups: Iterable[Any] = (),
        mentors: Iterable[Any] = (),
        investors: Iterable[Any] = (),
        equipment: Iterable[Any] = (),
        index_root: Path | str | None = None,
        **kwargs: Any,
    ) -> Recommender:
        """Build every kind; with ``index_root``, persisted vectors are reused where unchanged."""
        rec = cls(embedder, **kwargs)
        if index_root is not None:
            rec.load_indexes(index_root)
        # Startups first: mentor and investor histories link to them.
        rec.sync("startup", startups)
        rec.sync("mentor", mentors)
        rec.sync("investor", investors)
        rec.sync("equipment", equipment)
        return rec

    # -- state --------------------------------------------------------------------------------
    def sync(self, kind: str, profiles: Iterable[Any]) -> None:
        """Replace all profiles of ``kind`` (re-embeds only changed texts). ``kind`` may come
        from outside as a plain string: anything but a ``ProfileKind`` is a ``ValueError``."""
        self.corpus.sync(profile_kind(kind), profiles)

    def upsert(self, kind: str, profile: Any, vector: NDArray[np.float32] | None = None) -> None:
        """Add or update one profile without a rebuild (after the database commit); ``kind``
        as in ``sync``; ``vector`` as in ``Corpus.upsert``."""
        self.corpus.upsert(profile_kind(kind), profile, vector)

    def set_figures(self, kind: str, figures: Mapping[int, Any]) -> int:
        """New capacity figures (``corpus.FIGURES``: sessions this month, free hours) of some
        profiles, without re-deriving anything else (``Corpus.set_figures``)."""
        return self.corpus.set_figures(profile_kind(kind), figures)

    def remove(self, kind: str, item_id: int) -> None:
        self.corpus.remove(profile_kind(kind), item_id)

    def save_indexes(self, root: Path | str, data_watermark: str) -> None:
        for kind in (*KINDS, PORTFOLIO):
            self.corpus.save(root, kind, data_watermark)

    def load_indexes(self, root: Path | str) -> dict[str, str | None]:
        """Adopt persisted indexes; returns kind -> data watermark (None if rebuilt needed)."""
        return {kind: self.corpus.load(root, kind) for kind in (*KINDS, PORTFOLIO)}

    def load_rankers(self, folder: Path | str) -> dict[str, LearnedRanker]:
        """Adopt ``<folder>/ranker-<kind>.json`` where usable (see models/README.md).

        A malformed file raises ``learn.RankerInvalid``; absent or under-trained ones are skipped
        and that kind keeps the default weights.
        """
        for kind in ("mentor", "investor"):
            ranker = load_usable_ranker(
                Path(folder) / f"ranker-{kind}.json",
                kind,
                F.FEATURE_NAMES,
                min_rows=self.config.min_training_rows,
            )
            if ranker is not None:
                self.rankers[kind] = ranker
        return dict(self.rankers)

    def record_exposure(self, kind: ProfileKind, ids: Iterable[int]) -> None:
        """Count that ``ids`` were shown, so the re-rank spreads attention."""
        self.exposure[kind].update(ids)

    def profile(self, kind: ProfileKind, item_id: int) -> Any:
        try:
            return self.corpus.profiles[kind][item_id]
        except KeyError:
            raise UnknownProfile(f"no {kind} with id {item_id}") from None

    @staticmethod
    def _check_kind(kind: ProfileKind) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")

    def _startup(self, startup: int | StartupProfile) -> tuple[StartupProfile, NDArray[np.float32]]:
        if isinstance(startup, StartupProfile):
            known = self.corpus.profiles["startup"].get(startup.id)
            same_text = known is not None and (
                self.corpus.text("startup", known) == self.corpus.text("startup", startup)
            )
            vec = (
                self.corpus.vector("startup", startup.id)
                if same_text
                else self.corpus.embed([self.corpus.text("startup", startup)])[0]
            )
            return startup, vec
        profile = self.profile("startup", startup)
        return profile, self.corpus.vector("startup", startup, profile)

    # -- startup -> mentors / investors --------------------------------------------------------
    def mentors_for_startup(
        self, startup: int | StartupProfile, k: int = 10, *, exclude: Collection[int] = ()
    ) -> list[Recommendation]:
        """Mentors who can help and would take the startup; past mentors are excluded."""
        return self._for_startup("mentor", startup, k, exclude)

    def investors_for_startup(
        self, startup: int | StartupProfile, k: int = 10, *, exclude: Collection[int] = ()
    ) -> list[Recommendation]:
        """Investors for the startup's ask (``ask_round`` etc.); current investors excluded."""
        return self._for_startup("investor", startup, k, exclude)

    def _scored(
        self,
        kind: PairKind,
        s: StartupProfile,
        s_vec: NDArray[np.float32],
        s_text: str,
        exclude: Collection[int],
    ) -> tuple[list[Any], NDArray[np.float32], dict[int, float], list[Recommendation]]:
        """Generated candidates the startup may ask, their cosines and TF-IDF scores, and their
        scored pairs (before any re-rank)."""
        pool = self.corpus.profiles[kind]
        skip = set(exclude) | self.existing_ties(kind, s)
        ids = [i for i in generate_candidates(self, kind, s, s_vec, s_text) if i not in skip]
        cands = [pool[i] for i in sorted(ids) if not refuses(s, pool[i])]
        if not cands:
            return [], np.zeros(0, dtype=np.float32), {}, []
        dense, lexical, pairs = self._score_candidates(kind, s, s_vec, s_text, cands, {})
        recs = [Recommendation(kind, p.candidate_id, p.score, (), p.features) for p in pairs]
        return cands, dense, lexical, recs

    def _score_candidates(
        self,
        kind: PairKind,
        s: StartupProfile,
        s_vec: NDArray[np.float32],
        s_text: str,
        cands: Sequence[Any],
        c_texts: Mapping[int, str] | None,
    ) -> tuple[NDArray[np.float32], dict[int, float], list[ScoredPair]]:
        """The cosines and TF-IDF scores of ``cands`` against the startup, and their scored pairs
        with this engine's ranker or calibration; reasons only with ``c_texts`` (the candidates'
        texts the matched terms come from)."""
        ids = [c.id for c in cands]
        dense = self.corpus.index(kind).get_vectors(ids) @ s_vec
        lexical = self.corpus.lexical[kind].scores(s_text, ids)
        pairs = score_pairs(
            self.corpus,
            kind,
            s,
            s_vec,
            cands,
            dense.tolist(),
            lexical,
            s_text,
            c_texts or {},
            **self._scorer(kind),
            explain=c_texts is not None,
        )
        return dense, lexical, pairs

    def _for_startup(
        self, kind: PairKind, startup: int | StartupProfile, k: int, exclude: Collection[int]
    ) -> list[Recommendation]:
        s, s_vec = self._startup(startup)
        s_text = self.corpus.text("startup", s)
        cands, dense, lexical, recs = self._scored(kind, s, s_vec, s_text, exclude)
        if not cands:
            return []
        scorer = self._scorer(kind)
        args = (self.corpus, kind, s, s_vec)
        demand = demand_factors(self, kind, recs) if kind == "mentor" else None
        top = rerank(self, kind, recs, demand)[:k]
        # Reasons cost tokenising both texts: only for what is shown.
        at = {c.id: j for j, c in enumerate(cands)}
        shown = [cands[at[r.id]] for r in top]
        texts = {c.id: self.corpus.text(kind, c) for c in shown}
        explained = score_pairs(
            *args,
            shown,
            [float(dense[at[c.id]]) for c in shown],
            lexical,
            s_text,
            texts,
            **scorer,
        )
        reasons = {p.candidate_id: p.reasons for p in explained}
        return [replace(r, reasons=reasons[r.id]) for r in top]

    def named(self, kind: PairKind, startup: int | StartupProfile) -> list[int]:
        """Mentors or investors the startup's own description names ("backed by SV Angel",
        "获得红杉资本天使轮投资"), by id.

        A founder naming a fund or mentor states a tie the platform may not have recorded: show
        it as a current backer or mentor, and do not recommend it (it is not a discovery, and on
        historical data such sentences are exactly the relations to be predicted)."""
        self._check_kind(kind)
        s = startup if isinstance(startup, StartupProfile) else self.profile("startup", startup)
        return sorted(self.corpus.named(kind, s))

    def recorded(self, kind: PairKind, startup: int | StartupProfile) -> list[int]:
        """Mentors or investors the platform records as tied to the startup (a past mentee, a
        portfolio entry that links it), by id."""
        self._check_kind(kind)
        startup_id = startup if isinstance(startup, int) else startup.id
        return sorted(self.corpus.linked[kind].get(startup_id, ()))

    def existing_ties(self, kind: PairKind, startup: StartupProfile) -> set[int]:
        """Candidates already tied to the startup: recorded relations and named ones."""
        return set(self.recorded(kind, startup)) | self.corpus.named(kind, startup)

    def _scorer(self, kind: PairKind) -> dict[str, Any]:
        """How pairs of ``kind`` are scored: a usable learned ranker, else the calibration."""
        return {"ranker": self._ranker(kind), "calibration": self.calibrations.get(kind)}

    def set_calibration(self, kind: PairKind, calibration: Calibration | None) -> None:
        """Score ``kind`` with ``calibration`` (None: the default weights)."""
        if calibration is None:
            self.calibrations.pop(kind, None)
        else:
            check_weights(calibration.weights, f"calibration of {kind}")
            self.calibrations[kind] = calibration

    def calibrate(self, kind: PairKind, **kwargs: Any) -> Calibration:
        """Choose and adopt weights for ``kind`` from this engine's own history
        (``calibration.calibrate``: time split inside the history, popularity floor)."""
        result = calibrate(self, kind, **kwargs)
        self.set_calibration(kind, result)
        return result

    def _ranker(self, kind: PairKind) -> LearnedRanker | None:
        ranker = self.rankers.get(kind)
        if ranker is None or ranker.n_train < self.config.min_training_rows:
            return None
        if set(ranker.feature_names) - set(F.FEATURE_NAMES):
            return None
        return ranker

    def load_prices(self, kind: PairKind) -> dict[int, float]:
        """Candidate id -> its load price in (0, 1]: how far its scores are lowered so that the
        number of active startups whose top 3 it stands in comes down toward its stated
        monthly capacity (1 without a stated capacity, or without more demand than it).

        Estimated on an even sample of at most ``config.demand_sample`` active startups, by a
        few rounds of price adjustment (each round: every sampled startup's top 3 under the
        current prices; a candidate in more of them than its capacity has its price multiplied
        by ``(capacity / expected) ** demand_strength``), so that when one generalist is spread
        the next one is not left to crowd in its place. Cached until the corpus changes."""
        cached = self._prices.get(kind)
        now = time.monotonic()
        if cached is not None and (
            cached[0] == self.corpus.version or now - cached[2] < self.config.demand_max_age
        ):
            return cached[1]
        out = estimate_load_prices(self, kind)
        self._prices[kind] = (self.corpus.version, out, now)
        return out

    def pin_load_prices(self, kind: str, prices: Mapping[int, float]) -> None:
        """Use ``prices`` (as ``load_prices`` returns them, e.g. estimated by the index build
        and published with the version) for ``kind`` from now on: never re-estimated by this
        engine, so a serving process does not score the sample inside a request."""
        # An infinite timestamp keeps the entry younger than ``demand_max_age`` forever.
        self._prices[kind] = (self.corpus.version, dict(prices), math.inf)

    def pair_features(
        self,
        kind: PairKind,
        startup: int | StartupProfile,
        candidate_ids: Sequence[int],
        *,
        explain: bool = True,
    ) -> list[ScoredPair]:
        """Features and scores of given pairs (learned-ranker training rows, calibration)."""
        s, s_vec = self._startup(startup)
        s_text = self.corpus.text("startup", s)
        cands = [self.profile(kind, i) for i in candidate_ids]
        if not cands:
            return []
        texts = {c.id: self.corpus.text(kind, c) for c in cands} if explain else None
        return self._score_candidates(kind, s, s_vec, s_text, cands, texts)[2]

    # -- mentor / investor -> startups ---------------------------------------------------------
    def startups_for_mentor(
        self, mentor_id: int, k: int = 10, *, exclude: Collection[int] = ()
    ) -> list[Recommendation]:
        """Startups this mentor fits, scored as the same pair from the startup's side."""
        return startups_for(self, "mentor", mentor_id, k, exclude)

    def startups_for_investor(
        self, investor_id: int, k: int = 10, *, exclude: Collection[int] = ()
    ) -> list[Recommendation]:
        return startups_for(self, "investor", investor_id, k, exclude)

    # -- similarity and free text -------------------------------------------------------------
    def similar_startups(self, startup: int | StartupProfile, k: int = 10) -> list[Recommendation]:
        """Startups closest to the startup in what they say (``free_text``)."""
        return free_text.similar_startups(self, startup, k)

    def equipment_for_need(
        self, text: str, k: int = 10, *, category: str | None = None
    ) -> list[Recommendation]:
        """Equipment for a described need ("XRD testing for a battery cathode"), free time first
        among equals; ``category`` restricts to one vocab.EQUIPMENT_CATEGORIES code."""
        return free_text.equipment_for_need(self, text, k, category=category)

    def search(
        self, text: str, kinds: Sequence[ProfileKind] = KINDS, k: int = 10
    ) -> list[Recommendation]:
        """Free-text search across kinds ("专利律师", "XRD testing"), merged by score."""
        return free_text.search(self, text, kinds, k)
