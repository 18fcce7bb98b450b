"""One policy against every active startup: who is eligible and why, what each near-miss
lacks; and telling the founders of eligible startups when a policy is first published.

The rules and their wording are ``policy_rules.check_policy``'s, so the list, the
startup's own policy page and the notification never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker.models import Notification, Startup
from matchmaker.models.operator import Policy, StartupResidency
from matchmaker.queue import enqueue_after_commit
from matchmaker.services import notifications
from matchmaker.services.operator.policy_center.policies import PolicyLink, get_policy
from matchmaker.services.operator.policy_center.policy_rules import Eligibility, check_policy

# A startup that fails at most this many rules is a near-miss worth telling what it lacks.
NEAR_MISS_RULES = 2
NOTIFICATION_KIND = "operator.policy_eligible"


@dataclass(frozen=True)
class StartupEligibility:
    startup: Startup
    result: Eligibility


@dataclass(frozen=True)
class PolicyEligibilityList:
    policy: Policy
    eligible: list[StartupEligibility]
    near_misses: list[StartupEligibility]
    others: int  # active startups that miss more than NEAR_MISS_RULES rules


def _active_startups(session: Session) -> list[Startup]:
    return list(
        session.scalars(
            sa.select(Startup)
            .options(selectinload(Startup.members))
            .where(Startup.is_active.is_(True))
            .order_by(Startup.name, Startup.id)
        )
    )


def _residents(session: Session) -> set[int]:
    return set(session.scalars(sa.select(StartupResidency.startup_id)))


def check_all(
    session: Session, policy: Policy, *, today: date, locale: str | None
) -> PolicyEligibilityList:
    """Every active startup checked against ``policy`` (two queries, whatever the count)."""
    residents = _residents(session)
    eligible: list[StartupEligibility] = []
    near: list[StartupEligibility] = []
    others = 0
    for startup in _active_startups(session):
        result = check_policy(
            policy, startup, resident=startup.id in residents, today=today, locale=locale
        )
        if result.eligible:
            eligible.append(StartupEligibility(startup, result))
        elif len(result.missing) <= NEAR_MISS_RULES:
            near.append(StartupEligibility(startup, result))
        else:
            others += 1
    near.sort(key=lambda s: (len(s.result.missing), s.startup.name, s.startup.id))
    return PolicyEligibilityList(policy=policy, eligible=eligible, near_misses=near, others=others)


def eligibility_list(
    session: Session, policy_id: int, *, today: date | None = None, locale: str | None = None
) -> PolicyEligibilityList:
    """The operator's list for one policy (published or draft: a draft can be checked first)."""
    policy = get_policy(session, policy_id)
    return check_all(session, policy, today=today or date.today(), locale=locale)


def notify_eligible_founders(
    session: Session, policy: Policy, *, policy_link: PolicyLink, today: date | None = None
) -> list[Notification]:
    """Inside the publishing use case, before its commit: one notification per founder of an
    eligible startup (a founder of two eligible startups hears about each), and one e-mail job
    each, queued to run only once the publication commits."""
    from matchmaker.jobs.mail import send_notification_email

    session.flush()  # a new policy gets its id (for the link)
    checked = check_all(session, policy, today=today or date.today(), locale=None)
    link = policy_link(policy.id)
    rows: list[Notification] = []
    for item in checked.eligible:
        founders = sorted({m.user_id for m in item.startup.members})
        rows += notifications.notify(
            session,
            founders,
            NOTIFICATION_KIND,
            link=link,
            startup=item.startup.name,
            title_en=policy.title_en,
            title_zh=policy.title_zh,
        )
    if rows:
        session.flush()  # ids for the jobs
        for row in rows:
            enqueue_after_commit(session, send_notification_email, row.id)
    return rows
