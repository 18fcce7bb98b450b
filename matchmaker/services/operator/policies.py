"""The policy center: publishing support measures and telling each startup, rule by rule,
which ones it is eligible for and what is missing for the others.

Rules are structured (sectors, stages, founder backgrounds, place, company age, team size,
being hosted in the makerspace, deadline); an empty rule is no condition. Where a measure's
conditions live only in its text, TF-IDF relevance between the startup and the policy text (the
engine's lexical leg) orders the list and names the shared terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Startup, User, utcnow
from matchmaker.models.operator import POLICY_KINDS, Policy, StartupResidency
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound

MAX_MONEY = Decimal("100000000000000")

POLICY_FIELDS = (
    "kind", "title_en", "title_zh", "issuer_en", "issuer_zh", "document_number", "summary_en",
    "summary_zh", "full_text_en", "full_text_zh", "sectors", "stages", "founder_backgrounds",
    "locations", "max_company_age_years", "max_team_size", "requires_makerspace",
    "benefit_amount", "benefit_currency", "deadline", "chain_services",
)  # fmt: skip

POLICY_KIND_LABELS: vocab.Labels = {
    "subsidy": ("Subsidy", "补助"),
    "loan": ("Loan", "贷款"),
    "tax": ("Tax incentive", "税收优惠"),
    "voucher": ("Innovation voucher", "创新券"),
    "equity": ("Equity investment", "股权投资"),
    "talent": ("Talent and personnel", "人才与人事"),
    "award": ("Award", "奖励"),
    "other": ("Other", "其他"),
}


def require_operator(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_operator):
        raise Forbidden(_l("Only operators can do this."))


# --- eligibility ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleCheck:
    """One rule of one policy against one startup; ``message`` is lazy-translated."""

    rule: str
    ok: bool
    message: Any


@dataclass
class Eligibility:
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


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _labels(vocabulary: vocab.Labels, codes: Sequence[str], locale: str | None) -> str:
    return ", ".join(vocab.label(vocabulary, c, locale) for c in codes)


def check_policy(
    policy: Policy,
    startup: Startup,
    *,
    resident: bool,
    today: date,
    locale: str | None = None,
) -> Eligibility:
    """Every structured rule of ``policy`` checked against ``startup``, with its reason.

    Company age: eligible up to and including the day the company turns the maximum age
    ("成立不超过3年": founded no more than N years ago). Team size and deadline are inclusive too.
    """
    out = Eligibility(policy=policy)
    add = out.checks.append
    if policy.deadline is not None:
        ok = today <= policy.deadline
        add(
            RuleCheck(
                "deadline",
                ok,
                _l("Open until %(day)s.", day=policy.deadline.isoformat())
                if ok
                else _l("The application deadline %(day)s has passed.", day=policy.deadline),
            )
        )
    if policy.sectors:
        shared = [s for s in startup.sectors if s in policy.sectors]
        wanted = _labels(vocab.SECTORS, policy.sectors, locale)
        add(
            RuleCheck(
                "sectors",
                bool(shared),
                _l("Sector %(sector)s is supported.", sector=_labels(vocab.SECTORS, shared, locale))
                if shared
                else _l("Only for these sectors: %(sectors)s.", sectors=wanted),
            )
        )
    if policy.stages:
        ok = startup.stage in policy.stages
        stage = vocab.label(vocab.STAGES, startup.stage, locale)
        add(
            RuleCheck(
                "stages",
                ok,
                _l("Stage %(stage)s is supported.", stage=stage)
                if ok
                else _l(
                    "Only for these stages: %(stages)s (yours: %(stage)s).",
                    stages=_labels(vocab.STAGES, policy.stages, locale),
                    stage=stage,
                ),
            )
        )
    if policy.founder_backgrounds:
        shared = [b for b in startup.founder_backgrounds if b in policy.founder_backgrounds]
        add(
            RuleCheck(
                "founder_backgrounds",
                bool(shared),
                _l(
                    "Founder background: %(background)s.",
                    background=_labels(vocab.FOUNDER_BACKGROUNDS, shared, locale),
                )
                if shared
                else _l(
                    "Only for founders who are: %(backgrounds)s.",
                    backgrounds=_labels(
                        vocab.FOUNDER_BACKGROUNDS, policy.founder_backgrounds, locale
                    ),
                ),
            )
        )
    if policy.locations:
        place = (startup.location or "").casefold()
        ok = any(p.casefold() in place for p in policy.locations if p)
        add(
            RuleCheck(
                "locations",
                ok,
                _l("Located in %(place)s.", place=startup.location)
                if ok
                else _l(
                    "Only for companies located in: %(places)s.",
                    places=" / ".join(policy.locations),
                ),
            )
        )
    if policy.max_company_age_years is not None:
        years = policy.max_company_age_years
        if startup.founded_on is None:
            add(
                RuleCheck(
                    "company_age",
                    False,
                    _l(
                        "Add the founding date to the profile "
                        "(the company must be at most %(n)d years old).",
                        n=years,
                    ),
                )
            )
        else:
            limit = add_years(startup.founded_on, years)
            ok = today <= limit
            add(
                RuleCheck(
                    "company_age",
                    ok,
                    _l(
                        "Founded on %(day)s: at most %(n)d years old until %(limit)s.",
                        day=startup.founded_on.isoformat(),
                        n=years,
                        limit=limit.isoformat(),
                    )
                    if ok
                    else _l(
                        "Founded on %(day)s: older than %(n)d years since %(limit)s.",
                        day=startup.founded_on.isoformat(),
                        n=years,
                        limit=limit.isoformat(),
                    ),
                )
            )
    if policy.max_team_size is not None:
        ok = startup.team_size <= policy.max_team_size
        add(
            RuleCheck(
                "team_size",
                ok,
                _l(
                    "Team of %(size)d (at most %(max)d).",
                    size=startup.team_size,
                    max=policy.max_team_size,
                )
                if ok
                else _l(
                    "Team of %(size)d is larger than the limit of %(max)d.",
                    size=startup.team_size,
                    max=policy.max_team_size,
                ),
            )
        )
    if policy.requires_makerspace:
        add(
            RuleCheck(
                "makerspace",
                resident,
                _l("Hosted in the makerspace.")
                if resident
                else _l(
                    "Only for companies hosted in a makerspace "
                    "(ask an operator to register your residency)."
                ),
            )
        )
    return out


def is_resident(session: Session, startup_id: int) -> bool:
    return session.get(StartupResidency, startup_id) is not None


def published_policies(session: Session) -> list[Policy]:
    return list(
        session.scalars(
            sa.select(Policy)
            .where(Policy.is_published.is_(True))
            .order_by(Policy.published_at.desc(), Policy.id.desc())
        )
    )


def startup_text(startup: Startup) -> str:
    needs = " ".join(
        f"{vocab.CHAIN_SERVICES[s][0]} {vocab.CHAIN_SERVICES[s][1]}"
        for s in startup.services_needed
        if s in vocab.CHAIN_SERVICES
    )
    sectors = " ".join(
        f"{vocab.SECTORS[s][0]} {vocab.SECTORS[s][1]}"
        for s in startup.sectors
        if s in vocab.SECTORS
    )
    return " ".join(
        [
            startup.name,
            startup.one_liner,
            startup.description,
            startup.funding_need_note,
            needs,
            sectors,
        ]
    )


def policy_text(policy: Policy) -> str:
    return " ".join(
        [
            policy.title_en,
            policy.title_zh,
            policy.summary_en,
            policy.summary_zh,
            policy.full_text_en,
            policy.full_text_zh,
        ]
    )


def _relevance(startup: Startup, policies: Sequence[Policy]) -> dict[int, tuple[float, list[str]]]:
    """TF-IDF cosine of the startup's text to each policy text, with the shared terms."""
    if not policies:
        return {}
    from matchmaker.recommend.lexical import LexicalIndex

    index = LexicalIndex()
    texts = [policy_text(p) for p in policies]
    index.fit([p.id for p in policies], texts)
    query = startup_text(startup)
    scores = index.scores(query)
    return {
        # single characters ("原", "带") are matches, not evidence a reader can use
        p.id: (
            float(scores.get(p.id, 0.0)),
            [t for t in index.matched_terms(query, text, limit=8) if len(t) > 1][:4],
        )
        for p, text in zip(policies, texts, strict=True)
    }


def eligibility_for(
    session: Session,
    startup: Startup,
    *,
    today: date | None = None,
    locale: str | None = None,
    policies: Sequence[Policy] | None = None,
) -> list[Eligibility]:
    """Every published policy checked against ``startup``: eligible ones first, then by
    fewest missing rules, then by text relevance."""
    today = today or date.today()
    policies = list(policies) if policies is not None else published_policies(session)
    resident = is_resident(session, startup.id)
    relevance = _relevance(startup, policies)
    results = []
    for policy in policies:
        result = check_policy(policy, startup, resident=resident, today=today, locale=locale)
        result.relevance, result.matched_terms = relevance.get(policy.id, (0.0, []))
        results.append(result)
    results.sort(key=lambda r: (not r.eligible, len(r.missing), -r.relevance, r.policy.id))
    return results


# --- publishing ---------------------------------------------------------------------------


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    data = {k: values[k] for k in POLICY_FIELDS if k in values}
    for key, value in list(data.items()):
        if isinstance(value, str):
            data[key] = value.strip()
    for key in ("title_en", "title_zh"):
        if key in data and not data[key]:
            raise Invalid(_l("This field is required."), field=key)
    if "kind" in data and data["kind"] not in POLICY_KINDS:
        raise Invalid(_l("Choose a value from the list."), field="kind")
    for key, vocabulary in (
        ("sectors", vocab.SECTORS),
        ("stages", vocab.STAGES),
        ("founder_backgrounds", vocab.FOUNDER_BACKGROUNDS),
        ("chain_services", vocab.CHAIN_SERVICES),
    ):
        if key in data:
            codes = list(dict.fromkeys(data[key] or []))
            if any(c not in vocabulary for c in codes):
                raise Invalid(_l("Choose values from the list."), field=key)
            data[key] = codes
    if "locations" in data:
        places = data["locations"]
        if isinstance(places, str):
            places = places.replace("，", ",").replace("、", ",").split(",")
        places = [p.strip() for p in places or [] if p and p.strip()]
        if any("|" in p for p in places):
            raise Invalid(_l("A place cannot contain the character |."), field="locations")
        data["locations"] = places
    for key, low in (("max_company_age_years", 0), ("max_team_size", 1)):
        if key in data and data[key] not in (None, ""):
            try:
                number = int(data[key])
            except (TypeError, ValueError):
                raise Invalid(_l("Enter a whole number."), field=key) from None
            if number < low or number > 100000:
                raise Invalid(_l("Enter a number of at least %(n)d.", n=low), field=key)
            data[key] = number
        elif key in data:
            data[key] = None
    if "benefit_amount" in data and data["benefit_amount"] not in (None, ""):
        try:
            amount = Decimal(str(data["benefit_amount"]))
        except InvalidOperation:
            raise Invalid(_l("Enter an amount."), field="benefit_amount") from None
        if amount < 0 or amount >= MAX_MONEY:
            raise Invalid(_l("Enter an amount between 0 and 10^14."), field="benefit_amount")
        data["benefit_amount"] = amount
    elif "benefit_amount" in data:
        data["benefit_amount"] = None
    if "benefit_currency" in data and data["benefit_currency"] not in vocab.CURRENCIES:
        raise Invalid(_l("Choose a value from the list."), field="benefit_currency")
    if "requires_makerspace" in data:
        data["requires_makerspace"] = bool(data["requires_makerspace"])
    if data.get("deadline") == "":
        data["deadline"] = None
    return data


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(_l("This change conflicts with existing data.")) from exc


def get_policy(session: Session, policy_id: int, *, published_only: bool = False) -> Policy:
    policy = session.get(Policy, policy_id)
    if policy is None or (published_only and not policy.is_published):
        raise NotFound(_l("No such policy."))
    return policy


def all_policies(session: Session) -> list[Policy]:
    return list(session.scalars(sa.select(Policy).order_by(Policy.id.desc())))


def save_policy(
    session: Session,
    actor: User,
    values: Mapping[str, Any],
    *,
    policy_id: int | None = None,
    publish: bool | None = None,
) -> Policy:
    """Create (or, with ``policy_id``, edit) a policy; ``publish`` sets whether it is public."""
    require_operator(actor)
    data = _clean(values)
    if policy_id is None:
        for key in ("title_en", "title_zh"):
            if key not in data:
                raise Invalid(_l("This field is required."), field=key)
        policy = Policy(created_by_id=actor.id, **data)
        session.add(policy)
    else:
        policy = get_policy(session, policy_id)
        for key, value in data.items():
            setattr(policy, key, value)
    if publish is not None:
        _set_published(session, policy, publish)
    _commit(session)
    return policy


def _set_published(session: Session, policy: Policy, publish: bool) -> None:
    # Founders hear of a policy once: when it is first published, not when it is re-published.
    first_publication = publish and policy.published_at is None
    if publish and not policy.is_published:
        policy.published_at = utcnow()
    policy.is_published = publish
    if first_publication:
        from matchmaker.services.operator.policy_eligibility import notify_eligible_founders

        notify_eligible_founders(session, policy)


def set_published(session: Session, actor: User, policy_id: int, publish: bool) -> Policy:
    require_operator(actor)
    policy = get_policy(session, policy_id)
    _set_published(session, policy, publish)
    _commit(session)
    return policy


def set_residency(
    session: Session, actor: User, startup_id: int, resident: bool, since: date | None = None
) -> None:
    """Record (or end) that a startup is hosted in the makerspace."""
    require_operator(actor)
    if session.get(Startup, startup_id) is None:
        raise NotFound(_l("No such startup."))
    row = session.get(StartupResidency, startup_id)
    if resident and row is None:
        session.add(StartupResidency(startup_id=startup_id, since=since or date.today()))
    elif not resident and row is not None:
        session.delete(row)
    _commit(session)


# --- recording support: checks before saving --------------------------------------------------


@dataclass(frozen=True)
class SupportWarning:
    """Why a support record looks wrong: ``duplicate``, ``not_eligible`` or ``over_cap``."""

    code: str
    message: Any


class SupportNeedsReason(Invalid):
    """The record breaks a check: it is saved only with the operator's reason."""

    def __init__(self, warnings: Sequence[SupportWarning]) -> None:
        super().__init__(
            _l("Check the warnings: give a reason to record this support anyway."),
            field="override_reason",
        )
        self.warnings = list(warnings)


def support_warnings(
    session: Session,
    *,
    startup: Startup,
    policy: Policy | None,
    amount: Decimal | None,
    granted_on: date,
    locale: str | None = None,
) -> list[SupportWarning]:
    """What is wrong with recording this support, checked before anything is saved: the same
    policy already recorded for the startup, a rule of the policy the startup does not meet
    (on the day it was granted; the application deadline is not one: grants come after it),
    and the policy's cap passed by this amount plus what was already granted under it."""
    from matchmaker.models.operator import SupportRecord

    if policy is None:
        return []
    out: list[SupportWarning] = []
    earlier = session.execute(
        sa.select(SupportRecord.granted_on, SupportRecord.amount, SupportRecord.currency).where(
            SupportRecord.startup_id == startup.id, SupportRecord.policy_id == policy.id
        )
    ).all()
    title = policy.title(locale)
    if earlier:
        out.append(
            SupportWarning(
                "duplicate",
                _l(
                    "%(startup)s already received support under “%(policy)s” (%(day)s).",
                    startup=startup.name,
                    policy=title,
                    day=", ".join(sorted(r.granted_on.isoformat() for r in earlier)),
                ),
            )
        )
    eligibility = check_policy(
        policy, startup, resident=is_resident(session, startup.id), today=granted_on, locale=locale
    )
    for check in eligibility.missing:
        if check.rule == "deadline":
            continue
        out.append(
            SupportWarning(
                "not_eligible",
                _l("Not eligible for “%(policy)s”: %(why)s", policy=title, why=check.message),
            )
        )
    if amount is not None and policy.benefit_amount is not None:
        before = sum(
            (r.amount for r in earlier if r.amount is not None and r.currency == "CNY"),
            Decimal(0),
        )
        if policy.benefit_currency == "CNY" and before + amount > policy.benefit_amount:
            out.append(
                SupportWarning(
                    "over_cap",
                    _l(
                        "%(total)s yuan would pass the cap of %(cap)s yuan of “%(policy)s” "
                        "(%(before)s yuan granted before).",
                        total=f"{before + amount:,.2f}",
                        cap=f"{policy.benefit_amount:,.2f}",
                        policy=title,
                        before=f"{before:,.2f}",
                    ),
                )
            )
    return out


def record_checked_support(
    session: Session,
    actor: User,
    *,
    startup_id: int,
    kind: str,
    granted_on: date,
    amount: Decimal | None = None,
    policy_id: int | None = None,
    description: str = "",
    note: str = "",
    override_reason: str = "",
    locale: str | None = None,
) -> Any:
    """Record support (it is published at once) after the duplicate, eligibility and cap checks.

    With a warning and no reason nothing is saved (``SupportNeedsReason`` lists the warnings);
    with a reason the record is saved and the reason kept in its internal note. The startup's
    row is locked first, so two operators recording for one startup are checked one after the
    other (SQLite: ``begin_write``).
    """
    # disclosure imports this module (require_operator): import its use case when needed.
    from matchmaker.database import begin_write
    from matchmaker.services.operator import disclosure

    require_operator(actor)
    begin_write(session)
    startup = session.scalar(
        sa.select(Startup).where(Startup.id == startup_id).with_for_update(of=Startup)
    )
    if startup is None:
        session.rollback()
        raise NotFound(_l("No such startup."))
    policy = session.get(Policy, policy_id) if policy_id else None
    warnings = support_warnings(
        session,
        startup=startup,
        policy=policy,
        amount=amount,
        granted_on=granted_on,
        locale=locale,
    )
    reason = (override_reason or "").strip()
    if warnings and not reason:
        session.rollback()
        raise SupportNeedsReason(warnings)
    if warnings:
        listed = "; ".join(str(w.message) for w in warnings)
        note = f"{note.strip()}\n[{listed}] {reason}".strip()
    return disclosure.record_support(
        session,
        actor,
        startup_id=startup_id,
        kind=kind,
        granted_on=granted_on,
        amount=amount,
        policy_id=policy_id,
        description=description,
        note=note,
    )
