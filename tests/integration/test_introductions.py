"""Double opt-in introductions: contacts are shared only once both sides accepted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import MatchOutcome, Notification
from matchmaker.services.errors import Conflict, Invalid, NotFound
from matchmaker.services.funding import introductions
from tests.factories import make_investor, make_startup, make_user


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.test_request_context():
        yield db.session


def _sides(db_session: Session):  # type: ignore[no-untyped-def]
    founder = make_user(
        db_session,
        "founder",
        email="founder@sparkcell.cn",
        phone="+86 138 0000 1111",
        wechat_id="spark_founder",
        share_phone=True,
        share_wechat=True,
    )
    partner = make_user(
        db_session,
        "investor",
        email="partner@fund.cn",
        phone="+86 139 2222 3333",
        wechat_id="fund_partner",
        share_phone=True,
        share_wechat=True,
    )
    startup = make_startup(db_session, founder)
    fund = make_investor(db_session, partner)
    ids = (startup.id, fund.id)
    db_session.rollback()
    return founder, partner, *ids


def test_investor_requests_founder_accepts_then_contacts_show(
    session: Session, db_session: Session
) -> None:
    founder, partner, startup_id, fund_id = _sides(db_session)
    intro = introductions.request_introduction(
        session, partner, startup_id=startup_id, investor_id=fund_id, side="investor"
    )
    for user in (founder, partner):
        [view] = introductions.introductions_for(session, user)
        assert view.contacts == []
    [view] = introductions.introductions_for(session, founder)
    assert view.can_accept
    [view] = introductions.introductions_for(session, partner)
    assert not view.can_accept  # already accepted for the fund's side
    with pytest.raises(Conflict):
        introductions.accept_introduction(session, partner, intro.id)

    introductions.accept_introduction(session, founder, intro.id)
    [founder_view] = introductions.introductions_for(session, founder)
    [partner_view] = introductions.introductions_for(session, partner)
    assert [c.email for c in founder_view.contacts] == ["partner@fund.cn"]
    assert founder_view.contacts[0].wechat_id == "fund_partner"
    assert [c.phone for c in partner_view.contacts] == ["+86 138 0000 1111"]
    db_session.rollback()
    assert db_session.scalar(sa.select(MatchOutcome.outcome)) == "introduced"
    kinds = db_session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == partner.id)
    ).all()
    assert "funding.intro_accepted" in kinds


def test_each_channel_needs_its_own_consent(session: Session, db_session: Session) -> None:
    """Accepted, but the partner withdrew consent for the phone: only e-mail and WeChat go."""
    founder, partner, startup_id, fund_id = _sides(db_session)
    db_session.execute(
        sa.update(type(partner)).where(type(partner).id == partner.id).values(share_phone=False)
    )
    db_session.execute(
        sa.update(type(founder)).where(type(founder).id == founder.id).values(share_wechat=False)
    )
    db_session.commit()
    intro = introductions.request_introduction(
        session, partner, startup_id=startup_id, investor_id=fund_id, side="investor"
    )
    introductions.accept_introduction(session, founder, intro.id)
    [founder_view] = introductions.introductions_for(session, founder)
    [partner_view] = introductions.introductions_for(session, partner)
    [theirs] = founder_view.contacts
    assert (theirs.email, theirs.phone, theirs.wechat_id) == ("partner@fund.cn", "", "fund_partner")
    [ours] = partner_view.contacts
    assert (ours.phone, ours.wechat_id) == ("+86 138 0000 1111", "")


def test_founder_requests_and_a_second_request_from_the_other_side_accepts(
    session: Session, db_session: Session
) -> None:
    founder, partner, startup_id, fund_id = _sides(db_session)
    introductions.request_introduction(
        session, founder, startup_id=startup_id, investor_id=fund_id, side="startup"
    )
    with pytest.raises(Conflict):
        introductions.request_introduction(
            session, founder, startup_id=startup_id, investor_id=fund_id, side="startup"
        )
    intro = introductions.request_introduction(
        session, partner, startup_id=startup_id, investor_id=fund_id, side="investor"
    )
    assert intro.status == "accepted"


def test_decline_keeps_contacts_hidden(session: Session, db_session: Session) -> None:
    founder, partner, startup_id, fund_id = _sides(db_session)
    intro = introductions.request_introduction(
        session, founder, startup_id=startup_id, investor_id=fund_id, side="startup"
    )
    introductions.decline_introduction(session, partner, intro.id)
    for user in (founder, partner):
        [view] = introductions.introductions_for(session, user)
        assert view.intro.status == "declined" and view.contacts == []
    with pytest.raises(Conflict):
        introductions.accept_introduction(session, partner, intro.id)


def test_strangers_cannot_request_accept_or_see(session: Session, db_session: Session) -> None:
    founder, partner, startup_id, fund_id = _sides(db_session)
    stranger = make_user(db_session, "investor")
    db_session.rollback()
    with pytest.raises(NotFound):  # not a member of that fund
        introductions.request_introduction(
            session, stranger, startup_id=startup_id, investor_id=fund_id, side="investor"
        )
    with pytest.raises(NotFound):  # a founder cannot ask in the fund's name
        introductions.request_introduction(
            session, founder, startup_id=startup_id, investor_id=fund_id, side="investor"
        )
    with pytest.raises(Invalid):
        introductions.request_introduction(
            session, founder, startup_id=startup_id, investor_id=fund_id, side="operator"
        )
    intro = introductions.request_introduction(
        session, founder, startup_id=startup_id, investor_id=fund_id, side="startup"
    )
    for action in (introductions.accept_introduction, introductions.decline_introduction):
        with pytest.raises(NotFound):
            action(session, stranger, intro.id)
    assert introductions.introductions_for(session, stranger) == []
