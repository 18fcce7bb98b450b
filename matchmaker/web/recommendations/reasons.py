"""The engine's structured reasons (code + parameters) as sentences in the reader's language.

The engine states facts ("both list these sectors"); this module only words them, from the point
of view of who reads them: a founder looking at a candidate (``viewer="startup"``), a mentor or
investor looking at a startup (``viewer="candidate"``), or someone searching (``viewer="search"``).
Vocabulary codes are shown with their labels; a reason this module does not know is left out
rather than shown raw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from matchmaker import vocab
from matchmaker.web.i18n import current_locale

MAX_REASONS = 4


def _list(items: Iterable[str]) -> str:
    sep = "、" if current_locale().startswith("zh") else ", "
    return sep.join(items)


def _labels(vocabulary: vocab.Labels, codes: Sequence[str]) -> str:
    return _list(vocab.label(vocabulary, c, current_locale()) for c in codes)


def _money(amount: Any, currency: str | None) -> str:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return ""
    unit = vocab.label(vocab.CURRENCIES, currency, current_locale()) if currency else ""
    return f"{value:,.0f} {unit}".strip()


_CJK = re.compile(r"[\u3400-\u9fff]")
# Characters that make a two-character CJK fragment a piece of grammar, not a phrase ("与销").
_FUNCTION_CHARS = set("与和及的了过在是对为于或并等")


def readable_terms(terms: Iterable[str]) -> list[str]:
    """Matched terms worth showing: no single characters and no CJK fragments straddling a
    function word. Only drops terms, so what remains is still shared by both texts."""
    out = []
    for t in terms:
        if len(t) < 2:
            continue
        if _CJK.search(t) and len(t) == 2 and _FUNCTION_CHARS & set(t):
            continue
        out.append(t)
    return out


def reason_text(code: str, params: dict[str, Any], viewer: str = "startup") -> str | None:
    """One reason as a sentence, or None when it has nothing to say to this reader."""
    p = params
    if code == "named_in_profile":
        if viewer == "candidate":
            return _("Their profile names you")
        return _("Named in your profile: %(name)s", name=p["name"])
    if code == "shared_sectors":
        return _("Shared sectors: %(sectors)s", sectors=_labels(vocab.SECTORS, p["sectors"]))
    if code == "matched_terms":
        terms = readable_terms(p["terms"])
        return _("Matched phrases: %(terms)s", terms=_list(terms)) if terms else None
    if code == "shared_topics":
        return _(
            "Mentoring topics in common: %(topics)s",
            topics=_labels(vocab.MENTORING_TOPICS, p["topics"]),
        )
    if code == "stage_fit":
        rnd = vocab.label(vocab.ROUNDS, p["round"], current_locale())
        if viewer == "candidate":
            return _("Raising a round you invest in: %(round)s", round=rnd)
        return _("Invests in your round: %(round)s", round=rnd)
    if code == "ticket_fit":
        amount = _money(p.get("amount"), p.get("currency"))
        if viewer == "candidate":
            return _("The ask fits your ticket size: %(amount)s", amount=amount)
        if p.get("stated_need"):
            return _("Your stated funding need fits their ticket size: %(amount)s", amount=amount)
        return _("Your ask fits their ticket size: %(amount)s", amount=amount)
    if code == "instrument_fit":
        instrument = vocab.label(vocab.INSTRUMENTS, p["instrument"], current_locale())
        if viewer == "candidate":
            return _("Seeks an instrument you offer: %(instrument)s", instrument=instrument)
        return _("Offers the instrument you seek: %(instrument)s", instrument=instrument)
    if code in ("portfolio_neighbour", "past_mentee_neighbour") and p.get("sectors"):
        # Similar in what: the sectors both companies have.
        both = _labels(vocab.SECTORS, p["sectors"])
        if code == "portfolio_neighbour":
            if viewer == "candidate":
                return _(
                    "Similar to your portfolio company %(company)s (both in %(sectors)s)",
                    company=p["company"],
                    sectors=both,
                )
            return _(
                "Backed a similar company: %(company)s (both in %(sectors)s)",
                company=p["company"],
                sectors=both,
            )
        if viewer == "candidate":
            return _(
                "Similar to %(company)s, whom you mentored (both in %(sectors)s)",
                company=p["company"],
                sectors=both,
            )
        return _(
            "Mentored a similar startup: %(company)s (both in %(sectors)s)",
            company=p["company"],
            sectors=both,
        )
    if code == "portfolio_neighbour":
        if viewer == "candidate":
            return _("Similar to your portfolio company %(company)s", company=p["company"])
        return _("Backed a similar company: %(company)s", company=p["company"])
    if code == "past_mentee_neighbour":
        if viewer == "candidate":
            return _("Similar to %(company)s, whom you mentored", company=p["company"])
        return _("Mentored a similar startup: %(company)s", company=p["company"])
    if code == "co_investor":
        n = len(p.get("partners") or ())
        if viewer == "candidate":
            return _("Backed by funds you have co-invested with: %(num)d", num=n)
        return _("Co-invested before with your current investors: %(num)d", num=n)
    if code == "co_mentor":
        n = len(p.get("partners") or ())
        return _("Mentored the same startups as your mentors: %(num)d", num=n)
    if code == "same_location":
        return _("Same location: %(location)s", location=p["location"])
    if code == "shared_languages":
        return _(
            "Common languages: %(languages)s", languages=_labels(vocab.LANGUAGES, p["languages"])
        )
    if code == "founder_rating":
        if viewer == "candidate":
            return None  # a mentor looking at a startup: their own rating is no reason
        count = int(p["count"])
        return ngettext(
            "Rated %(mean)s by %(num)d founder",
            "Rated %(mean)s by %(num)d founders",
            count,  # also the %(num)d
            mean=f"{round(float(p['mean']), 1):g}",
        )
    if code == "free_capacity":
        if "left" in p:
            if viewer == "candidate":
                return None  # the mentor knows their own calendar
            return _("Sessions free this month: %(num)d", num=int(p["left"]))
        hours = float(p["hours"])
        return _("Free hours in the next 14 days: %(hours)s", hours=f"{round(hours, 1):g}")
    if code == "voucher_eligible":
        return _("Innovation vouchers accepted")
    if code == "similar_meaning":
        return _("Similar in meaning: %(phrase)s", phrase=p["phrase"])
    if code == "similar_profile":  # older engines; a score means nothing to a founder
        return _("Closely related profile")
    return None


def reason_texts(
    reasons: Iterable[Any], viewer: str = "startup", limit: int = MAX_REASONS
) -> list[str]:
    """Sentences for an engine ``Reason`` sequence, in the engine's order, at most ``limit``."""
    out: list[str] = []
    for r in reasons:
        try:
            text = reason_text(r.code, dict(r.params), viewer)
        except (KeyError, TypeError, ValueError):
            text = None  # a malformed reason is dropped, never shown half-true
        if text and text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out
