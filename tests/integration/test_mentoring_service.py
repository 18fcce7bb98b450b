"""The mentoring lifecycle service: every transition, every refusal, every permission."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.models import MatchOutcome, MentorMentee, Notification, utcnow
from matchmaker.models.mentoring import MentorSession, OneOffOpening, SessionReview
from matchmaker.services.errors import Conflict, Forbidden, Invalid, NotFound
from matchmaker.services.mentoring import (
    answering,
    availability,
    queries,
    requesting,
    reviews,
    scheduled,
)
from matchmaker.services.mentoring import sessions as svc
from tests.factories import make_startup
from tests.integration.test_mentoring_support import World, hour_from_now, make_world, put_session

pytestmark = pytest.mark.db


@pytest.fixture
def w(app: Flask, db_session: Session) -> Iterator[World]:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield make_world(db_session)


def _count(session: Session, model: type, *where: object) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _notes(session: Session, user_id: int, kind: str) -> int:
    return _count(session, Notification, Notification.user_id == user_id, Notification.kind == kind)


def _request(session: Session, w: World, **overrides: object) -> MentorSession:
    args: dict[str, object] = {
        "mentor_id": w.mentor.id,
        "startup_id": w.startup.id,
        "topic": "technology",
        "goal": "Review our XRD test plan",
        "slot_starts": w.slots[:2],
    }
    args.update(overrides)
    return requesting.request_session(session, w.founder, **args)  # type: ignore[arg-type]


# --- requesting ---------------------------------------------------------------------------------


def test_request_creates_a_pending_request_and_notifies_the_mentor(db_session, w):
    ms = _request(db_session, w)
    assert ms.status == "requested" and ms.awaiting == "mentor"
    assert sorted(p.starts_at for p in ms.proposals) == w.slots[:2]
    assert ms.expires_at is not None and ms.expires_at > utcnow() + timedelta(hours=71)
    assert _notes(db_session, w.mentor_user.id, "mentoring.requested") == 1


def test_request_waits_the_answer_window_it_is_given(db_session, w):
    ms = _request(db_session, w, ttl_hours=5)
    assert utcnow() + timedelta(hours=4, minutes=59) < ms.expires_at
    assert ms.expires_at < utcnow() + timedelta(hours=5, minutes=1)
    ms = answering.ask_for_info(db_session, w.mentor_user, ms.id, "Budget?", ttl_hours=2)
    assert ms.expires_at < utcnow() + timedelta(hours=2, minutes=1)


@pytest.mark.parametrize(
    ("configured", "hours"), [(None, 72), (5, 5), ("12", 12), (0, 1), ("soon", 72)]
)
def test_request_ttl_hours_reads_the_configured_value(configured, hours):
    assert svc.request_ttl_hours(configured) == hours


def test_notifications_carry_the_link_the_caller_builds(db_session, w):
    ms = _request(db_session, w, link_for=lambda sid: f"https://mm.example/s/{sid}")
    links = db_session.scalars(
        sa.select(Notification.link).where(Notification.kind == "mentoring.requested")
    ).all()
    assert links == [f"https://mm.example/s/{ms.id}"]
    requesting.withdraw_request(db_session, w.founder, ms.id)  # no link given: the plain path
    links = db_session.scalars(
        sa.select(Notification.link).where(Notification.kind == "mentoring.withdrawn")
    ).all()
    assert links == [f"/mentoring/sessions/{ms.id}"]


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"slot_starts": []}, Invalid, "slots"),
        ({"topic": "astrology"}, Invalid, "topic"),
        ({"goal": "  "}, Invalid, "goal"),
        ({"slot_starts": "past"}, Invalid, "slots"),
        ({"slot_starts": "not_offered"}, Invalid, "slots"),
        ({"slot_starts": "four"}, Invalid, "slots"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(db_session, w, change, error, field):
    if change.get("slot_starts") == "past":
        change = {"slot_starts": [utcnow().replace(microsecond=0) - timedelta(hours=3)]}
    elif change.get("slot_starts") == "not_offered":
        change = {"slot_starts": [w.slots[0] + timedelta(minutes=30)]}
    elif change.get("slot_starts") == "four":
        change = {"slot_starts": w.slots[:4]}
    with pytest.raises(error) as info:
        _request(db_session, w, **change)
    assert info.value.field == field
    assert str(info.value.message)
    assert _count(db_session, MentorSession) == 0


def test_past_slot_says_so(db_session, w):
    with pytest.raises(Invalid, match="in the past"):
        _request(db_session, w, slot_starts=[utcnow() - timedelta(hours=1)])
    with pytest.raises(Invalid, match="does not offer"):
        _request(db_session, w, slot_starts=[w.slots[0] + timedelta(minutes=30)])


def test_paused_mentor_receives_no_request(db_session, w):
    w.mentor.accepting_requests = False
    db_session.commit()
    with pytest.raises(Invalid, match="not accepting"):
        _request(db_session, w)
    assert _count(db_session, MentorSession) == 0


def test_mentor_at_capacity_receives_no_request(db_session, w):
    w.mentor.capacity_per_month = 1
    db_session.commit()
    other = make_startup(db_session)
    put_session(db_session, w, "completed", starts=utcnow() - timedelta(minutes=5), startup=other)
    if availability.sessions_in_month(db_session, w.mentor) == 0:  # month just turned
        pytest.skip("the month boundary fell between arrange and act")
    with pytest.raises(Invalid, match="fully booked"):
        _request(db_session, w)


def test_only_a_member_can_request_for_a_startup(db_session, w):
    with pytest.raises(Forbidden):
        requesting.request_session(
            db_session,
            w.stranger,
            mentor_id=w.mentor.id,
            startup_id=w.startup.id,
            topic="technology",
            goal="x",
            slot_starts=w.slots[:1],
        )
    assert _count(db_session, MentorSession) == 0


def test_one_open_request_per_startup_and_mentor(db_session, w):
    _request(db_session, w)
    with pytest.raises(Conflict, match="already has an open request"):
        _request(db_session, w, slot_starts=w.slots[2:3])
    assert _count(db_session, MentorSession) == 1


def test_no_request_to_oneself(db_session, w):
    own = make_startup(db_session, w.mentor_user)
    with pytest.raises(Invalid, match="yourself"):
        requesting.request_session(
            db_session,
            w.mentor_user,
            mentor_id=w.mentor.id,
            startup_id=own.id,
            topic="technology",
            goal="x",
            slot_starts=w.slots[:1],
        )


def test_unknown_mentor_is_not_found(db_session, w):
    with pytest.raises(NotFound):
        _request(db_session, w, mentor_id=99999)


# --- the mentor decides -------------------------------------------------------------------------


def test_accept_a_proposed_slot_schedules_and_records_the_outcome(db_session, w):
    ms = _request(db_session, w)
    ms = answering.accept_request(db_session, w.mentor_user, ms.id, w.slots[1])
    assert ms.status == "scheduled" and ms.starts_at == w.slots[1]
    assert ms.ends_at == w.slots[1] + timedelta(hours=1)
    assert _count(db_session, MatchOutcome, MatchOutcome.outcome == "accepted") == 1
    assert _notes(db_session, w.founder.id, "mentoring.accepted") == 1


def test_accept_one_of_the_mentors_own_slots(db_session, w):
    ms = _request(db_session, w)
    ms = answering.accept_request(db_session, w.mentor_user, ms.id, w.slots[3])
    assert ms.starts_at == w.slots[3]


def test_accept_refuses_times_not_offered_or_past(db_session, w):
    ms = _request(db_session, w)
    with pytest.raises(Invalid, match="does not offer"):
        answering.accept_request(
            db_session, w.mentor_user, ms.id, w.slots[0] + timedelta(minutes=10)
        )
    with pytest.raises(Invalid, match="in the past"):
        answering.accept_request(db_session, w.mentor_user, ms.id, utcnow() - timedelta(hours=2))
    assert db_session.get(MentorSession, ms.id).status == "requested"


def test_accept_refused_when_the_month_is_full(db_session, w):
    ms = _request(db_session, w)
    w.mentor.capacity_per_month = 0
    db_session.commit()
    with pytest.raises(Conflict, match="fully booked"):
        answering.accept_request(db_session, w.mentor_user, ms.id, w.slots[0])


def test_a_slot_is_never_given_twice(db_session, w):
    other = make_startup(db_session, w.founder)
    first = _request(db_session, w, slot_starts=[w.slots[0]])
    second = _request(db_session, w, startup_id=other.id, slot_starts=[w.slots[0]])
    answering.accept_request(db_session, w.mentor_user, first.id, w.slots[0])
    with pytest.raises(Conflict, match="just been taken"):
        answering.accept_request(db_session, w.mentor_user, second.id, w.slots[0])
    assert db_session.get(MentorSession, second.id).status == "requested"


def test_the_database_refuses_two_scheduled_sessions_in_one_slot(db_session, w):
    put_session(db_session, w, "scheduled")
    with pytest.raises(IntegrityError):
        put_session(db_session, w, "scheduled", startup=make_startup(db_session))
    db_session.rollback()
    # A cancelled session does not hold the slot.
    put_session(db_session, w, "cancelled", startup=make_startup(db_session))


def test_decline_with_reason(db_session, w):
    ms = _request(db_session, w)
    with pytest.raises(Invalid):
        answering.decline_request(db_session, w.mentor_user, ms.id, reason="bored")
    ms = answering.decline_request(db_session, w.mentor_user, ms.id, reason="no_time", note="Sorry")
    assert (ms.status, ms.decline_reason, ms.decline_note) == ("declined", "no_time", "Sorry")
    assert _count(db_session, MatchOutcome, MatchOutcome.outcome == "declined") == 1
    assert _notes(db_session, w.founder.id, "mentoring.declined") == 1


def test_propose_other_times_then_founder_picks_one(db_session, w):
    ms = _request(db_session, w, slot_starts=[w.slots[0]])
    ms = answering.propose_times(db_session, w.mentor_user, ms.id, [w.slots[2], w.slots[3]])
    assert ms.awaiting == "founder"
    assert _notes(db_session, w.founder.id, "mentoring.times_proposed") == 1
    with pytest.raises(Invalid, match="mentor proposed"):
        answering.choose_proposed_time(db_session, w.founder, ms.id, w.slots[0])
    ms = answering.choose_proposed_time(db_session, w.founder, ms.id, w.slots[3])
    assert ms.status == "scheduled" and ms.starts_at == w.slots[3]
    assert _notes(db_session, w.mentor_user.id, "mentoring.time_chosen") == 1


def test_propose_refuses_times_not_offered(db_session, w):
    ms = _request(db_session, w)
    with pytest.raises(Invalid):
        answering.propose_times(db_session, w.mentor_user, ms.id, [hour_from_now(500)])


def test_ask_for_information_and_answer(db_session, w):
    ms = _request(db_session, w)
    with pytest.raises(Conflict, match="not asked"):
        answering.answer_info(db_session, w.founder, ms.id, "here")
    with pytest.raises(Invalid):
        answering.ask_for_info(db_session, w.mentor_user, ms.id, "  ")
    ms = answering.ask_for_info(db_session, w.mentor_user, ms.id, "What is your test budget?")
    assert ms.awaiting == "founder"
    ms = answering.answer_info(db_session, w.founder, ms.id, "About 20k CNY.")
    assert (ms.awaiting, ms.info_answer) == ("mentor", "About 20k CNY.")
    assert _notes(db_session, w.mentor_user.id, "mentoring.info_answered") == 1


def test_withdraw(db_session, w):
    ms = _request(db_session, w)
    ms = requesting.withdraw_request(db_session, w.founder, ms.id)
    assert ms.status == "withdrawn"


def test_expire_requests(db_session, w):
    ms = _request(db_session, w)
    fresh = _request(db_session, w, startup_id=make_startup(db_session, w.founder).id)
    later = utcnow() + timedelta(hours=svc.DEFAULT_REQUEST_TTL_HOURS, minutes=5)
    fresh.expires_at = later + timedelta(hours=1)
    db_session.commit()
    with pytest.raises(Conflict, match="expired"):
        answering.accept_request(db_session, w.mentor_user, ms.id, w.slots[0], now=later)
    assert requesting.expire_requests(db_session, now=later) == 1
    assert db_session.get(MentorSession, ms.id).status == "expired"
    assert db_session.get(MentorSession, fresh.id).status == "requested"
    assert _count(db_session, MatchOutcome, MatchOutcome.outcome == "expired") == 1
    assert _notes(db_session, w.founder.id, "mentoring.expired") == 1


# --- scheduled sessions ----------------------------------------------------------------------


def _scheduled(db_session, w, slot_index=0):
    ms = _request(db_session, w)
    return answering.accept_request(db_session, w.mentor_user, ms.id, w.slots[slot_index])


def test_cancel_within_policy(db_session, w):
    ms = _scheduled(db_session, w)
    ms = scheduled.cancel_session(db_session, w.founder, ms.id, note="Travelling")
    assert ms.status == "cancelled"
    assert _notes(db_session, w.mentor_user.id, "mentoring.cancelled") == 1
    # The slot is free again.
    assert any(s.starts_at == w.slots[0] for s in availability.free_slots(db_session, w.mentor))


def test_cancel_too_late_is_refused(db_session, w):
    ms = _scheduled(db_session, w)
    late = ms.starts_at - timedelta(hours=2)
    with pytest.raises(Invalid, match="24 hours"):
        scheduled.cancel_session(db_session, w.mentor_user, ms.id, now=late)
    assert db_session.get(MentorSession, ms.id).status == "scheduled"


def test_reschedule_moves_to_a_new_session(db_session, w):
    ms = _scheduled(db_session, w)
    new = scheduled.reschedule_session(db_session, w.mentor_user, ms.id, w.slots[2])
    assert new.status == "scheduled" and new.starts_at == w.slots[2]
    assert new.rescheduled_from_id == ms.id
    assert db_session.get(MentorSession, ms.id).status == "rescheduled"
    assert _notes(db_session, w.founder.id, "mentoring.rescheduled") == 1


def test_reschedule_refusals(db_session, w):
    ms = _scheduled(db_session, w)
    with pytest.raises(Invalid, match="different"):
        scheduled.reschedule_session(db_session, w.founder, ms.id, w.slots[0])
    with pytest.raises(Invalid, match="does not offer"):
        scheduled.reschedule_session(db_session, w.founder, ms.id, hour_from_now(300))
    with pytest.raises(Invalid, match="24 hours"):
        scheduled.reschedule_session(
            db_session, w.founder, ms.id, w.slots[2], now=ms.starts_at - timedelta(hours=1)
        )


def test_complete_then_both_review(db_session, w):
    ms = _scheduled(db_session, w)
    with pytest.raises(Invalid, match="not ended"):
        scheduled.complete_session(db_session, w.founder, ms.id)
    after = ms.ends_at + timedelta(minutes=1)
    ms = scheduled.complete_session(db_session, w.mentor_user, ms.id, now=after)
    assert ms.status == "completed"
    assert db_session.get(MentorMentee, (w.mentor.id, w.startup.id)) is not None
    outcome = db_session.get(MatchOutcome, ms.outcome_id)
    assert outcome.outcome == "completed" and outcome.rating is None
    with pytest.raises(Invalid):
        reviews.review_session(db_session, w.founder, ms.id, rating=6)
    reviews.review_session(
        db_session, w.founder, ms.id, rating=4, notes="private", wants_follow_up=True
    )
    assert db_session.get(MatchOutcome, ms.outcome_id).rating == 4
    assert _notes(db_session, w.mentor_user.id, "mentoring.follow_up_wanted") == 1
    with pytest.raises(Conflict, match="already reviewed"):
        reviews.review_session(db_session, w.founder, ms.id, rating=5)
    reviews.review_session(
        db_session, w.mentor_user, ms.id, rating=5, follow_up_actions="Send deck"
    )
    assert _count(db_session, SessionReview) == 2
    # The mentor's review does not change the founder's rating of the match.
    assert db_session.get(MatchOutcome, ms.outcome_id).rating == 4


def test_no_show(db_session, w):
    ms = _scheduled(db_session, w)
    with pytest.raises(Invalid, match="not started"):
        scheduled.mark_no_show(db_session, w.mentor_user, ms.id)
    ms = scheduled.mark_no_show(
        db_session, w.mentor_user, ms.id, now=ms.starts_at + timedelta(minutes=20)
    )
    assert ms.status == "no_show"
    assert _count(db_session, MatchOutcome, MatchOutcome.outcome == "no_show") == 1


# --- every illegal transition ---------------------------------------------------------------------

ALL = [
    "requested",
    "scheduled",
    "declined",
    "expired",
    "withdrawn",
    "completed",
    "no_show",
    "cancelled",
    "rescheduled",
]


def _act(action, db_session, w, ms):
    mentor, founder, slot = w.mentor_user, w.founder, w.slots[1]
    far = {"now": ms.ends_at + timedelta(hours=1)} if ms.ends_at else {}
    return {
        "accept": lambda: answering.accept_request(db_session, mentor, ms.id, slot),
        "decline": lambda: answering.decline_request(db_session, mentor, ms.id, reason="no_time"),
        "propose": lambda: answering.propose_times(db_session, mentor, ms.id, [slot]),
        "ask": lambda: answering.ask_for_info(db_session, mentor, ms.id, "?"),
        "choose": lambda: answering.choose_proposed_time(db_session, founder, ms.id, slot),
        "withdraw": lambda: requesting.withdraw_request(db_session, founder, ms.id),
        "cancel": lambda: scheduled.cancel_session(db_session, founder, ms.id),
        "reschedule": lambda: scheduled.reschedule_session(db_session, founder, ms.id, w.slots[2]),
        "complete": lambda: scheduled.complete_session(db_session, founder, ms.id, **far),
        "no_show": lambda: scheduled.mark_no_show(db_session, founder, ms.id, **far),
        "review": lambda: reviews.review_session(db_session, founder, ms.id, rating=3),
    }[action]()


ALLOWED_FROM = {
    "accept": {"requested"},
    "decline": {"requested"},
    "propose": {"requested"},
    "ask": {"requested"},
    "withdraw": {"requested"},
    "cancel": {"scheduled"},
    "reschedule": {"scheduled"},
    "complete": {"scheduled"},
    "no_show": {"scheduled"},
    "review": {"completed"},
}
ILLEGAL = [(a, s) for a, allowed in ALLOWED_FROM.items() for s in ALL if s not in allowed]


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_illegal_transitions_are_refused(db_session, w, action, status):
    ms = put_session(db_session, w, status)
    with pytest.raises(Conflict) as info:
        _act(action, db_session, w, ms)
    assert "cannot" in str(info.value.message) or "expired" in str(info.value.message)
    db_session.rollback()
    assert db_session.get(MentorSession, ms.id).status == status
    assert _count(db_session, MentorSession) == 1


def test_transition_table_is_the_lifecycle():
    assert {
        "requested": {"scheduled", "declined", "expired", "withdrawn"},
        "scheduled": {"completed", "no_show", "cancelled", "rescheduled"},
    } == svc.TRANSITIONS


# --- permissions --------------------------------------------------------------------------------

MENTOR_ONLY = ["accept", "decline", "propose", "ask"]
FOUNDER_ONLY = ["choose", "withdraw"]


@pytest.mark.parametrize("action", MENTOR_ONLY + FOUNDER_ONLY)
def test_strangers_cannot_act_on_a_request(db_session, w, action):
    ms = put_session(db_session, w, "requested", awaiting="founder")
    mentor_user, founder = w.mentor_user, w.founder
    w.mentor_user = w.founder = w.stranger
    with pytest.raises(Forbidden):
        _act(action, db_session, w, ms)
    w.mentor_user, w.founder = mentor_user, founder
    assert db_session.get(MentorSession, ms.id).status == "requested"


@pytest.mark.parametrize("action", MENTOR_ONLY)
def test_founders_cannot_take_the_mentors_actions(db_session, w, action):
    ms = put_session(db_session, w, "requested")
    w.mentor_user = w.founder
    with pytest.raises(Forbidden):
        _act(action, db_session, w, ms)


@pytest.mark.parametrize("action", FOUNDER_ONLY)
def test_mentors_cannot_take_the_founders_actions(db_session, w, action):
    ms = put_session(db_session, w, "requested")
    w.founder = w.mentor_user
    with pytest.raises(Forbidden):
        _act(action, db_session, w, ms)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("cancel", "scheduled"),
        ("reschedule", "scheduled"),
        ("complete", "scheduled"),
        ("no_show", "scheduled"),
        ("review", "completed"),
    ],
)
def test_strangers_cannot_act_on_a_session(db_session, w, action, status):
    ms = put_session(db_session, w, status)
    w.founder = w.stranger
    with pytest.raises(Forbidden):
        _act(action, db_session, w, ms)
    assert db_session.get(MentorSession, ms.id).status == status


def test_strangers_cannot_see_a_session(db_session, w):
    ms = put_session(db_session, w, "requested")
    with pytest.raises(NotFound):
        queries.session_view(db_session, w.stranger, ms.id)
    assert queries.session_view(db_session, w.founder, ms.id).side == "founder"
    assert queries.session_view(db_session, w.mentor_user, ms.id).side == "mentor"


def test_pending_counts(db_session, w):
    ms = _request(db_session, w)
    assert queries.pending_counts(db_session, w.mentor_user)["mentor_pending"] == 1
    answering.ask_for_info(db_session, w.mentor_user, ms.id, "?")
    assert queries.pending_counts(db_session, w.founder)["founder_waiting"] == 1


def test_postgresql_refuses_overlapping_scheduled_sessions(db_session, w, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the exclusion constraint is PostgreSQL's (SQLite serialises with begin_write)")
    put_session(db_session, w, "scheduled", starts=w.slots[0])
    with pytest.raises(IntegrityError):
        put_session(
            db_session,
            w,
            "scheduled",
            starts=w.slots[0] + timedelta(minutes=30),
            startup=make_startup(db_session),
        )


def test_mentor_may_accept_a_proposed_time_no_longer_in_their_availability(db_session, w):
    ms = _request(db_session, w, slot_starts=[w.slots[0]])
    db_session.execute(sa.delete(OneOffOpening).where(OneOffOpening.starts_at == w.slots[0]))
    db_session.commit()
    ms = answering.accept_request(db_session, w.mentor_user, ms.id, w.slots[0])
    assert ms.status == "scheduled" and ms.starts_at == w.slots[0]
