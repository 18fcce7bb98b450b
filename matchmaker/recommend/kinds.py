"""The kinds of profile the engine ranks, as types: a misspelt kind is a type error, not a
``KeyError`` deep in a request.

``ProfileKind`` is every kind of profile; ``PairKind`` the two a startup is paired with by
relations (mentees, portfolio), which have histories, calibrations and learned rankers;
``IndexKind`` adds the engine's own vector collections (portfolio companies that are not platform
startups, short phrases). Strings from outside (a URL, a file, a CLI option) become kinds through
``profile_kind`` / ``pair_kind``, which refuse anything else.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

ProfileKind = Literal["startup", "mentor", "investor", "equipment"]
PairKind = Literal["mentor", "investor"]
IndexKind = Literal["startup", "mentor", "investor", "equipment", "portfolio", "phrase"]

KINDS: tuple[ProfileKind, ...] = get_args(ProfileKind)
PAIR_KINDS: tuple[PairKind, ...] = get_args(PairKind)


def is_profile_kind(value: object) -> TypeGuard[ProfileKind]:
    return value in KINDS


def is_pair_kind(value: object) -> TypeGuard[PairKind]:
    return value in PAIR_KINDS


def profile_kind(value: str) -> ProfileKind:
    """``value`` as a profile kind; ``ValueError`` if it is none."""
    if not is_profile_kind(value):
        raise ValueError(f"unknown profile kind {value!r} (one of {', '.join(KINDS)})")
    return value


def pair_kind(value: str) -> PairKind:
    """``value`` as a kind paired with startups (mentor, investor); ``ValueError`` otherwise."""
    if not is_pair_kind(value):
        raise ValueError(f"not a kind paired with startups: {value!r} (mentor or investor)")
    return value
