"""The one check for ``next`` redirects: only a short path on this site is ever followed.

Every view that sends the browser back to a ``next`` it was given goes through ``safe_next``
(redash's ``_is_safe_next_url``, made stricter): a copy of this logic in a view is how an open
redirect comes back.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

# Long enough for any page of ours with its query string; a 1 MB ``next`` was echoed into the
# Location header (and the sign-in form) as given.
MAX_NEXT_LENGTH = 512


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/...``), else None.

    Refused: absolute (``https://evil``) and scheme-relative (``//evil``) URLs, any backslash
    (browsers read ``/\\evil`` as ``//evil``), control and invisible formatting characters
    (browsers drop a tab or newline, so ``/\\t/evil`` becomes ``//evil``; bidi overrides disguise
    the target), and anything longer than ``MAX_NEXT_LENGTH``.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def redirect_next(default: str | None = None) -> Response:
    """Redirect to the request's safe ``next`` (form or query string), else to ``default``."""
    target = safe_next(request.form.get("next") or request.args.get("next"))
    return redirect(target or default or url_for("main.index"))
