"""A policy's structured rules checked against one startup, each with the reason a founder
reads: which rule is met, and what is missing for the others.

An empty rule is no condition. Company age, team size and the deadline are inclusive
("成立不超过3年": founded no more than N years ago is still eligible on the anniversary).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import lazy_ngettext
from matchmaker.models import Startup
from matchmaker.models.operator import Policy


@dataclass(frozen=True)
class RuleCheck:
    """One rule of one policy against one startup; ``message`` is lazy-translated."""

    rule: str
    ok: bool
    message: Any


@dataclass
class Eligibility:
    """Every rule of ``policy`` checked, plus the text relevance that orders the list."""

    policy: Policy
    checks: list[RuleCheck] = field(default_factory=list)
    relevance: float = 0.0
    matched_terms: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def missing(self) -> list[RuleCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def met(self) -> list[RuleCheck]:
        return [c for c in self.checks if c.ok]


@dataclass(frozen=True)
class _Subject:
    """What a rule reads besides the policy and the startup."""

    startup: Startup
    resident: bool
    today: date
    locale: str | None


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _labels(vocabulary: vocab.Labels, codes: Sequence[str], locale: str | None) -> str:
    return ", ".join(vocab.label(vocabulary, c, locale) for c in codes)


def _deadline(policy: Policy, s: _Subject) -> RuleCheck | None:
    if policy.deadline is None:
        return None
    ok = s.today <= policy.deadline
    return RuleCheck(
        "deadline",
        ok,
        _l("Open until %(day)s.", day=policy.deadline.isoformat())
        if ok
        else _l("The application deadline %(day)s has passed.", day=policy.deadline),
    )


def _shared_codes(
    rule: str,
    wanted: Sequence[str],
    have: Sequence[str],
    vocabulary: vocab.Labels,
    locale: str | None,
    met: Callable[[str], Any],
    unmet: Callable[[str], Any],
) -> RuleCheck | None:
    """A rule met when the startup ``have``s one of the codes the policy ``wanted`` (none
    wanted: no rule); ``met`` words the shared labels, ``unmet`` the wanted ones."""
    if not wanted:
        return None
    shared = [c for c in have if c in wanted]
    return RuleCheck(
        rule,
        bool(shared),
        met(_labels(vocabulary, shared, locale))
        if shared
        else unmet(_labels(vocabulary, wanted, locale)),
    )


def _sectors(policy: Policy, s: _Subject) -> RuleCheck | None:
    return _shared_codes(
        "sectors",
        policy.sectors,
        s.startup.sectors,
        vocab.SECTORS,
        s.locale,
        lambda shared: _l("Sector %(sector)s is supported.", sector=shared),
        lambda wanted: _l("Only for these sectors: %(sectors)s.", sectors=wanted),
    )


def _stages(policy: Policy, s: _Subject) -> RuleCheck | None:
    if not policy.stages:
        return None
    ok = s.startup.stage in policy.stages
    stage = vocab.label(vocab.STAGES, s.startup.stage, s.locale)
    return RuleCheck(
        "stages",
        ok,
        _l("Stage %(stage)s is supported.", stage=stage)
        if ok
        else _l(
            "Only for these stages: %(stages)s (yours: %(stage)s).",
            stages=_labels(vocab.STAGES, policy.stages, s.locale),
            stage=stage,
        ),
    )


def _founder_backgrounds(policy: Policy, s: _Subject) -> RuleCheck | None:
    return _shared_codes(
        "founder_backgrounds",
        policy.founder_backgrounds,
        s.startup.founder_backgrounds,
        vocab.FOUNDER_BACKGROUNDS,
        s.locale,
        lambda shared: _l("Founder background: %(background)s.", background=shared),
        lambda wanted: _l("Only for founders who are: %(backgrounds)s.", backgrounds=wanted),
    )


def _locations(policy: Policy, s: _Subject) -> RuleCheck | None:
    if not policy.locations:
        return None
    # A place keyword matches anywhere in the startup's address ("浦东" in "上海市浦东新区").
    place = (s.startup.location or "").casefold()
    ok = any(p.casefold() in place for p in policy.locations if p)
    return RuleCheck(
        "locations",
        ok,
        _l("Located in %(place)s.", place=s.startup.location)
        if ok
        else _l("Only for companies located in: %(places)s.", places=" / ".join(policy.locations)),
    )


def _company_age(policy: Policy, s: _Subject) -> RuleCheck | None:
    years = policy.max_company_age_years
    if years is None:
        return None
    founded = s.startup.founded_on
    if founded is None:
        return RuleCheck(
            "company_age",
            False,
            lazy_ngettext(
                "Add the founding date to the profile "
                "(the company must be at most %(num)d year old).",
                "Add the founding date to the profile "
                "(the company must be at most %(num)d years old).",
                years,
            ),
        )
    limit = add_years(founded, years)
    ok = s.today <= limit
    values = {"day": founded.isoformat(), "limit": limit.isoformat()}
    return RuleCheck(
        "company_age",
        ok,
        lazy_ngettext(
            "Founded on %(day)s: at most %(num)d year old until %(limit)s.",
            "Founded on %(day)s: at most %(num)d years old until %(limit)s.",
            years,
            **values,
        )
        if ok
        else lazy_ngettext(
            "Founded on %(day)s: older than %(num)d year since %(limit)s.",
            "Founded on %(day)s: older than %(num)d years since %(limit)s.",
            years,
            **values,
        ),
    )


def _team_size(policy: Policy, s: _Subject) -> RuleCheck | None:
    if policy.max_team_size is None:
        return None
    ok = s.startup.team_size <= policy.max_team_size
    values = {"size": s.startup.team_size, "max": policy.max_team_size}
    return RuleCheck(
        "team_size",
        ok,
        _l("Team of %(size)d (at most %(max)d).", **values)
        if ok
        else _l("Team of %(size)d is larger than the limit of %(max)d.", **values),
    )


def _makerspace(policy: Policy, s: _Subject) -> RuleCheck | None:
    if not policy.requires_makerspace:
        return None
    return RuleCheck(
        "makerspace",
        s.resident,
        _l("Hosted in the makerspace.")
        if s.resident
        else _l(
            "Only for companies hosted in a makerspace "
            "(ask an operator to register your residency)."
        ),
    )


# In the order a founder reads them: the deadline first, residency (which an operator records) last.
RULES: tuple[Callable[[Policy, _Subject], RuleCheck | None], ...] = (
    _deadline,
    _sectors,
    _stages,
    _founder_backgrounds,
    _locations,
    _company_age,
    _team_size,
    _makerspace,
)


def check_policy(
    policy: Policy,
    startup: Startup,
    *,
    resident: bool,
    today: date,
    locale: str | None = None,
) -> Eligibility:
    """Every structured rule of ``policy`` checked against ``startup`` on ``today``, with its
    reason; ``resident``: the startup is hosted in the makerspace."""
    subject = _Subject(startup, resident, today, locale)
    checks = [check for rule in RULES if (check := rule(policy, subject)) is not None]
    return Eligibility(policy=policy, checks=checks)
