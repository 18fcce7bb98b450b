"""Every notification's text, by kind: the one table ``services/notifications.py`` renders from.

A kind is ``<area>.<event>``; the text is lazy (translated when the notification is shown or
e-mailed, in the reader's language) with ``%(name)s`` parameters that the ``notify`` call passes.
A new kind gets its text here (tests/unit/test_notification_messages.py checks that every kind
the code notifies has one). Each text's Chinese stays in the catalogue of the area that sends it
(``mentoring.po``, ``funding.po``, ``facilities.po``, ``operator.po``; accounts' in
``messages.po``), so keep the msgids verbatim and include this file when updating that catalogue.
"""

from __future__ import annotations

from matchmaker.i18n import LazyText
from matchmaker.i18n import lazy_gettext as _l

MESSAGES: dict[str, LazyText] = {
    "welcome": _l("Welcome to Matchmaker, %(name)s."),
    # Accounts and profiles: team invitations (services/accounts/memberships.py).
    "profiles.invited_to_startup": _l(
        "%(inviter)s invited you to join the team of %(organisation)s. Accept or decline "
        "on your profiles page."
    ),
    "profiles.invited_to_investor": _l(
        "%(inviter)s invited you to join %(organisation)s. Accept or decline on your profiles page."
    ),
    "profiles.member_joined": _l("%(name)s accepted the invitation to %(organisation)s."),
    # Mentoring: requests and sessions (services/mentoring/).
    "mentoring.requested": _l("%(startup)s requests a mentoring session with you."),
    "mentoring.accepted": _l(
        "%(mentor)s accepted your request: session on %(when)s (Beijing time)."
    ),
    "mentoring.declined": _l("%(mentor)s declined your mentoring request."),
    "mentoring.times_proposed": _l(
        "%(mentor)s proposed other times for your session; please pick one."
    ),
    "mentoring.info_requested": _l("%(mentor)s asks for more information about your request."),
    "mentoring.info_answered": _l("%(startup)s answered your question about their request."),
    "mentoring.time_chosen": _l("%(startup)s picked a time: session on %(when)s (Beijing time)."),
    "mentoring.withdrawn": _l("%(startup)s withdrew their mentoring request."),
    "mentoring.expired": _l("Your mentoring request to %(mentor)s expired without an answer."),
    "mentoring.cancelled": _l("%(name)s cancelled the session of %(when)s (Beijing time)."),
    "mentoring.rescheduled": _l("%(name)s moved your session to %(when)s (Beijing time)."),
    "mentoring.completed": _l("Your session with %(name)s is complete: please rate it."),
    "mentoring.no_show": _l(
        "The session of %(when)s (Beijing time) was marked as a no-show: %(absent)s did not "
        "come. If you were there, you can dispute it once on the session's page."
    ),
    "mentoring.follow_up_wanted": _l("%(startup)s would like a follow-up session."),
    "mentoring.office_hours": _l(
        "Office hours: a session on %(when)s (Beijing time) with %(name)s."
    ),
    "mentoring.place_set": _l(
        "%(name)s set where the session of %(when)s (Beijing time) happens: %(where)s"
    ),
    "mentoring.no_show_disputed": _l(
        "%(name)s disputes the no-show of the session of %(when)s (Beijing time)."
    ),
    # Funding: pitches, introductions, meetings (services/funding/).
    "funding.pitch_received": _l("%(startup)s pitched %(investor)s: a new deal in your flow."),
    "funding.pitch_reviewing": _l("%(investor)s is reviewing the pitch of %(startup)s."),
    "funding.pitch_meeting": _l(
        "%(investor)s would like to meet %(startup)s. Accept the introduction to share contacts."
    ),
    "funding.pitch_due_diligence": _l("%(investor)s started due diligence on %(startup)s."),
    "funding.pitch_term_sheet": _l("%(investor)s is preparing a term sheet for %(startup)s."),
    "funding.pitch_invested": _l("%(investor)s invested in %(startup)s. Congratulations!"),
    "funding.pitch_passed": _l("%(investor)s decided not to proceed with %(startup)s this time."),
    "funding.pitch_question": _l("%(investor)s asks %(startup)s a question about the pitch."),
    "funding.pitch_materials": _l("%(investor)s asks %(startup)s for more materials."),
    "funding.pitch_decline": _l(
        "%(investor)s decided not to proceed with %(startup)s and wrote why."
    ),
    "funding.pitch_reply": _l("%(startup)s answered %(investor)s about the pitch."),
    "funding.intro_requested_by_investor": _l(
        "%(investor)s would like an introduction to %(startup)s. Accept to share contacts."
    ),
    "funding.intro_requested_by_startup": _l(
        "%(startup)s would like an introduction to %(investor)s. Accept to share contacts."
    ),
    "funding.intro_proposed": _l(
        "An introduction between %(startup)s and %(investor)s is waiting for your answer."
    ),
    "funding.intro_accepted": _l(
        "The introduction between %(startup)s and %(investor)s is accepted: contacts are "
        "now shared."
    ),
    "funding.intro_declined": _l(
        "The introduction between %(startup)s and %(investor)s was declined."
    ),
    "funding.meeting_set": _l(
        "%(investor)s set a meeting with %(startup)s on %(when)s (Beijing time): %(where)s"
    ),
    # Facilities: bookings, training, vouchers (services/facilities/).
    "facilities.booking_confirmed": _l(
        "Booking confirmed: %(equipment)s for %(startup)s, %(when)s."
    ),
    "facilities.booking_requested": _l(
        "Booking request awaiting approval: %(equipment)s for %(startup)s, %(when)s."
    ),
    "facilities.booking_approved": _l("Booking approved: %(equipment)s for %(startup)s, %(when)s."),
    "facilities.booking_declined": _l(
        "Booking declined: %(equipment)s, %(when)s. Reason: %(reason)s"
    ),
    "facilities.booking_cancelled": _l(
        "Booking cancelled: %(equipment)s for %(startup)s, %(when)s."
    ),
    "facilities.booking_completed": _l(
        "Usage recorded: %(equipment)s for %(startup)s, %(minutes)s minutes."
    ),
    "facilities.booking_no_show": _l("Marked as no-show: %(equipment)s for %(startup)s, %(when)s."),
    "facilities.booking_expired": _l(
        "Booking request expired (not approved before its start): %(equipment)s for "
        "%(startup)s, %(when)s."
    ),
    "facilities.waitlist_offer": _l(
        "A slot you were waiting for is free: %(equipment)s, %(when)s. Book it now."
    ),
    "facilities.training_granted": _l(
        "You are recorded as trained on %(equipment)s until %(until)s."
    ),
    "facilities.voucher_issued": _l(
        "An innovation voucher of %(amount)s CNY was issued to %(startup)s, valid until %(until)s."
    ),
    # Operator: a new policy a startup is eligible for
    # (services/operator/policy_center/policy_eligibility.py).
    "operator.policy_eligible": _l(
        "A newly published policy fits %(startup)s: %(title_en)s (%(title_zh)s). "
        "See why you are eligible."
    ),
}
