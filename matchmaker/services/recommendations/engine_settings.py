"""Where the engine keeps its files and which embedder it uses; one embedder per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from matchmaker.recommend.embedding import (
    DEFAULT_MODEL,
    Embedder,
    make_embedder,
)

# -- settings and embedders ---------------------------------------------------------------------


@dataclass(frozen=True)
class EngineSettings:
    """Where the engine keeps its files and which embedder it uses. Whoever calls, nothing
    but a job (or ``flask index build``, or a script outside a web request) builds indexes."""

    index_dir: Path
    model_dir: Path
    embedding_model: str = DEFAULT_MODEL

    @classmethod
    def from_app(cls, app: Any = None, *, in_request: bool | None = None) -> EngineSettings:
        """Settings of ``app`` (default: ``flask.current_app``). ``in_request`` is accepted for
        callers written when requests had their own limits; it changes nothing."""
        import flask

        app = app or flask.current_app
        cfg = app.config
        return cls(
            index_dir=Path(cfg["INDEX_DIR"]),
            model_dir=Path(cfg["MODEL_DIR"]),
            embedding_model=str(cfg.get("EMBEDDING_MODEL") or DEFAULT_MODEL),
        )


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDER_LOCK = threading.Lock()


def get_embedder(name: str) -> Embedder:
    """The embedder called ``name``, created once per process (the model loads on first use)."""
    with _EMBEDDER_LOCK:
        if name not in _EMBEDDERS:
            _EMBEDDERS[name] = cast(Embedder, make_embedder(name))
        return _EMBEDDERS[name]


def settings_or_app(settings: EngineSettings | None) -> EngineSettings:
    """``settings``, or the current app's when a caller passes none (web requests)."""
    return settings if settings is not None else EngineSettings.from_app()
