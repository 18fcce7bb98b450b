"""What every profile's values go through before a use case saves them.

Values arrive as plain dicts whose keys are model attributes. ``pick`` keeps only a profile's
fields; the checks raise ``Invalid`` naming the field the message belongs next to, and
normalise what they accept (codes de-duplicated, amounts as ``Decimal``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models.users import Role, User
from matchmaker.services.errors import Forbidden, Invalid, NotFound

Profile = TypeVar("Profile")
Validation = Callable[[dict[str, Any]], None]

MAX_MONEY = Decimal("100000000000000")  # Numeric(16, 2)

# Which vocabulary each code field draws from, per model.
_SINGLE_CODES: dict[str, vocab.Labels] = {
    "stage": vocab.STAGES,
    "funding_round": vocab.ROUNDS,
    "funding_need_currency": vocab.CURRENCIES,
    "kind": vocab.MENTOR_KINDS,
    "type": vocab.INVESTOR_TYPES,
    "currency": vocab.CURRENCIES,
    "category": vocab.EQUIPMENT_CATEGORIES,
    "booking_mode": vocab.BOOKING_MODES,
}
_MULTI_CODES: dict[str, vocab.Labels] = {
    "sectors": vocab.SECTORS,
    "founder_backgrounds": vocab.FOUNDER_BACKGROUNDS,
    "languages": vocab.LANGUAGES,
    "mentoring_topics": vocab.MENTORING_TOPICS,
    "services_needed": vocab.CHAIN_SERVICES,
    "stages": vocab.ROUNDS,
    "instruments": vocab.INSTRUMENTS,
}


def pick(values: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    """The ``allowed`` fields of ``values`` (others are dropped, so a form can never set
    ``is_active`` or an id), text stripped."""
    picked = {k: values[k] for k in allowed if k in values}
    for key, value in picked.items():
        if isinstance(value, str):
            picked[key] = value.strip()
    return picked


def checked_values(
    values: Mapping[str, Any],
    fields: Sequence[str],
    validate: Validation,
    *,
    required: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``fields`` of ``values`` (``pick``), refused when one of ``required`` is absent,
    then ``validate``d (which may normalise them in place)."""
    data = pick(values, fields)
    for field in required:
        if field not in data:
            raise Invalid(_l("This field is required."), field=field)
    validate(data)
    return data


def require_text(values: Mapping[str, Any], field: str) -> None:
    """Refuse an empty ``field`` when it is being set (absent means "unchanged")."""
    if field in values and not values[field]:
        raise Invalid(_l("This field is required."), field=field)


def check_codes(values: dict[str, Any]) -> None:
    """Refuse a code field whose value is not in its vocabulary; de-duplicate multi-code
    fields in place, keeping their order."""
    for field, vocabulary in _SINGLE_CODES.items():
        if field in values and values[field] not in vocabulary:
            raise Invalid(_l("Choose a value from the list."), field=field)
    for field, vocabulary in _MULTI_CODES.items():
        if field in values:
            codes = list(dict.fromkeys(values[field] or []))
            if any(code not in vocabulary for code in codes):
                raise Invalid(_l("Choose values from the list."), field=field)
            values[field] = codes


def check_money(values: dict[str, Any], *fields: str, required: bool = False) -> None:
    """Refuse amounts below 0 or beyond the column (``MAX_MONEY``); store them as ``Decimal``."""
    for field in fields:
        if field not in values:
            continue
        amount = values[field]
        if amount is None:
            if required:
                raise Invalid(_l("This field is required."), field=field)
            continue
        if not isinstance(amount, Decimal):
            amount = Decimal(str(amount))
        if amount < 0 or amount >= MAX_MONEY:
            raise Invalid(_l("Enter an amount between 0 and 10^14."), field=field)
        values[field] = amount


def apply_values(entity: Any, values: Mapping[str, Any]) -> None:
    """Set the checked ``values`` on ``entity`` (no commit)."""
    for key, value in values.items():
        setattr(entity, key, value)


def need_role(actor: User, role: Role) -> None:
    """Refuse ``actor`` without ``role`` (operators may do everything)."""
    if not (actor.has_role(role) or actor.is_operator):
        raise Forbidden(_l("Your account does not have the role needed for this."))


def editable_by(
    actor: User,
    profile: Profile | None,
    is_editor: Callable[[Profile, User], bool],
    *,
    missing: Any,
    refused: Any,
) -> Profile:
    """``profile`` when ``actor`` may edit it (one of its editors, or an operator); else
    ``NotFound(missing)`` for no profile, ``Forbidden(refused)`` for anyone else."""
    if profile is None:
        raise NotFound(missing)
    if not (actor.is_operator or is_editor(profile, actor)):
        raise Forbidden(refused)
    return profile
