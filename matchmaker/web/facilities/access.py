"""Who may open the facilities pages meant for facility managers (and operators)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user


def is_facility_manager() -> bool:
    """The signed-in user manages a facility (the role) or is an operator. Which facilities
    they manage is checked per instrument by the services."""
    return bool(current_user.has_role("facility_manager") or current_user.is_operator)


def require_facility_manager() -> None:
    """403 for anyone who is not a facility manager nor an operator."""
    if not is_facility_manager():
        abort(403)
