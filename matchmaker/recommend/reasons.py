"""Structured reasons: a code plus parameters, translated by the web layer.

Every reason is a checkable fact about the two profiles (a ``shared_sectors`` reason names only
sectors both sides list), never a restatement of a score. Codes are a contract with the templates:

=====================  ============================================================
code                   params
=====================  ============================================================
shared_sectors         sectors: list[str] (codes both sides have)
matched_terms          terms: list[str] (words both texts contain)
shared_topics          topics: list[str] (mentoring topics asked and offered)
stage_fit              round: str, stages: list[str] (the investor's stated rounds)
ticket_fit             amount: float, currency: str|None, min: float|None, max: float|None
instrument_fit         instrument: str
portfolio_neighbour    company: str, startup_id: int|None
past_mentee_neighbour  company: str, startup_id: int
co_investor            partners: list[int] (investor ids already backing the startup that
                       co-invested with this one)
co_mentor              partners: list[int] (same, for mentors)
same_location          location: str
shared_languages       languages: list[str]
founder_rating         mean: float (1-5, two decimals), count: int (founders' ratings; only
                       when their shrunk mean says "well rated", ``pair_reasons.RATED_WELL``)
free_capacity          left: int (sessions this month) | hours: float (equipment, 14 days)
voucher_eligible       (none)
similar_meaning        phrase: str (the phrase of the result closest in meaning to the need or
                       the startup, in whatever language it is written: "场发射扫描电镜" for
                       "scanning electron microscope"; only when no word is shared)
expertise_meaning      pairs: list[[str, str]] (a founder's word and the mentor's expertise
                       word of the other language that means the same, as each wrote it:
                       [["专利", "patent"]]; ``expertise_meaning``)
named_in_profile       name: str (the startup's own description names this candidate: a
                       current tie, ``services.recommendations.bridge.current_ties``)
on_record              kind: "investor" | "mentor" (the platform records the tie: a portfolio
                       entry linking the startup, a past mentee; ``current_ties`` too)
=====================  ============================================================

No reason carries a score: a number like "similarity 0.51" means nothing to a founder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matchmaker.recommend.kinds import ProfileKind


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_tuple(self) -> tuple[str, dict[str, Any]]:
        return (self.code, dict(self.params))


@dataclass(frozen=True)
class Recommendation:
    """One ranked result: what it is, how good, why (reasons) and the evidence (features)."""

    kind: ProfileKind
    id: int
    score: float
    reasons: tuple[Reason, ...] = ()
    features: dict[str, float] = field(default_factory=dict)


# Below these, a similarity is not worth telling a user about.
NEIGHBOUR_MIN_SIMILARITY = 0.35
NEIGHBOUR_ABOVE_TYPICAL = 0.1  # and above the median cosine of two unrelated startups
SIMILAR_PROFILE_MIN = 0.45
SIMILAR_MEANING_MIN = 0.4  # cosine of the need (or startup) and one phrase of the result


def shared(a: tuple[str, ...] | list[str], b: tuple[str, ...] | list[str]) -> list[str]:
    """Items of ``a`` also in ``b`` (case-insensitive), in ``a``'s order, without duplicates."""
    lowered = {x.casefold() for x in b}
    out: list[str] = []
    for x in a:
        if x.casefold() in lowered and x not in out:
            out.append(x)
    return out
