"""The policy center: publishing support measures, the makerspace residency they may require,
and the list of published measures a startup reads, eligible ones first.

The rules themselves are checked in ``policy_rules``. Where a measure's conditions live only in
its text, TF-IDF relevance between the startup and the policy text (the engine's lexical leg)
orders the list and names the shared terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, with_expression
from sqlalchemy.orm.interfaces import ORMOption

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Startup, User, utcnow
from matchmaker.models.operator import POLICY_KINDS, Policy, StartupResidency
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.operator.policy_center.policy_rules import Eligibility, check_policy
from matchmaker.services.transactions import commit

if TYPE_CHECKING:
    from matchmaker.recommend.lexical import LexicalIndex

MAX_MONEY = Decimal("100000000000000")

# The link of a policy's public page from its id, built by the caller (a view: ``url_for``):
# the notification of its first publication points there.
PolicyLink = Callable[[int], str]

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
    """Refuse (``Forbidden``) anyone but a signed-in operator."""
    if not (getattr(actor, "is_authenticated", False) and actor.is_operator):
        raise Forbidden(_l("Only operators can do this."))


@cache
def with_residency() -> ORMOption:
    """The loader option that fills ``Startup.resident`` in the statement loading startups.
    Built once: building it cost a pathway request 0.15 ms."""
    return with_expression(
        Startup.resident, sa.exists().where(StartupResidency.startup_id == Startup.id)
    )


def is_resident(session: Session, startup: Startup) -> bool:
    """Whether an operator recorded the startup as hosted in the makerspace: as read with the
    startup (``with_residency``) unless a commit since expired it, else one statement."""
    known = sa.inspect(startup).dict.get("resident")
    if known is not None:
        return bool(known)
    return session.get(StartupResidency, startup.id) is not None


def published_policies(session: Session) -> list[Policy]:
    """Policies in the public policy center, newest publication first."""
    return list(
        session.scalars(
            sa.select(Policy)
            .where(Policy.is_published.is_(True))
            .order_by(Policy.published_at.desc(), Policy.id.desc())
        )
    )


def startup_text(startup: Startup) -> str:
    """What a startup says about itself and needs, in both languages' labels: the query
    matched against policy texts."""
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
    """A policy's titles, summaries and full texts in both languages, for text relevance."""
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


@lru_cache(maxsize=8)
def _policy_index(policies: tuple[tuple[int, str], ...]) -> LexicalIndex:
    """The TF-IDF index of these (id, text) policies, fitted once per process for as long as
    their texts stay the same: every pathway and policy page reads the same published policies,
    and fitting is most of what ranking them costs. The key is the texts themselves, so an edit
    is a new key (never a stale answer)."""
    from matchmaker.recommend.lexical import LexicalIndex

    index = LexicalIndex()
    index.fit([policy_id for policy_id, _ in policies], [text for _, text in policies])
    return index


def _relevance(startup: Startup, policies: Sequence[Policy]) -> dict[int, tuple[float, list[str]]]:
    """TF-IDF cosine of the startup's text to each policy text, with the shared terms."""
    if not policies:
        return {}
    texts = [policy_text(p) for p in policies]
    index = _policy_index(tuple(zip((p.id for p in policies), texts, strict=True)))
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
    resident: bool | None = None,
) -> list[Eligibility]:
    """Every published policy checked against ``startup``: eligible ones first, then by
    fewest missing rules, then by text relevance. ``resident``: ``is_resident``, if the
    caller has read it already."""
    today = today or date.today()
    policies = list(policies) if policies is not None else published_policies(session)
    if resident is None:
        resident = is_resident(session, startup)
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


def get_policy(session: Session, policy_id: int, *, published_only: bool = False) -> Policy:
    """A policy by id; ``published_only`` hides drafts (``NotFound``, as for an unknown id)."""
    policy = session.get(Policy, policy_id)
    if policy is None or (published_only and not policy.is_published):
        raise NotFound(_l("No such policy."))
    return policy


def all_policies(session: Session) -> list[Policy]:
    """Every policy, drafts included, newest first (the operators' list)."""
    return list(session.scalars(sa.select(Policy).order_by(Policy.id.desc())))


def save_policy(
    session: Session,
    actor: User,
    values: Mapping[str, Any],
    *,
    policy_id: int | None = None,
    publish: bool | None = None,
    policy_link: PolicyLink,
) -> Policy:
    """Create (or, with ``policy_id``, edit) a policy; ``publish`` sets whether it is public
    (its first publication notifies eligible founders, with a link made by ``policy_link``)."""
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
        _set_published(session, policy, publish, policy_link)
    commit(session)
    return policy


def _set_published(
    session: Session, policy: Policy, publish: bool, policy_link: PolicyLink
) -> None:
    # Founders hear of a policy once: when it is first published, not when it is re-published.
    first_publication = publish and policy.published_at is None
    if publish and not policy.is_published:
        policy.published_at = utcnow()
    policy.is_published = publish
    if first_publication:
        from matchmaker.services.operator.policy_center.policy_eligibility import (
            notify_eligible_founders,
        )

        notify_eligible_founders(session, policy, policy_link=policy_link)


def set_published(
    session: Session, actor: User, policy_id: int, publish: bool, *, policy_link: PolicyLink
) -> Policy:
    """Publish or withdraw a policy; its first publication notifies eligible founders (with a
    link made by ``policy_link``)."""
    require_operator(actor)
    policy = get_policy(session, policy_id)
    _set_published(session, policy, publish, policy_link)
    commit(session)
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
    commit(session)
