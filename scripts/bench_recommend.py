"""Benchmark the recommendation engine on synthetic corpora.

Measures, per corpus size: index build time (exact and HNSW), HNSW recall@10 against exact,
dense top-k search latency (faiss exact, faiss HNSW, numpy brute force), and end-to-end latency
of one ``investors_for_startup`` / ``mentors_for_startup`` / ``equipment_for_need`` request with
the faiss indexes and with a numpy brute-force index swapped in. Corpus vectors come from the
model-free HashingEmbedder over synthetic bilingual texts; the real model's embedding throughput
is measured separately on ``--model-texts`` texts.

    .venv/bin/python scripts/bench_recommend.py            # 10k and 100k per kind (~10 min)
    .venv/bin/python scripts/bench_recommend.py --quick    # 2k and 10k (~2 min)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable, Collection
from datetime import date, timedelta
from typing import Any

import faiss
import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from matchmaker import vocab
from matchmaker.recommend.embedding import (
    DEFAULT_MODEL,
    MINILM_MODEL,
    HashingEmbedder,
    make_embedder,
)
from matchmaker.recommend.hnsw import HNSWIndex, recall_at_k
from matchmaker.recommend.index import ExactIndex
from matchmaker.recommend.ranking import Recommender, RecommenderConfig
from matchmaker.recommend.texts import (
    EquipmentProfile,
    InvestorProfile,
    MentorProfile,
    PortfolioCompany,
    StartupProfile,
)

TOPICS = [
    "battery cathode lithium solid-state electrolyte 电池 正极 材料",
    "soil sensor irrigation farm drone 农业 传感器 灌溉",
    "rehabilitation robot hospital stroke 康复 机器人 医院",
    "perovskite solar film photovoltaic 光伏 薄膜 太阳能",
    "e-commerce marketplace logistics 电商 物流 平台",
    "machine vision inspection defect 机器视觉 检测 缺陷",
    "biopharma antibody drug discovery 抗体 药物 研发",
    "cultural tourism game animation 文旅 游戏 动漫",
    "water treatment membrane pollution 水处理 膜 污染",
    "semiconductor chip packaging 芯片 封装 半导体",
    "industrial design prototyping CNC 工业设计 样机 加工",
    "patent law trademark compliance 专利 知识产权 律师",
]
FILLER = ["team", "product", "customer", "growth", "market", "pilot"]
FILLER += ["团队", "产品", "客户", "市场", "研发", "服务"]


def synthetic_text(rng: np.random.Generator) -> tuple[str, int]:
    topic = int(rng.integers(len(TOPICS)))
    words = TOPICS[topic].split()
    picked = list(rng.choice(words, size=6)) + list(rng.choice(FILLER, size=4))
    rng.shuffle(picked)
    return " ".join(picked), topic


def make_corpus(n: int, seed: int = 0) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    sectors, rounds = list(vocab.SECTORS), list(vocab.ROUNDS)[1:]
    start = date(2022, 1, 1)
    startups, mentors, investors, equipment = [], [], [], []
    for i in tqdm(range(1, n + 1), desc=f"synthetic corpus {n}", unit="profile"):
        text, topic = synthetic_text(rng)
        sec = (sectors[topic % len(sectors)],)
        startups.append(
            StartupProfile(
                id=i,
                name=f"Startup {i}",
                description=text,
                sectors=sec,
                ask_round=rounds[int(rng.integers(len(rounds)))],
                founded_year=2018 + i % 6,
                mentoring_topics=(list(vocab.MENTORING_TOPICS)[topic % 10],),
            )
        )
        mtext, mtopic = synthetic_text(rng)
        mentors.append(
            MentorProfile(
                id=i,
                name=f"Mentor {i}",
                expertise=mtext,
                sectors=(sectors[mtopic % len(sectors)],),
                capacity_per_month=int(rng.integers(0, 6)),
                past_mentee_ids=tuple(int(x) for x in rng.integers(1, n + 1, rng.integers(0, 5))),
                past_mentee_dates=tuple(
                    start + timedelta(days=int(d)) for d in rng.integers(0, 1000, 5)
                ),
            )
        )
        itext, itopic = synthetic_text(rng)
        k = int(rng.integers(0, 8))
        investors.append(
            InvestorProfile(
                id=i,
                name=f"Fund {i}",
                thesis=itext,
                sectors=(sectors[itopic % len(sectors)],),
                stages=tuple(sorted(set(rng.choice(rounds, size=2).tolist()))),
                portfolio=tuple(
                    PortfolioCompany(
                        company=f"Startup {s}",
                        startup_id=int(s),
                        date=start + timedelta(days=int(rng.integers(1000))),
                    )
                    for s in rng.integers(1, n + 1, k)
                ),
            )
        )
        etext, _ = synthetic_text(rng)
        equipment.append(
            EquipmentProfile(
                id=i,
                name=f"Instrument {i}",
                description=etext,
                category="testing",
                free_hours_next_14d=float(rng.integers(0, 40)),
            )
        )
    return {"startup": startups, "mentor": mentors, "investor": investors, "equipment": equipment}


class NumpyIndex:
    """Brute-force numpy index (same contract, no faiss) for the comparison."""

    index_type = "numpy"

    def __init__(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._ids = np.asarray(ids, dtype=np.int64)
        self._vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        self._row = {int(i): r for r, i in enumerate(self._ids.tolist())}
        self.dim = self._vecs.shape[1]

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, item: object) -> bool:
        return item in self._row

    def search(
        self, queries: Any, k: int, allowed_ids: Collection[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        sims = q @ self._vecs.T
        if allowed_ids is not None:
            mask = np.full(len(self._ids), -np.inf, dtype=np.float32)
            mask[[self._row[i] for i in allowed_ids if i in self._row]] = 0
            sims = sims + mask
        take = min(k, len(self._ids))
        part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        order = np.take_along_axis(part, np.argsort(-np.take_along_axis(sims, part, 1), 1), 1)
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        ids = np.full((len(q), k), -1, dtype=np.int64)
        scores[:, :take] = np.take_along_axis(sims, order, 1)
        ids[:, :take] = self._ids[order]
        ids[np.isneginf(scores)] = -1
        return scores, ids

    def get_vectors(self, ids: Any) -> np.ndarray:
        return self._vecs[[self._row[int(i)] for i in np.asarray(ids).ravel()]]

    def ids(self) -> np.ndarray:
        return self._ids.copy()


def timed(fn: Callable[[], Any], repeats: int, desc: str) -> tuple[float, float]:
    """(p50, p95) in milliseconds over ``repeats`` calls after 5 warm-up calls.

    One thread per request, as a web worker runs it: BLAS and OpenMP pools otherwise fight over
    the cores and make single-query latency worse, not better.
    """
    samples = []
    faiss.omp_set_num_threads(1)
    with threadpool_limits(1):
        for _ in range(5):
            fn()
        for _ in tqdm(range(repeats), desc=desc, unit="req", leave=False):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    q = statistics.quantiles(samples, n=100)
    return statistics.median(samples), q[94]


def bench_size(n: int, repeats: int, rows: list[str], approximate_above: int | None = None) -> None:
    corpus = make_corpus(n)
    embedder = HashingEmbedder()
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    texts = [p.description for p in corpus["startup"]]
    embedder.encode(texts[: min(n, 5000)], batch_size=1024)
    hashing_rate = min(n, 5000) / (time.perf_counter() - t0)
    # approximate_above < n: HNSW for every kind at this size (recall measured at build).
    if approximate_above is None:
        approximate_above = min(50_000, n // 2)
    config = RecommenderConfig(approximate_above=approximate_above)
    rec = Recommender(embedder, config=config, show_progress=True)
    build: dict[str, float] = {}
    for kind in ("startup", "mentor", "investor", "equipment"):
        t0 = time.perf_counter()
        rec.sync(kind, corpus[kind])
        build[kind] = time.perf_counter() - t0
    vecs = rec.corpus.index("investor").all_vectors()  # type: ignore[attr-defined]
    ids = rec.corpus.index("investor").ids()
    t0 = time.perf_counter()
    exact = ExactIndex(vecs.shape[1])
    exact.add(ids, vecs)
    exact_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    hnsw = HNSWIndex(vecs.shape[1])
    hnsw.add(ids, vecs)
    hnsw_build = time.perf_counter() - t0
    hnsw.ef_search = getattr(rec.corpus.index("investor"), "ef_search", hnsw.ef_search)
    queries = rec.corpus.index("startup").get_vectors(rng.integers(1, n + 1, 200))
    recall = recall_at_k(hnsw, exact, queries)
    numpy_index = NumpyIndex(ids, vecs)
    q1 = queries[:1]
    search = {
        name: timed(lambda ix=ix: ix.search(q1, 10), repeats, f"search {name}")
        for name, ix in (("faiss exact", exact), ("faiss hnsw", hnsw), ("numpy brute", numpy_index))
    }
    sids = rng.integers(1, n + 1, repeats + 5)
    it = iter(np.resize(sids, 10 * (repeats + 5)).tolist())

    def requests() -> dict[str, tuple[float, float]]:
        return {
            "investors_for_startup": timed(
                lambda: rec.investors_for_startup(next(it), k=10), repeats, "investors"
            ),
            "mentors_for_startup": timed(
                lambda: rec.mentors_for_startup(next(it), k=10), repeats, "mentors"
            ),
            "equipment_for_need": timed(
                lambda: rec.equipment_for_need("XRD 电池 正极 testing", k=10), repeats, "equip"
            ),
        }

    faiss_path = requests()
    saved = dict(rec.corpus.indexes)
    for kind, ix in saved.items():
        rec.corpus.indexes[kind] = NumpyIndex(ix.ids(), ix.all_vectors())  # type: ignore
    numpy_path = requests()
    rec.corpus.indexes.update(saved)
    rows.append(f"\n### {n:,} profiles per kind\n")
    rows.append(
        "- build (embed + index + lexical), s: "
        + ", ".join(f"{k} {v:.1f}" for k, v in build.items())
    )
    rows.append(
        "- index types: "
        + ", ".join(f"{k} {type(v).__name__}" for k, v in rec.corpus.indexes.items())
    )
    rows.append(
        "- recall@10 measured at build (manifest): "
        + ", ".join(f"{k} {v:.3f}" for k, v in rec.corpus.recall.items() if v is not None)
    )
    rows.append(
        f"- investor index alone: exact build {exact_build:.2f} s, HNSW build "
        f"{hnsw_build:.1f} s, HNSW recall@10 vs exact {recall:.3f} "
        f"(efSearch {hnsw.ef_search}, 200 startup queries)"
    )
    rows.append(f"- HashingEmbedder throughput: {hashing_rate:,.0f} profiles/s")
    rows.append("\n| dense top-10 search | p50 ms | p95 ms |\n|---|---:|---:|")
    rows.extend(f"| {k} | {a:.2f} | {b:.2f} |" for k, (a, b) in search.items())
    rows.append(
        "\n| request (k=10) | faiss p50 | faiss p95 | numpy p50 | numpy p95 |"
        "\n|---|---:|---:|---:|---:|"
    )
    for name in faiss_path:
        (a, b), (c, d) = faiss_path[name], numpy_path[name]
        rows.append(f"| {name} | {a:.1f} | {b:.1f} | {c:.1f} | {d:.1f} |")


def bench_model(
    n_texts: int, rows: list[str], models: tuple[str, ...] = (DEFAULT_MODEL, MINILM_MODEL)
) -> None:
    """Load time and embedding throughput of each model, one after the other, on the same
    synthetic texts (same process, same load), so the comparison within a run is fair."""
    rng = np.random.default_rng(2)
    texts = [synthetic_text(rng)[0] + " " + synthetic_text(rng)[0] for _ in range(n_texts)]
    for name in models:
        embedder = make_embedder(name)
        t0 = time.perf_counter()
        embedder.encode(["warm-up"])  # loads the model
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        embedder.encode(texts, batch_size=64, show_progress=True)
        rate = n_texts / (time.perf_counter() - t0)
        rows.append(
            f"- real model {embedder.model_id}: load {load_s:.1f} s, "
            f"{rate:,.0f} profiles/s on {n_texts} texts (batch 64, CPU,"
            f" load average {os.getloadavg()[0]:.1f} at the end)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k and 10k instead of 10k and 100k")
    parser.add_argument("--sizes", type=int, nargs="*")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--model-texts", type=int, default=2000)
    parser.add_argument(
        "--models",
        nargs="*",
        default=[DEFAULT_MODEL, MINILM_MODEL],
        help="EMBEDDING_MODEL values to measure (default: the default and MiniLM)",
    )
    parser.add_argument("--only-models", action="store_true", help="skip the latency runs")
    parser.add_argument(
        "--approximate-above",
        type=int,
        help="HNSW past this many vectors in the recommender (default: half the corpus); the "
        "investor HNSW index is always built and measured on its own",
    )
    args = parser.parse_args()
    sizes = args.sizes or ([2_000, 10_000] if args.quick else [10_000, 100_000])
    rows = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"faiss {faiss.__version__} ({faiss.omp_get_max_threads()} threads), "
        f"python {platform.python_version()}, load average at start "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    ]
    print(rows[0], flush=True)
    if args.model_texts:
        rows = []
        bench_model(args.model_texts, rows, tuple(args.models))
        print("\n".join(rows), flush=True)
    for n in [] if args.only_models else sizes:
        rows = []  # printed per size, so a long run shows results as they come
        bench_size(n, args.repeats, rows, args.approximate_above)
        print("\n".join(rows), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
