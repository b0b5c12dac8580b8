"""Load benchmark of the web app: article pages and uncached asks at concurrency 1, 8 and 32.

Run:  python bench/load.py [--scale 1.0]     (writes bench/results/load.json and the Load
                                              table of docs/benchmarks.md)

The server is the real one, ``medcite serve`` in its own process on 127.0.0.1 (a free port),
over a copy of the starter library with its vectors (built once with ``medcite init`` into
bench/.cache/load-starter, then copied so every run starts without articles). Rate limits are
switched off for the run (MEDCITE_WEB__RATE_LIMITS=false); nothing else is changed.

- article page: GET of an article page (20 articles asked beforehand, both audiences in turn);
- ask: POST /api/v1/ask with a different question every time (topic x question template), so
  every request drafts a new article: retrieval, both audience renderings, storage.

Requests per level are bounded (``--scale`` multiplies them); the client is httpx on asyncio,
one connection per concurrent worker. Goal (issue 5): >= 100 article pages/s and ask
p95 <= 500 ms at concurrency 8, on this 2-core machine (the client shares the cores).

``python bench/load.py --profile 40`` measures what one uncached ask costs instead, in-process
and on the same path as POST /api/v1/ask (``get_or_create_article``, ``article_view``,
``article_out``) over the same store copy: CPU per ask for the whole process and for the
asking thread (the difference is other threads: the lexical search worker and onnxruntime's
intra-op threads), then cProfile's view of the medcite functions. CPU time is far less noisy
than latency on a shared machine; nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from docs_section import write_section
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache" / "load-starter"
RESULTS = ROOT / "bench" / "results" / "load.json"
LEVELS = (1, 8, 32)
PAGE_REQUESTS = {1: 200, 8: 800, 32: 1600}
ASK_REQUESTS = {1: 20, 8: 64, 32: 128}
ARTICLES = 20
GOAL_PAGES_PER_S = 100.0
GOAL_ASK_P95_MS = 500.0
TEMPLATES = [
    "How is {} treated?",
    "How is {} diagnosed?",
    "What are the side effects of treatment for {}?",
    "When should someone with {} get urgent help?",
    "What is the first-line treatment for {} in adults?",
    "What should older adults with {} know?",
    "What can I do at home for {}?",
    "What questions should I ask my doctor about {}?",
]
console = Console()


@dataclass(frozen=True)
class Level:
    """Results of one route at one concurrency."""

    workers: int
    route: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def build_store() -> Path:
    """The starter library with vectors, built once (``medcite init``) and cached."""
    db = CACHE / "medcite.db"
    if not db.exists():
        console.print("building the starter store once (medcite init, with embeddings) …")
        subprocess.run([sys.executable, "-m", "medcite", "init", "--home", str(CACHE)],
                       check=True, stdout=subprocess.DEVNULL)
    return db


def copy_store(source: Path, home: Path) -> None:
    """A consistent copy of the cached store, so each run starts with no articles."""
    home.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(home / "medcite.db") as dst:
        src.backup(dst)
    src.close()
    dst.close()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(home: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """``medcite serve`` in its own process(es); returns once it answers."""
    env = {**os.environ, "MEDCITE_WEB__RATE_LIMITS": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "medcite", "serve", "--home", str(home), "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/topics", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("medcite serve did not start")


def questions(topics: list[str]) -> Iterator[str]:
    """Distinct questions: every template for the first topic, then the next topic, …"""
    for name in topics:
        for template in TEMPLATES:
            yield template.format(name[0].lower() + name[1:])


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def run_level(
    workers: int, route: str, concurrency: int, count: int, request: Request, base: str
) -> Level:
    """``count`` requests by ``concurrency`` workers, each with its own connection."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(count))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            for n in counter:
                started = time.perf_counter()
                try:
                    failed = (await request(client, n)).status_code >= 400
                except httpx.TransportError:  # e.g. a keep-alive connection the server closed
                    failed = True
                latencies.append((time.perf_counter() - started) * 1000)
                errors += failed

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - began
    latencies.sort()
    return Level(workers, route, concurrency, len(latencies), errors, seconds,
                 statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))])


async def measure(base: str, scale: float, workers: int) -> list[Level]:
    """Article pages, then uncached asks, at each concurrency level."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        topics = [t["name"] for t in (await client.get("/api/v1/topics")).json()]
        pool = questions(topics)
        pages = []
        for _ in range(ARTICLES):
            answer = (await client.post("/api/v1/ask", json={"question": next(pool)})).json()
            pages += [answer["audiences"]["clinician"], answer["audiences"]["patient"]]
        for url in pages:  # warm up
            await client.get(url)

    async def page(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get(pages[n % len(pages)])

    async def ask(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.post("/api/v1/ask", json={"question": next(pool)})

    levels = []
    for route, request, counts in (("article page", page, PAGE_REQUESTS),
                                   ("ask (uncached)", ask, ASK_REQUESTS)):
        for concurrency in LEVELS:
            count = max(concurrency, int(counts[concurrency] * scale))
            levels.append(await run_level(workers, route, concurrency, count, request, base))
            console.print(f"  {workers} worker(s), {route} x{concurrency}: done")
    return levels


def report(levels: list[Level], load: tuple[float, float]) -> dict[str, Any]:
    """Print the table and build the results document."""
    table = Table("workers", "route", "concurrency", "requests", "errors", "req/s", "p50 ms",
                  "p95 ms", title="medcite serve on the starter library (loopback)")
    for lv in levels:
        table.add_row(str(lv.workers), lv.route, str(lv.concurrency), str(lv.requests),
                      str(lv.errors), f"{lv.rps:.1f}", f"{lv.p50_ms:.0f}", f"{lv.p95_ms:.0f}")
    console.print(table)
    by = {(lv.workers, lv.route, lv.concurrency): lv for lv in levels}
    summary: dict[str, Any] = {"goal_article_rps": GOAL_PAGES_PER_S,
                               "goal_ask_p95_ms": GOAL_ASK_P95_MS}
    for workers in sorted({lv.workers for lv in levels}):
        pages8, ask8 = by[(workers, "article page", 8)], by[(workers, "ask (uncached)", 8)]
        suffix = "" if workers == 1 else f"_w{workers}"
        summary |= {
            f"article_rps_c8{suffix}": round(pages8.rps, 1),
            f"ask_p95_ms_c8{suffix}": round(ask8.p95_ms, 1),
            f"article_goal_met{suffix}": pages8.rps >= GOAL_PAGES_PER_S,
            f"ask_goal_met{suffix}": ask8.p95_ms <= GOAL_ASK_P95_MS,
        }
        console.print(f"{workers} worker(s): article pages at 8: {pages8.rps:.0f}/s (goal >= "
                      f"{GOAL_PAGES_PER_S:.0f}); ask p95 at 8: {ask8.p95_ms:.0f} ms (goal <= "
                      f"{GOAL_ASK_P95_MS:.0f})")
    return {
        "levels": [{"workers": lv.workers, "route": lv.route, "concurrency": lv.concurrency,
                    "requests": lv.requests, "errors": lv.errors, "seconds": round(lv.seconds, 2),
                    "rps": round(lv.rps, 1), "p50_ms": round(lv.p50_ms, 1),
                    "p95_ms": round(lv.p95_ms, 1)} for lv in levels],
        "summary": summary,
        "environment": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                        "load_average_before": load[0], "load_average_after": load[1]},
        "command": "python bench/load.py",
    }


def write_markdown(results: dict[str, Any]) -> None:
    """The Load table of docs/benchmarks.md (between its markers; the rest is kept)."""
    s = results["summary"]
    env = results["environment"]
    lines = [
        "# Load: the web app on the starter library",
        "",
        "Generated by `bench/load.py` from `bench/results/load.json`: `medcite serve` "
        "(uvicorn, 1 or 2 worker processes) on 127.0.0.1 over the starter library with its "
        "vectors; the httpx client (one keep-alive connection per concurrent worker) runs on "
        f"the same {env['cpu_count']}-core machine, which other work shared (load average "
        f"{env['load_average_before']:.1f} before the run, {env['load_average_after']:.1f} "
        "after). Every ask is a new question, so each one retrieves, renders both audiences, "
        "stores a new article and returns it.",
        "",
        "| workers | route | concurrency | requests | errors | req/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lv in results["levels"]:
        lines.append(f"| {lv['workers']} | {lv['route']} | {lv['concurrency']} | "
                     f"{lv['requests']} | "
                     f"{lv['errors']} | {lv['rps']:.1f} | {lv['p50_ms']:.0f} | "
                     f"{lv['p95_ms']:.0f} |")
    lines += ["", f"Goal: >= {s['goal_article_rps']:.0f} article pages/s and ask p95 <= "
              f"{s['goal_ask_p95_ms']:.0f} ms at concurrency 8. An uncached ask is CPU-bound "
              "(one retrieval and two extractive renderings; the ask rows at concurrency 1 show "
              "its cost), so 8 askers in a closed loop wait for each other's drafts: latency "
              "grows with concurrency while throughput stays at what the cores give. Where an "
              "ask's CPU goes: `python bench/load.py --profile 40` (in-process, on the same "
              "calls as the route)."]
    for workers in sorted({lv["workers"] for lv in results["levels"]}):
        suffix = "" if workers == 1 else f"_w{workers}"
        lines.append(
            f"- {workers} worker(s) (`medcite serve --workers {workers}`): "
            f"{s['article_rps_c8' + suffix]:.0f} pages/s "
            f"({'met' if s['article_goal_met' + suffix] else 'not met'}), ask p95 "
            f"{s['ask_p95_ms_c8' + suffix]:.0f} ms "
            f"({'met' if s['ask_goal_met' + suffix] else 'not met'}).")
    write_section("load", lines)


def run_server(source: Path, workers: int, scale: float) -> list[Level]:
    """One measurement run against a fresh copy of the store."""
    with tempfile.TemporaryDirectory(prefix="medcite-load-") as tmp:
        home = Path(tmp) / "home"
        copy_store(source, home)
        port = free_port()
        server = start_server(home, port, workers)
        try:
            return asyncio.run(measure(f"http://127.0.0.1:{port}", scale, workers))
        finally:
            server.terminate()
            server.wait(timeout=30)


def profile_asks(source: Path, count: int) -> None:
    """CPU per uncached ask in-process (POST /api/v1/ask's calls), then cProfile's top entries."""
    from medcite.review.access import ANONYMOUS
    from medcite.review.publish import Library, get_or_create_article
    from medcite.settings import Settings
    from medcite.types import Audience
    from medcite.web.api import article_out
    from medcite.web.views import article_view

    with tempfile.TemporaryDirectory(prefix="medcite-profile-") as tmp:
        home = Path(tmp) / "home"
        copy_store(source, home)
        library = Library.open(Settings(home=home))
        library.warm_up()
        topics = [topic.name for topic in library.topics.topics()]
        pool = questions(topics)

        def ask_once() -> None:
            article, created = get_or_create_article(library, next(pool))
            asker = ANONYMOUS.model_copy(update={"key": article.preview_key})
            article_out(article_view(library, article.id, Audience.CLINICIAN, asker),
                        created=created)

        for _ in range(ARTICLES):  # as the load run: 20 articles exist before measuring
            ask_once()
        cpu, thread, wall = time.process_time(), time.thread_time(), time.perf_counter()
        for _ in range(count):
            ask_once()
        cpu, thread, wall = (time.process_time() - cpu, time.thread_time() - thread,
                             time.perf_counter() - wall)
        console.print(f"{count} uncached asks: CPU {1000 * cpu / count:.1f} ms/ask (asking "
                      f"thread {1000 * thread / count:.1f} ms, other threads "
                      f"{1000 * (cpu - thread) / count:.1f} ms), wall "
                      f"{1000 * wall / count:.1f} ms/ask (load average "
                      f"{os.getloadavg()[0]:.1f})", soft_wrap=True)
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [ask_once() for _ in range(count)])
        library.store.close()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"medcite/(answer|review|index|web|store)", 30)


def main() -> None:
    """Build or reuse the store, start the server, measure, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the request counts (e.g. 0.2 for a quick run)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="server processes to measure, one run each (default: 1 2)")
    parser.add_argument("--profile", type=int, default=0, metavar="ASKS",
                        help="instead: profile ASKS uncached asks in-process (nothing written)")
    args = parser.parse_args()
    source = build_store()
    if args.profile:
        profile_asks(source, args.profile)
        return
    before = os.getloadavg()[0]
    levels: list[Level] = []
    for workers in args.workers:
        levels += run_server(source, workers, args.scale)
    results = report(levels, (before, os.getloadavg()[0]))
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results)
    console.print(f"wrote {RESULTS.relative_to(ROOT)} and the Load table of docs/benchmarks.md")


if __name__ == "__main__":
    main()
