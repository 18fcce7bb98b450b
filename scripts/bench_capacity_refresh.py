"""What a capacity refresh costs a web process: new figures for some mentors (sessions booked this
month), written the old way (``Recommender.upsert`` per profile) and the new way
(``Recommender.set_figures``), then the next two requests (``mentors_for_startup``), side by
side in one process on one synthetic corpus (``bench_recommend.make_corpus``).

    .venv/bin/python scripts/bench_capacity_refresh.py --sizes 10000 100000 --moved 100

The old way re-derived each profile's text row and relations, rescanned every investor's
portfolio for each mentor and cleared every statistic cached over the kind, which the next
request recomputed; the new way changes the figures and the engine state's version only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_recommend import make_corpus  # noqa: E402

from matchmaker.recommend.embedding import HashingEmbedder  # noqa: E402
from matchmaker.recommend.ranking import Recommender, RecommenderConfig  # noqa: E402


def next_requests(rec: Recommender, startups: list[int]) -> tuple[float, float]:
    """Seconds of the first request after the refresh and of the one after it."""
    took = []
    for sid in startups[:2]:
        started = time.perf_counter()
        rec.mentors_for_startup(sid, k=3)
        took.append(time.perf_counter() - started)
    return took[0], took[1]


def bench(n: int, moved: int) -> list[str]:
    corpus = make_corpus(n)
    rec = Recommender(HashingEmbedder(), config=RecommenderConfig(approximate_above=50_000))
    for kind in ("startup", "mentor", "investor", "equipment"):
        rec.sync(kind, corpus[kind])
    rng = np.random.default_rng(2)
    startups = [int(i) for i in rng.integers(1, n + 1, 8)]
    pool = rec.corpus.profiles["mentor"]
    chosen = [int(i) for i in rng.choice(sorted(pool), size=moved, replace=False)]
    rows = []
    for way in (
        "upsert per profile (before)",
        "set_figures (after)",
        "upsert per profile (before)",
    ):
        for sid in startups[2:]:  # warm: every cache of the kind filled
            rec.mentors_for_startup(sid, k=3)
        figures = {i: pool[i].sessions_this_month + 1 for i in chosen}
        started = time.perf_counter()
        if way.startswith("upsert"):
            for i, used in figures.items():
                rec.upsert("mentor", replace(pool[i], sessions_this_month=used))
        else:
            rec.set_figures("mentor", figures)
        refresh = time.perf_counter() - started
        first, second = next_requests(rec, startups)
        rows.append(
            f"| {n:,} | {moved} | {way} | {refresh * 1000:,.1f} | {first * 1000:,.1f} | "
            f"{second * 1000:,.1f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--moved", type=int, default=100, help="mentors whose figure moves")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    rows = [row for n in args.sizes for row in bench(n, args.moved)]
    print()
    print(
        "| profiles per kind | figures moved | written by | refresh ms | next request ms |"
        " the one after ms |"
    )
    print("|---:|---:|---|---:|---:|---:|")
    print("\n".join(rows))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
