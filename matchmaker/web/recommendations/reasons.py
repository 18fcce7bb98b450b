"""The engine's structured reasons (code + parameters) as sentences in the reader's language.

The engine states facts ("both list these sectors"); this module only words them, from the point
of view of who reads them: a founder looking at a candidate (``viewer="startup"``), a mentor or
investor looking at a startup (``viewer="candidate"``), or someone searching (``viewer="search"``).
Vocabulary codes are shown with their labels; a reason this module does not know is left out
rather than shown raw.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matchmaker import vocab
from matchmaker.i18n import LazyText, ngettext
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
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


def _named_in_profile(p: dict[str, Any], viewer: str) -> str | None:
    if viewer == "candidate":
        return _("Their profile names you")
    return _("Named in your profile: %(name)s", name=p["name"])


def _on_record(p: dict[str, Any], viewer: str) -> str | None:
    investor = p.get("kind") == "investor"
    if viewer == "candidate":
        return _("You invested in this startup") if investor else _("You mentored this startup")
    return _("Invested in your startup") if investor else _("Mentored your startup")


def _shared_sectors(p: dict[str, Any], viewer: str) -> str | None:
    return _("Shared sectors: %(sectors)s", sectors=_labels(vocab.SECTORS, p["sectors"]))


def _matched_terms(p: dict[str, Any], viewer: str) -> str | None:
    terms = readable_terms(p["terms"])
    return _("Matched phrases: %(terms)s", terms=_list(terms)) if terms else None


def _shared_topics(p: dict[str, Any], viewer: str) -> str | None:
    return _(
        "Mentoring topics in common: %(topics)s",
        topics=_labels(vocab.MENTORING_TOPICS, p["topics"]),
    )


def _stage_fit(p: dict[str, Any], viewer: str) -> str | None:
    rnd = vocab.label(vocab.ROUNDS, p["round"], current_locale())
    if viewer == "candidate":
        return _("Raising a round you invest in: %(round)s", round=rnd)
    return _("Invests in your round: %(round)s", round=rnd)


def _ticket_fit(p: dict[str, Any], viewer: str) -> str | None:
    amount = _money(p.get("amount"), p.get("currency"))
    if viewer == "candidate":
        return _("The ask fits your ticket size: %(amount)s", amount=amount)
    if p.get("stated_need"):
        return _("Your stated funding need fits their ticket size: %(amount)s", amount=amount)
    return _("Your ask fits their ticket size: %(amount)s", amount=amount)


def _instrument_fit(p: dict[str, Any], viewer: str) -> str | None:
    instrument = vocab.label(vocab.INSTRUMENTS, p["instrument"], current_locale())
    if viewer == "candidate":
        return _("Seeks an instrument you offer: %(instrument)s", instrument=instrument)
    return _("Offers the instrument you seek: %(instrument)s", instrument=instrument)


@dataclass(frozen=True)
class _SimilarCompany:
    """The wording of a "like a company in your record" reason (an investor's portfolio, a
    mentor's past mentees): to the candidate whose record it is, or to the founder, with the
    sectors both companies are in when the engine found some."""

    to_candidate: LazyText
    to_candidate_in_sectors: LazyText
    to_founder: LazyText
    to_founder_in_sectors: LazyText

    def __call__(self, p: dict[str, Any], viewer: str) -> str | None:
        to_candidate = viewer == "candidate"
        if p.get("sectors"):
            # Similar in what: the sectors both companies have.
            wording = self.to_candidate_in_sectors if to_candidate else self.to_founder_in_sectors
            both = _labels(vocab.SECTORS, p["sectors"])
            return str(wording) % {"company": p["company"], "sectors": both}
        wording = self.to_candidate if to_candidate else self.to_founder
        return str(wording) % {"company": p["company"]}


_portfolio_neighbour = _SimilarCompany(
    to_candidate=_l("Similar to your portfolio company %(company)s"),
    to_candidate_in_sectors=_l(
        "Similar to your portfolio company %(company)s (both in %(sectors)s)"
    ),
    to_founder=_l("Backed a similar company: %(company)s"),
    to_founder_in_sectors=_l("Backed a similar company: %(company)s (both in %(sectors)s)"),
)
_past_mentee_neighbour = _SimilarCompany(
    to_candidate=_l("Similar to %(company)s, whom you mentored"),
    to_candidate_in_sectors=_l("Similar to %(company)s, whom you mentored (both in %(sectors)s)"),
    to_founder=_l("Mentored a similar startup: %(company)s"),
    to_founder_in_sectors=_l("Mentored a similar startup: %(company)s (both in %(sectors)s)"),
)


def _co_investor(p: dict[str, Any], viewer: str) -> str | None:
    n = len(p.get("partners") or ())
    if viewer == "candidate":
        return _("Backed by funds you have co-invested with: %(num)d", num=n)
    return _("Co-invested before with your current investors: %(num)d", num=n)


def _co_mentor(p: dict[str, Any], viewer: str) -> str | None:
    n = len(p.get("partners") or ())
    return _("Mentored the same startups as your mentors: %(num)d", num=n)


def _same_location(p: dict[str, Any], viewer: str) -> str | None:
    return _("Same location: %(location)s", location=p["location"])


def _shared_languages(p: dict[str, Any], viewer: str) -> str | None:
    return _("Common languages: %(languages)s", languages=_labels(vocab.LANGUAGES, p["languages"]))


def _founder_rating(p: dict[str, Any], viewer: str) -> str | None:
    if viewer == "candidate":
        return None  # a mentor looking at a startup: their own rating is no reason
    count = int(p["count"])
    return ngettext(
        "Rated %(mean)s by %(num)d founder",
        "Rated %(mean)s by %(num)d founders",
        count,  # also the %(num)d
        mean=f"{round(float(p['mean']), 1):g}",
    )


def _free_capacity(p: dict[str, Any], viewer: str) -> str | None:
    if "left" in p:
        if viewer == "candidate":
            return None  # the mentor knows their own calendar
        return _("Sessions free this month: %(num)d", num=int(p["left"]))
    hours = float(p["hours"])
    return _("Free hours in the next 14 days: %(hours)s", hours=f"{round(hours, 1):g}")


def _voucher_eligible(p: dict[str, Any], viewer: str) -> str | None:
    return _("Innovation vouchers accepted")


def _similar_meaning(p: dict[str, Any], viewer: str) -> str | None:
    return _("Similar in meaning: %(phrase)s", phrase=p["phrase"])


def _expertise_meaning(p: dict[str, Any], viewer: str) -> str | None:
    # The founder's word first, then the mentor's: "专利 / patent".
    pairs = _list(f"{a} / {b}" for a, b in p["pairs"])
    return _("Similar in meaning: %(phrase)s", phrase=pairs) if pairs else None


def _similar_profile(p: dict[str, Any], viewer: str) -> str | None:
    return _("Closely related profile")  # older engines; a score means nothing to a founder


# Reason code -> its wording: ``(params, viewer) -> sentence``, or None when it has nothing to
# say to this reader.
_WORDINGS: dict[str, Callable[[dict[str, Any], str], str | None]] = {
    "named_in_profile": _named_in_profile,
    "on_record": _on_record,
    "shared_sectors": _shared_sectors,
    "matched_terms": _matched_terms,
    "shared_topics": _shared_topics,
    "stage_fit": _stage_fit,
    "ticket_fit": _ticket_fit,
    "instrument_fit": _instrument_fit,
    "portfolio_neighbour": _portfolio_neighbour,
    "past_mentee_neighbour": _past_mentee_neighbour,
    "co_investor": _co_investor,
    "co_mentor": _co_mentor,
    "same_location": _same_location,
    "shared_languages": _shared_languages,
    "founder_rating": _founder_rating,
    "free_capacity": _free_capacity,
    "voucher_eligible": _voucher_eligible,
    "similar_meaning": _similar_meaning,
    "expertise_meaning": _expertise_meaning,
    "similar_profile": _similar_profile,
}


def reason_text(code: str, params: dict[str, Any], viewer: str = "startup") -> str | None:
    """One reason as a sentence, or None when it has nothing to say to this reader (or the
    code is unknown)."""
    wording = _WORDINGS.get(code)
    return None if wording is None else wording(params, viewer)


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
