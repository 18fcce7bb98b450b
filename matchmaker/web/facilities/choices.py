"""Choices the facilities forms offer that come from the database."""

from __future__ import annotations

from matchmaker.extensions import db
from matchmaker.i18n import gettext as _
from matchmaker.models import Startup
from matchmaker.services.facilities import vouchers


def voucher_choices(startups: list[Startup], category: str | None) -> list[tuple[int, str]]:
    """ "No voucher", then each usable voucher of the founder's startups for an instrument of
    ``category``, with its balance and startup."""
    choices = [(0, _("No voucher"))]
    for s in startups:
        for v in vouchers.usable_vouchers(db.session, s.id, category):
            choices.append(
                (
                    v.id,
                    _(
                        "%(code)s · balance %(balance)s CNY · %(startup)s",
                        code=v.code,
                        balance=v.balance,
                        startup=s.name,
                    ),
                )
            )
    return choices
