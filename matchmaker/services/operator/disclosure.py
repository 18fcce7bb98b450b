"""Public disclosure of support (上网公示，避免多头重复支持) and the operators' duplicate check.

What is disclosed is deliberately narrow: the startup's public name, the kind of support, what
it was (a policy title, an instrument, a mentoring topic), the amount and the date. Never
e-mails, phones, notes, purposes, voucher codes or who booked.

Each area's support enters through a source listed in ``DISCLOSURE_SOURCES``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Equipment, Startup, User
from matchmaker.models.bookings import EquipmentBooking, Voucher
from matchmaker.models.mentoring import MentorSession
from matchmaker.models.operator import SUPPORT_KINDS, Policy, SupportKind, SupportRecord
from matchmaker.services.errors import Invalid, NotFound
from matchmaker.services.operator.policy_center.policies import POLICY_KIND_LABELS, require_operator
from matchmaker.services.transactions import commit, use_case

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

# The kinds a policy can also be are worded as the policy's kind.
SUPPORT_KIND_LABELS: vocab.Labels = {
    **{k: POLICY_KIND_LABELS[k] for k in ("subsidy", "loan", "voucher", "tax", "award")},
    "session": ("Mentor session", "导师辅导"),
    "booking": ("Equipment paid by voucher", "创新券支付的设备使用"),
    "other": ("Other support", "其他支持"),
}
# Kinds that are meant to be received once: a second one is flagged. Sessions and bookings
# naturally repeat.
ONE_OFF_KINDS = tuple(k for k in SupportKind if k not in (SupportKind.SESSION, SupportKind.BOOKING))
NEAR_DUPLICATE_EMBEDDING = 0.92
NEAR_DUPLICATE_TFIDF = 0.8


@dataclass(frozen=True)
class DisclosedSupport:
    startup_id: int
    startup_name: str
    kind: str
    what: str  # public description: policy title, instrument name, topic
    amount: Decimal | None
    currency: str
    day: date
    source: str  # "operator" / "vouchers" / "mentoring" / "bookings"
    reference: str  # e.g. "policy:3", to spot the same measure twice


DisclosureSource = Callable[[Session, str | None], list[DisclosedSupport]]


def _operator_records(session: Session, locale: str | None) -> list[DisclosedSupport]:
    rows = session.scalars(
        sa.select(SupportRecord).options(
            selectinload(SupportRecord.startup), selectinload(SupportRecord.policy)
        )
    ).all()
    out = []
    for r in rows:
        what = r.policy.title(locale) if r.policy is not None else r.description
        if r.policy is not None and r.description:
            what = f"{what} · {r.description}"
        out.append(
            DisclosedSupport(
                r.startup_id,
                r.startup.name,
                r.kind,
                what,
                r.amount,
                r.currency,
                r.granted_on,
                "operator",
                f"policy:{r.policy_id}" if r.policy_id else f"record:{r.id}",
            )
        )
    return out


def _vouchers(session: Session, locale: str | None) -> list[DisclosedSupport]:
    rows = session.execute(
        sa.select(Voucher.startup_id, Startup.name, Voucher.amount, Voucher.valid_from).join(
            Startup, Startup.id == Voucher.startup_id
        )
    ).all()
    what = vocab.label(SUPPORT_KIND_LABELS, SupportKind.VOUCHER, locale)
    return [
        DisclosedSupport(
            sid, name, SupportKind.VOUCHER, what, amount, "CNY", day, "vouchers", "voucher"
        )
        for sid, name, amount, day in rows
    ]


def _mentor_sessions(session: Session, locale: str | None) -> list[DisclosedSupport]:
    rows = session.execute(
        sa.select(
            MentorSession.startup_id, Startup.name, MentorSession.topic, MentorSession.starts_at
        )
        .join(Startup, Startup.id == MentorSession.startup_id)
        .where(MentorSession.status == "completed", MentorSession.starts_at.is_not(None))
    ).all()
    return [
        DisclosedSupport(
            sid,
            name,
            SupportKind.SESSION,
            vocab.label(vocab.MENTORING_TOPICS, topic, locale),
            None,
            "CNY",
            starts.date(),
            "mentoring",
            f"topic:{topic}",
        )
        for sid, name, topic, starts in rows
        if starts is not None  # never None (filtered in SQL); the column is nullable
    ]


def _voucher_bookings(session: Session, locale: str | None) -> list[DisclosedSupport]:
    rows = session.execute(
        sa.select(
            EquipmentBooking.startup_id,
            Startup.name,
            Equipment.name,
            EquipmentBooking.voucher_amount,
            EquipmentBooking.starts_at,
            EquipmentBooking.equipment_id,
        )
        .join(Startup, Startup.id == EquipmentBooking.startup_id)
        .join(Equipment, Equipment.id == EquipmentBooking.equipment_id)
        .where(EquipmentBooking.voucher_state == "redeemed", EquipmentBooking.voucher_amount > 0)
    ).all()
    return [
        DisclosedSupport(
            sid,
            name,
            SupportKind.BOOKING,
            eq,
            amount,
            "CNY",
            starts.date(),
            "bookings",
            f"equipment:{eid}",
        )
        for sid, name, eq, amount, starts, eid in rows
    ]


# The operator's own records, then what the areas gave: vouchers, mentoring sessions, bookings
# paid with a voucher.
DISCLOSURE_SOURCES: tuple[DisclosureSource, ...] = (
    _operator_records,
    _vouchers,
    _mentor_sessions,
    _voucher_bookings,
)


def disclosed_support(
    session: Session,
    *,
    locale: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    query: str = "",
) -> list[DisclosedSupport]:
    """Everything disclosed, newest first; filtered by year, kind and startup name."""
    items = [item for source in DISCLOSURE_SOURCES for item in source(session, locale)]
    active = set(session.scalars(sa.select(Startup.id).where(Startup.is_active)))
    needle = (query or "").strip().casefold()
    items = [
        i
        for i in items
        if i.startup_id in active
        and (year is None or i.day.year == year)
        and (not kind or i.kind == kind)
        and (not needle or needle in i.startup_name.casefold())
    ]
    return sorted(items, key=lambda i: (i.day, i.startup_name), reverse=True)


@dataclass(frozen=True)
class DisclosureSummary:
    startup_id: int
    startup_name: str
    counts: dict[str, int]
    total_amount: Decimal


def summarise(items: Sequence[DisclosedSupport]) -> list[DisclosureSummary]:
    """Disclosed support per startup: how many items of each kind and the yuan in total,
    largest total first."""
    grouped: dict[int, list[DisclosedSupport]] = defaultdict(list)
    for i in items:
        grouped[i.startup_id].append(i)
    out = []
    for sid, rows in grouped.items():
        counts: dict[str, int] = defaultdict(int)
        for r in rows:
            counts[r.kind] += 1
        total = sum((r.amount or Decimal(0) for r in rows), Decimal(0))
        out.append(DisclosureSummary(sid, rows[0].startup_name, dict(counts), total))
    return sorted(out, key=lambda s: (-s.total_amount, s.startup_name))


# --- recording support ----------------------------------------------------------------------


@dataclass(frozen=True)
class SupportGrant:
    """Support a startup received, as an operator records it (``description`` is public,
    ``note`` internal)."""

    startup_id: int
    kind: str
    granted_on: date
    amount: Decimal | None = None
    policy_id: int | None = None
    description: str = ""
    note: str = ""


@use_case
def record_support(session: Session, actor: User, grant: SupportGrant) -> SupportRecord:
    """An operator records support a startup received (it then appears on the public page)."""
    require_operator(actor)
    if session.get(Startup, grant.startup_id) is None:
        raise NotFound(_l("No such startup."))
    if grant.kind not in SUPPORT_KINDS:
        raise Invalid(_l("Choose a value from the list."), field="kind")
    if grant.policy_id is not None and session.get(Policy, grant.policy_id) is None:
        raise Invalid(_l("Choose a value from the list."), field="policy_id")
    amount = grant.amount
    if amount is not None and (amount < 0 or amount >= Decimal("100000000000000")):
        raise Invalid(_l("Enter an amount between 0 and 10^14."), field="amount")
    if grant.granted_on > date.today():
        raise Invalid(_l("The date cannot be in the future."), field="granted_on")
    record = SupportRecord(
        startup_id=grant.startup_id,
        kind=grant.kind,
        granted_on=grant.granted_on,
        amount=amount,
        policy_id=grant.policy_id,
        description=(grant.description or "").strip()[:300],
        note=(grant.note or "").strip(),
        created_by_id=actor.id,
    )
    session.add(record)
    commit(session)
    return record


# --- duplicate check ------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatedSupport:
    startup_id: int
    startup_name: str
    kind: str
    items: list[DisclosedSupport]
    same_measure: bool  # the very same policy (or measure) twice


@dataclass(frozen=True)
class NearDuplicate:
    first: Startup
    second: Startup
    similarity: float
    method: str  # "embedding" / "tfidf"


def repeated_support(items: Sequence[DisclosedSupport]) -> list[RepeatedSupport]:
    """Startups that received the same one-off kind of support more than once."""
    grouped: dict[tuple[int, str], list[DisclosedSupport]] = defaultdict(list)
    for i in items:
        if i.kind in ONE_OFF_KINDS:
            grouped[(i.startup_id, i.kind)].append(i)
    out = []
    for (sid, kind), rows in grouped.items():
        if len(rows) < 2:
            continue
        refs = [r.reference for r in rows if r.reference.startswith("policy:")]
        out.append(
            RepeatedSupport(
                sid, rows[0].startup_name, kind, rows, same_measure=len(refs) != len(set(refs))
            )
        )
    return sorted(out, key=lambda r: (not r.same_measure, r.startup_name, r.kind))


def _profile_text(s: Startup) -> str:
    return " ".join([s.name, s.one_liner, s.description])


def _stored_vectors(
    session: Session, startups: Sequence[Startup], model_id: str, dim: int
) -> dict[int, NDArray[np.float32]]:
    """The vectors the job worker stored for the startups' current texts (``engine_embeddings``,
    written after every save): this page embeds nothing. A startup saved seconds ago may have
    none yet."""
    from matchmaker.services.recommendations import profile_vectors
    from matchmaker.services.recommendations.profiles import startup_profile

    texts = profile_vectors.profile_texts("startup", [startup_profile(s) for s in startups])
    hashes = profile_vectors.content_hashes("startup", texts, model_id)
    return profile_vectors.stored_vectors(session, "startup", model_id, hashes, dim)


def _tfidf_similarity(startups: Sequence[Startup]) -> np.ndarray:
    from matchmaker.recommend.lexical import LexicalIndex

    index = LexicalIndex()
    ids = [s.id for s in startups]
    texts = [_profile_text(s) for s in startups]
    index.fit(ids, texts)
    return np.asarray(index.similarity_matrix(texts, ids))


@dataclass
class NearDuplicates:
    """Near-duplicate pairs, best first, and the active startups left out of the comparison
    (no stored vector for their current text yet: the job worker embeds a save within
    seconds)."""

    pairs: list[NearDuplicate]
    not_compared: list[Startup]


def near_duplicate_startups(
    session: Session,
    *,
    method: str = "embedding",
    embedding_model: str = "",
    threshold: float | None = None,
) -> NearDuplicates:
    """Pairs of active startup profiles that read almost the same.

    ``embedding`` compares the vectors the job worker stored for the engine's embedder,
    ``embedding_model`` (the caller's ``EngineSettings.embedding_model``; cosine of
    normalised vectors); without one, when it cannot load, or with ``tfidf``, the lexical
    leg's TF-IDF cosine is used instead.
    """
    startups = list(
        session.scalars(sa.select(Startup).where(Startup.is_active).order_by(Startup.id))
    )
    if len(startups) < 2:
        return NearDuplicates([], [])
    used = method
    matrix = None
    not_compared: list[Startup] = []
    if method == "embedding" and embedding_model:
        from matchmaker.services.recommendations.engine_settings import get_embedder

        try:
            embedder = get_embedder(embedding_model)
            model_id, dim = embedder.model_id, embedder.dim  # a model folder loads here
        except Exception:  # no model on this machine: the lexical fallback still finds copies
            log.warning("embedding similarity unavailable; using TF-IDF", exc_info=True)
            used = "tfidf"
        else:
            stored = _stored_vectors(session, startups, model_id, dim)
            not_compared = [s for s in startups if s.id not in stored]
            startups = [s for s in startups if s.id in stored]
            vectors = np.array([stored[s.id] for s in startups], dtype=np.float32)
            matrix = vectors @ vectors.T if len(startups) else np.zeros((0, 0))
    if matrix is None:
        used = "tfidf"
        matrix = _tfidf_similarity(startups)
    if threshold is None:
        threshold = NEAR_DUPLICATE_EMBEDDING if used == "embedding" else NEAR_DUPLICATE_TFIDF
    out = []
    for i in range(len(startups)):
        for j in range(i + 1, len(startups)):
            score = float(matrix[i, j])
            if score >= threshold:
                out.append(NearDuplicate(startups[i], startups[j], score, used))
    return NearDuplicates(sorted(out, key=lambda d: -d.similarity), not_compared)


def support_kind_label(kind: str, locale: str | None) -> str:
    """The kind of support in ``locale`` (Chinese or English)."""
    return vocab.label(SUPPORT_KIND_LABELS, kind, locale)


def public_fields() -> tuple[str, ...]:
    """The only fields of a disclosed item anyone outside may see: the open-data API serves
    exactly these (never the internal note nor who recorded it)."""
    return ("startup_name", "kind", "what", "amount", "currency", "day")


def export_rows(items: Sequence[DisclosedSupport], locale: str | None) -> list[list[Any]]:
    """The disclosed items as CSV rows (date, startup, kind, what, amount, currency): only
    what the public page shows, never an internal note."""
    return [
        [i.day.isoformat(), i.startup_name, support_kind_label(i.kind, locale), i.what,
         float(i.amount) if i.amount is not None else None, i.currency]
        for i in items
    ]  # fmt: skip
