"""What the engine is told instead of reading Flask: its settings (where it keeps its files,
which embedder it uses, how a web process follows new versions), bound once per app by the app
factory, and who is asking (``Caller``: a web request only loads). One embedder per process."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from matchmaker.recommend.embedding import (
    DEFAULT_MODEL,
    Embedder,
    make_embedder,
)

# Where ``bind`` keeps an app's settings (``app.extensions``).
_EXTENSION = "matchmaker.engine_settings"

# -- settings and embedders ---------------------------------------------------------------------


@dataclass(frozen=True)
class EngineSettings:
    """Where the engine keeps its files and which embedder it uses; and how often a web process
    looks for a newer published version (``check_seconds``), how long a request waits for a swap
    in progress (``swap_wait_seconds``) and for a process's first load (``first_load_seconds``).
    Whoever calls, nothing but a job (or ``flask index build``, or a script outside a web
    request) builds indexes."""

    index_dir: Path
    model_dir: Path
    embedding_model: str = DEFAULT_MODEL
    check_seconds: float = 1.0
    swap_wait_seconds: float = 0.0
    first_load_seconds: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EngineSettings:
        """The settings in an app's configuration (``config.py``: ``INDEX_DIR``, ``MODEL_DIR``,
        ``EMBEDDING_MODEL``, ``INDEX_*_SECONDS``)."""
        defaults = cls(Path(), Path())
        return cls(
            index_dir=Path(config["INDEX_DIR"]),
            model_dir=Path(config["MODEL_DIR"]),
            embedding_model=str(config.get("EMBEDDING_MODEL") or DEFAULT_MODEL),
            check_seconds=float(config.get("INDEX_CHECK_SECONDS", defaults.check_seconds)),
            swap_wait_seconds=float(
                config.get("INDEX_SWAP_WAIT_SECONDS", defaults.swap_wait_seconds)
            ),
            first_load_seconds=float(
                config.get("INDEX_FIRST_LOAD_SECONDS", defaults.first_load_seconds)
            ),
        )

    @classmethod
    def from_app(cls, app: Any) -> EngineSettings:
        """The settings ``create_app`` bound to ``app`` (``bind``), or read from its config for
        an app it did not make. The caller hands its app over: the engine never looks for a
        current one."""
        bound = app.extensions.get(_EXTENSION)
        return bound if isinstance(bound, EngineSettings) else cls.from_config(app.config)


def bind(app: Any) -> None:
    """Build ``app``'s engine settings once from its configuration (the app factory calls this
    after the configuration is complete)."""
    app.extensions[_EXTENSION] = EngineSettings.from_config(app.config)


@dataclass(frozen=True)
class Caller:
    """Who asks for the served engine, said by the caller (the view, the job or the command).

    ``in_request``: a web request, which only loads: a missing version is queued, never built
    while someone waits; anything else (a job, a command, a script) may build one on the spot.
    ``app``: the Flask app whose context a background loader opens (its session and its queue)
    and whose bound settings apply when the caller passes none; without an app nothing is
    queued (a script with explicit settings)."""

    in_request: bool
    app: Any = None

    def __post_init__(self) -> None:
        if self.in_request and self.app is None:
            raise ValueError("a web request's caller hands its app over (background loads)")

    @classmethod
    def web_request(cls, app: Any) -> Caller:
        """A view of ``app`` (pass the real app, ``current_app._get_current_object()``)."""
        return cls(in_request=True, app=app)

    @classmethod
    def offline(cls, app: Any = None) -> Caller:
        """A job, a command or a script (never a web request): may build on the spot; with
        ``app`` its bound settings apply and a rebuild may be queued on its queue."""
        return cls(in_request=False, app=app)


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDER_LOCK = threading.Lock()


def get_embedder(name: str) -> Embedder:
    """The embedder called ``name``, created once per process (the model loads on first use)."""
    with _EMBEDDER_LOCK:
        if name not in _EMBEDDERS:
            _EMBEDDERS[name] = cast(Embedder, make_embedder(name))
        return _EMBEDDERS[name]


def settings_for(settings: EngineSettings | None, caller: Caller) -> EngineSettings:
    """The settings of one call: as passed, else those bound to the caller's app. There is no
    third source: a caller without an app passes its settings."""
    if settings is not None:
        return settings
    if caller.app is None:
        raise ValueError("no engine settings: pass them, or a Caller with its app")
    return EngineSettings.from_app(caller.app)
