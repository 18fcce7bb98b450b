"""The vector index of one kind at scale (1M profiles): build time, a web process's memory with
the published index memory-mapped, search p50/p95 and recall@10 against exact search.

    .venv/bin/python scripts/bench_index_scale.py --count 1000000 --folder /tmp/idx-1m

Builds ``recommend.hnsw.HNSWIndex`` (the index the engine uses past 50,000 vectors; m=32,
efConstruction=100, efSearch=128) over ``--count`` synthetic unit vectors of ``--dim`` (512: the
USE model's) drawn around 200 topic centres, as a job worker would (every core), and saves it as
a version does. Then a fresh process (a web worker) loads it with ``mmap=True`` and reports its
memory (RSS, PSS, USS and its own heap, from /proc), runs ``--queries`` top-10 searches on one
thread (p50, p95) and compares them with exact inner-product search over the same vectors
(recall@10), at each ``--ef-search`` the build may pick. ``--drop-caches`` (root) empties the
page cache before that step, as on a machine that has not read the version yet. The vectors
are generated, not embedded: the model's throughput is measured elsewhere (docs/benchmarks.md).
Every step is bounded by ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

CHUNK = 100_000


def _vectors(count: int, dim: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((200, dim)).astype(np.float32)
    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, CHUNK):
        n = min(CHUNK, count - start)
        topic = rng.integers(0, len(centres), n)
        block = centres[topic] + 1.5 * rng.standard_normal((n, dim)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + n] = block
    return out


def memory() -> dict[str, float]:
    fields: dict[str, int] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        fields[name.strip()] = int(rest.split()[0])
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    # Anonymous: the process's own heap. The rest of RSS is file pages (the mapped index), which
    # every worker mapping the same version shares through the page cache.
    return {
        "rss": fields["Rss"] / 1024,
        "pss": fields["Pss"] / 1024,
        "uss": uss / 1024,
        "anonymous": fields.get("Anonymous", 0) / 1024,
    }


def build(args: argparse.Namespace) -> None:
    from matchmaker.recommend.hnsw import HNSWIndex

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    vectors = _vectors(args.count, args.dim)
    np.save(folder / "truth-vectors.npy", vectors, allow_pickle=False)
    print(f"vectors: {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    index = HNSWIndex(args.dim)
    for start in range(0, args.count, CHUNK):
        end = min(args.count, start + CHUNK)
        index.add(np.arange(start, end, dtype=np.int64), vectors[start:end])
        print(f"  added {end} ({time.perf_counter() - started:.0f} s)", flush=True)
    built = time.perf_counter() - started
    started = time.perf_counter()
    files = index.save(folder)
    saved = time.perf_counter() - started
    sizes = {name: (folder / name).stat().st_size / 2**20 for name in files}
    print(f"HNSW build: {built:.1f} s; save {saved:.1f} s; files MB {sizes}", flush=True)
    print(f"build process: {memory()}", flush=True)


def serve(args: argparse.Namespace) -> None:
    from threadpoolctl import threadpool_limits

    from matchmaker.recommend.hnsw import HNSWIndex

    folder = Path(args.folder)
    if args.drop_caches:  # as on a machine that has not read this version yet (needs root)
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    before = memory()
    started = time.perf_counter()
    index = HNSWIndex.load(folder, args.dim, mmap=True)
    loaded = time.perf_counter() - started
    after_load = memory()
    truth_vectors = np.load(folder / "truth-vectors.npy", mmap_mode="r")
    rng = np.random.default_rng(11)
    picks = rng.integers(0, len(truth_vectors), args.queries)
    queries = np.asarray(truth_vectors[picks]) + 0.05 * rng.standard_normal(
        (args.queries, args.dim)
    ).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    runs: dict[int, tuple[list[float], list[set[int]]]] = {}
    if args.pause:  # the time a worker's background load takes before it swaps the version in
        time.sleep(args.pause)
    with threadpool_limits(1):  # as a web worker (one math thread)
        for ef in args.ef_search:
            index.ef_search = ef  # what build_index raises until recall@10 reaches 0.95
            latencies, found = [], []
            for q in queries:
                t = time.perf_counter()
                _, ids = index.search(q, 10)
                latencies.append(time.perf_counter() - t)
                found.append(set(np.asarray(ids).ravel().tolist()))
            runs[ef] = latencies, found
    after_queries = memory()
    best = np.full((args.queries, 10), -1, dtype=np.int64)
    score = np.full((args.queries, 10), -np.inf, dtype=np.float32)
    for start in range(0, len(truth_vectors), CHUNK):
        block = np.asarray(truth_vectors[start : start + CHUNK]) @ queries.T  # (n, q)
        top = np.argpartition(-block, 10, axis=0)[:10].T  # (q, 10)
        cand_scores = np.take_along_axis(block.T, top, axis=1)
        merged_ids = np.concatenate([best, top + start], axis=1)
        merged = np.concatenate([score, cand_scores], axis=1)
        keep = np.argsort(-merged, axis=1)[:, :10]
        best = np.take_along_axis(merged_ids, keep, axis=1)
        score = np.take_along_axis(merged, keep, axis=1)
    by_ef = {}
    for ef, (latencies, found) in runs.items():
        ms = sorted(x * 1000 for x in latencies)
        by_ef[ef] = {
            "search_p50_ms": round(statistics.median(ms), 3),
            "search_p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 3),
            "recall_at_10": round(
                statistics.mean(
                    len(found[i] & set(best[i].tolist())) / 10 for i in range(args.queries)
                ),
                4,
            ),
        }
    print(
        json.dumps(
            {
                "load_s": round(loaded, 2),
                "memory_before_mb": before,
                "memory_after_load_mb": after_load,
                "memory_after_queries_mb": after_queries,
                "queries": args.queries,
                "pause_s": args.pause,
                "by_ef_search": by_ef,
            },
            indent=1,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--ef-search",
        type=int,
        nargs="+",
        default=[128, 256, 512, 1024],
        help="efSearch values to measure (build_index doubles it from 128 up to 1024)",
    )
    parser.add_argument("--folder", required=True)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument(
        "--drop-caches",
        action="store_true",
        help="serve step: empty the page cache first, as on a machine new to the index (root)",
    )
    parser.add_argument(
        "--pause", type=float, default=0.0, help="serve step: seconds between load and queries"
    )
    parser.add_argument("--step", choices=("all", "build", "serve"), default="all")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    me = [sys.executable, __file__, "--count", str(args.count), "--dim", str(args.dim)]
    me += ["--queries", str(args.queries), "--folder", args.folder]
    me += ["--ef-search", *map(str, args.ef_search), "--pause", str(args.pause)]
    me += ["--drop-caches"] if args.drop_caches else []
    if args.step == "build":
        build(args)
    elif args.step == "serve":
        serve(args)
    else:  # each step in its own process, so the serving one starts with nothing loaded
        for step in ("build", "serve"):
            subprocess.run([*me, "--step", step], check=True, timeout=args.timeout)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
