"""Recommendation engine: a pure library (no Flask, no ORM).

Takes plain profiles (``texts``), an ``Embedder`` and optionally persisted indexes; returns ids,
scores and structured reasons. ``services/recommendations.py`` is the only bridge to the database.
Heavy dependencies (torch, sentence-transformers, faiss) load lazily, on first use.
"""

from __future__ import annotations

from matchmaker.recommend.embedding import (
    DEFAULT_MODEL,
    Embedder,
    EmbedderError,
    HashingEmbedder,
    SentenceTransformerEmbedder,
)
from matchmaker.recommend.learn import LearnedRanker, RankerInvalid, train_ranker
from matchmaker.recommend.ranking import Recommender, RecommenderConfig, UnknownProfile
from matchmaker.recommend.reasons import Reason, Recommendation
from matchmaker.recommend.store import IndexCorrupt, IndexMissing, IndexStale, IndexUnavailable
from matchmaker.recommend.texts import (
    EquipmentProfile,
    InvestorProfile,
    MentorProfile,
    PortfolioCompany,
    StartupProfile,
    content_hash,
)

__all__ = [
    "DEFAULT_MODEL",
    "Embedder",
    "EmbedderError",
    "EquipmentProfile",
    "HashingEmbedder",
    "IndexCorrupt",
    "IndexMissing",
    "IndexStale",
    "IndexUnavailable",
    "InvestorProfile",
    "LearnedRanker",
    "MentorProfile",
    "PortfolioCompany",
    "RankerInvalid",
    "Reason",
    "Recommendation",
    "Recommender",
    "RecommenderConfig",
    "SentenceTransformerEmbedder",
    "StartupProfile",
    "UnknownProfile",
    "content_hash",
    "train_ranker",
]
