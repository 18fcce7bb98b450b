"""What a web process pays to load a published index version: seconds per step and memory.

    .venv/bin/python scripts/bench_version_load.py --index-dir /path/to/indexes \
        --embedding-model hashing [--version N] [--compare-fitting]

Each measurement runs in a fresh process (what a web worker is): it loads the version with
``served_engine.load_version`` (profile snapshot, memory-mapped vector indexes, the published
lexical indexes) and reports the wall time of each step (``cProfile`` cumulative times of the
steps, then the total without the profiler), and the process's memory after the load (RSS,
PSS, USS from /proc). ``--compare-fitting`` adds a second process in the same run that ignores
the published lexical indexes and fits them again, as every version load did before they were
published. Nothing is written; the index folder is read only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench_index_scale import memory  # noqa: E402 - this process's RSS, PSS and USS

STEPS = {
    "profile snapshot (decode)": "decode_profiles",
    "published lexical indexes (read)": "_published_lexical",
    "lexical fit (tokenise every text)": "fit",
    "vector indexes (map)": "load_index",
    "kinds (sync)": "sync",
    "mentors' expertise words": "expertise",
    "expertise across languages": "expertise_across",
}


def load_once(args: argparse.Namespace) -> None:
    """One fresh process: load the version, print JSON (run by ``main`` with ``--child``)."""
    import cProfile
    import pstats

    from matchmaker.recommend import store
    from matchmaker.services.recommendations import served_engine
    from matchmaker.services.recommendations.engine_settings import EngineSettings, get_embedder

    settings = EngineSettings(
        Path(args.index_dir), Path(args.model_dir), embedding_model=args.embedding_model
    )
    version = args.version or store.current_version(settings.index_dir)
    if version is None:
        raise SystemExit(f"nothing published under {settings.index_dir}")
    if args.fit:
        served_engine._published_lexical = lambda *a: None  # type: ignore[assignment]
    get_embedder(settings.embedding_model).encode(["warm up"])  # the model is not the load
    before = memory()
    started = time.perf_counter()
    engine = served_engine.load_version(settings, version)
    seconds = time.perf_counter() - started
    after = memory()
    counts = {k: len(v) for k, v in engine.recommender.corpus.profiles.items()}
    del engine
    # The same load again under the profiler, for the split by step (slower than the total).
    profiler = cProfile.Profile()
    profiler.enable()
    served_engine.load_version(settings, version)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    steps: dict[str, float] = {}
    for label, function in STEPS.items():
        found = [v[3] for (_, _, name), v in stats.items() if name == function]
        steps[label] = round(max(found, default=0.0), 2)
    print(
        json.dumps(
            {
                "version": version,
                "profiles": counts,
                "load_seconds": round(seconds, 1),
                "steps_profiled": steps,
                "memory_before_mb": {k: round(v) for k, v in before.items()},
                "memory_after_mb": {k: round(v) for k, v in after.items()},
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--model-dir", default=str(PROJECT / "models"))
    parser.add_argument("--embedding-model", default="use-multilingual-v3")
    parser.add_argument("--version", type=int)
    parser.add_argument("--compare-fitting", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        load_once(args)
        return
    print(f"load average: {os.getloadavg()}", flush=True)
    runs = [("published lexical indexes", [])]
    if args.compare_fitting:
        runs.append(("fitting the lexical indexes (as before)", ["--fit"]))
    for label, extra in runs:
        command = [sys.executable, __file__, "--child", *extra]
        command += ["--index-dir", args.index_dir, "--model-dir", args.model_dir]
        command += ["--embedding-model", args.embedding_model]
        if args.version:
            command += ["--version", str(args.version)]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, check=False
        )
        if done.returncode != 0:
            print(f"{label}: failed\n{done.stderr[-3000:]}", flush=True)
            continue
        print(f"{label}: {done.stdout.strip().splitlines()[-1]}", flush=True)
    print(f"load average: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
