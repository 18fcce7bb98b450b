"""Benchmark bundles (``benchmarks/bundles/README.md``) imported into a database.

``import_bundle`` writes a bundle's startups and candidates as ordinary rows: investors with
``PortfolioEntry`` rows linked to the startups of ``history.csv``, mentors (each with a user) with
``MentorMentee`` rows, and a query's round as the startup's open ``FundingAsk``. Nothing from
``queries.csv`` reaches a candidate's profile.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.models import (
    FundingAsk,
    Investor,
    MatchOutcome,
    Mentor,
    MentorMentee,
    PortfolioEntry,
    Startup,
    User,
)

# Bundle round labels (English or Chinese) -> vocab.ROUNDS codes; unknown labels -> None.
_ROUND_PATTERNS = (
    (r"pre[\s_-]*a", "pre_a"),
    (r"seed|种子", "seed"),
    (r"angel|天使", "angel"),
    (r"^(series[\s_-]*)?a\b|^a轮|^a$|^a\+", "a"),
    (r"^(series[\s_-]*)?[b-z]\b|^[b-z]轮|b轮|c轮|d轮|后期|growth|private|ipo|上市|战略", "b_plus"),
)
# The ask amount is not in the bundles; FundingAsk requires one. Bundle investors state no
# ticket range, so the ticket-fit feature stays "unknown" whatever this placeholder is.
PLACEHOLDER_ASK_AMOUNT = Decimal("1")


class BundleError(ValueError):
    """The folder is not a readable bundle."""


def map_round(raw: str | None) -> str | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text in vocab.ROUNDS:
        return text
    for pattern, code in _ROUND_PATTERNS:
        if re.search(pattern, text):
            return code
    return None


def _year(text: Any) -> int | None:
    m = re.search(r"(19|20)\d\d", str(text or ""))
    return int(m.group(0)) if m else None


def _iso_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def _cut(text: Any, n: int) -> str:
    return str(text or "").strip()[:n]


def _codes(values: Any) -> list[str]:
    if isinstance(values, str):  # "a, b" instead of ["a", "b"]
        values = re.split(r"[,;|，、]", values)
    out = []
    for v in values or ():
        code = _cut(v, 60).replace("|", "/")
        if code and code not in out:
            out.append(code)
    return out


@dataclass
class ImportedBundle:
    name: str
    task: str  # "investors" | "mentors"
    language: str
    kind: str  # "investor" | "mentor"
    startup_ids: dict[str, int]  # bundle id -> database id
    candidate_ids: dict[str, int]
    history: dict[int, set[int]] = field(default_factory=dict)  # startup -> linked candidates
    relevant: dict[int, set[int]] = field(default_factory=dict)  # query startup -> held out


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BundleError(f"missing {path.name}")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BundleError(f"missing {path.name}")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        raise BundleError(f"{folder} has no manifest.json")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("task") not in ("investors", "mentors"):
        raise BundleError(f"unknown task {manifest.get('task')!r}")
    return dict(manifest)


def _first_by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A bundle file's rows by their ``id`` (as text), in file order; the first of a repeated id
    wins."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        out.setdefault(str(row["id"]), row)
    return out


def _add_startups(session: Session, raw_startups: list[dict[str, Any]]) -> dict[str, Startup]:
    """The bundle's startups by their bundle id (the first of a repeated id wins), flushed."""
    startups: dict[str, Startup] = {}
    for sid, s in _first_by_id(raw_startups).items():
        founded = _year(s.get("founded"))
        startups[sid] = Startup(
            name=_cut(s.get("name") or sid, 120),
            description=str(s.get("description") or ""),
            sectors=_codes(s.get("sectors")),
            stage=s.get("stage") if s.get("stage") in vocab.STAGES else "",
            funding_round="",
            location=_cut(s.get("location"), 120),
            founded_on=date(founded, 1, 1) if founded else None,
        )
    session.add_all(startups.values())
    session.flush()
    return startups


def _add_candidates(
    session: Session,
    kind: str,
    raw_cands: list[dict[str, Any]],
    by_cand: Mapping[str, list[dict[str, str]]],
    startups: Mapping[str, Startup],
) -> dict[str, Any]:
    """Investors (with a portfolio entry per past deal) or mentors by their bundle id, flushed."""
    candidates: dict[str, Any] = {}
    for n, (cid, c) in enumerate(_first_by_id(raw_cands).items(), start=1):
        name = _cut(c.get("name") or cid, 120)
        if kind == "investor":
            inv = Investor(name=_cut(name, 160), type="", thesis=str(c.get("description") or ""))
            for r in by_cand.get(cid, []):  # one entry per deal (a company's rounds count apart)
                startup = startups[r["startup_id"]]
                inv.portfolio.append(
                    PortfolioEntry(
                        company=_cut(startup.name, 160),
                        round=map_round(r.get("round")) or "",
                        year=_year(r.get("date")),
                        startup_id=startup.id,
                    )
                )
            candidates[cid] = inv
        else:
            user = User(
                email=f"bundle-mentor-{n}@eval.invalid",
                password_hash="!",  # noqa: S106 - not a hash: nobody can sign in as it
                display_name=name,
                roles=["mentor"],
            )
            candidates[cid] = Mentor(user=user, kind="", expertise=str(c.get("description") or ""))
    session.add_all(candidates.values())
    session.flush()
    return candidates


def _add_history(
    session: Session,
    kind: str,
    history_rows: list[dict[str, str]],
    startups: Mapping[str, Startup],
    candidates: Mapping[str, Any],
) -> None:
    """The relations before the split: past mentees, or the investors' "invested" outcomes."""
    if kind == "mentor":
        seen_pairs: set[tuple[int, int]] = set()
        for r in history_rows:
            pair = (candidates[r["candidate_id"]].id, startups[r["startup_id"]].id)
            if pair not in seen_pairs:
                seen_pairs.add(pair)
                session.add(
                    MentorMentee(
                        mentor_id=pair[0],
                        startup_id=pair[1],
                        since=_iso_day(r.get("date")),
                        source="imported",
                    )
                )

    else:
        # An investment before the split is an outcome the platform would have recorded: its
        # day gives the engine recency finer than the portfolio entry's year.
        for r in history_rows:
            day = _iso_day(r.get("date"))
            if day is not None:
                session.add(
                    MatchOutcome(
                        startup_id=startups[r["startup_id"]].id,
                        candidate_kind="investor",
                        candidate_id=candidates[r["candidate_id"]].id,
                        outcome="invested",
                        created_at=datetime(day.year, day.month, day.day),
                    )
                )


def _add_queries(
    session: Session,
    result: ImportedBundle,
    query_rows: list[dict[str, str]],
    startups: Mapping[str, Startup],
    candidates: Mapping[str, Any],
) -> None:
    """The relevant candidates of each query startup, and an open ask in the round asked."""
    ask_round: dict[int, str] = {}
    for r in query_rows:
        s_id = startups[r["startup_id"]].id
        c_id = candidates[r["candidate_id"]].id
        result.relevant.setdefault(s_id, set()).add(c_id)
        code = map_round(r.get("round"))
        if code and s_id not in ask_round:
            ask_round[s_id] = code
    for s_id, code in ask_round.items():
        session.add(
            FundingAsk(startup_id=s_id, round=code, amount=PLACEHOLDER_ASK_AMOUNT, is_open=True)
        )


def import_bundle(session: Session, folder: Path | str) -> ImportedBundle:
    """Write the bundle into ``session``'s database (one commit) and return the id maps."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    task = manifest["task"]
    kind = "investor" if task == "investors" else "mentor"
    raw_startups = _jsonl(folder / "startups.jsonl")
    raw_cands = [
        c
        for c in _jsonl(folder / "candidates.jsonl")
        if (c.get("kind") or kind) == kind  # a bundle ranks one kind of candidate
    ]
    startups = _add_startups(session, raw_startups)

    def rows(name: str) -> list[dict[str, str]]:
        out = [
            r
            for r in _csv(folder / name)
            if r.get("startup_id") in startups and r.get("candidate_id") in cand_keys
        ]
        return sorted(out, key=lambda r: r.get("date") or "")

    cand_keys = {str(c["id"]) for c in raw_cands}
    history_rows = rows("history.csv")
    query_rows = rows("queries.csv")
    by_cand: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in history_rows:
        by_cand[r["candidate_id"]].append(r)

    candidates = _add_candidates(session, kind, raw_cands, by_cand, startups)
    _add_history(session, kind, history_rows, startups, candidates)

    result = ImportedBundle(
        name=str(manifest.get("name") or folder.name),
        task=task,
        language=str(manifest.get("language") or "en"),
        kind=kind,
        startup_ids={k: s.id for k, s in startups.items()},
        candidate_ids={k: c.id for k, c in candidates.items()},
    )
    for r in history_rows:
        result.history.setdefault(startups[r["startup_id"]].id, set()).add(
            candidates[r["candidate_id"]].id
        )
    _add_queries(session, result, query_rows, startups, candidates)
    session.commit()
    return result
