"""Facts for the "How this answer was made" page: the corpus, its currency, measured results.

Benchmark figures are read from ``bench/results/*.json`` (``web.benchmarks_dir``) when present;
a missing, unreadable or differently shaped file is skipped, never an error.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcite.review.publish import Library
from medcite.types import StoreStats

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured result, as shown: what, value, and the file it comes from."""

    benchmark: str
    measure: str
    value: str
    source: str


@dataclass(frozen=True, slots=True)
class MethodFacts:
    """The corpus and the measurements behind the answers."""

    stats: StoreStats
    newest_year: int | None
    last_ingest: dt.datetime | None
    articles: dict[str, int]
    figures: list[Figure]


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _pct(value: Any) -> str | None:
    return f"{100 * value:.0f}%" if isinstance(value, int | float) else None


def _ms(value: Any) -> str | None:
    return f"{value:.0f} ms" if isinstance(value, int | float) else None


def _num(value: Any) -> str | None:
    return f"{value:.3f}" if isinstance(value, int | float) else None


def _rate(value: Any) -> str | None:
    return f"{value:.0f} /s" if isinstance(value, int | float) else None


# (file, benchmark label, measure label, path in the JSON, formatter)
_FIGURES: list[tuple[str, str, str, tuple[str, ...], Callable[[Any], str | None]]] = [
    ("answers.json", "Answers, starter library", "statements supported by their quotes",
     ("starter", "citation_support"), _pct),
    ("answers.json", "Answers, starter library", "unanswerable questions declined",
     ("starter", "abstention_unanswerable"), _pct),
    ("answers.json", "Answers, starter library", "latency p95", ("starter", "latency", "p95_ms"),
     _ms),
    ("answers.json", "Answers, MedQuAD", "cites the reference answer",
     ("medquad", "cites_reference_answer"), _pct),
    ("answers.json", "Answers, PubMedQA", "cites its own abstract",
     ("pubmedqa", "cites_own_abstract"), _pct),
    ("retrieval-scifact.json", "Retrieval, SciFact", "nDCG@10 (BM25 baseline alongside)",
     ("medcite", "ndcg@10"), _num),
    ("retrieval-scifact.json", "Retrieval, SciFact", "nDCG@10 of BM25", ("bm25", "ndcg@10"), _num),
    ("retrieval-nfcorpus.json", "Retrieval, NFCorpus", "nDCG@10", ("medcite", "ndcg@10"), _num),
    ("retrieval-bioasq.json", "Retrieval, BioASQ", "nDCG@10", ("medcite", "ndcg@10"), _num),
    ("symptoms-phenopackets.json", "Symptom checker, rare diseases", "top-10 accuracy",
     ("medcite", "top10"), _pct),
    ("load.json", "Web app, starter library", "article pages per second (8 at once)",
     ("summary", "article_rps_c8"), _rate),
    ("load.json", "Web app, starter library", "new question p95 (8 at once)",
     ("summary", "ask_p95_ms_c8"), _ms),
]


def benchmark_figures(folder: Path) -> list[Figure]:
    """The headline figures found in ``folder``; files that are missing are left out."""
    loaded: dict[str, Any] = {}
    figures: list[Figure] = []
    for name, benchmark, measure, path, fmt in _FIGURES:
        if name not in loaded:
            loaded[name] = _load(folder / name)
        value = fmt(_get(loaded[name], *path))
        if value is not None:
            figures.append(Figure(benchmark, measure, value, f"bench/results/{name}"))
    return figures


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.debug("no benchmark figures from %s: %s", path, exc)
        return None


def method_facts(library: Library) -> MethodFacts:
    """What the method page shows, read now from the store and the benchmark results."""
    newest_year, last_ingest = library.store.corpus_currency()
    return MethodFacts(
        stats=library.store.stats(),
        newest_year=newest_year,
        last_ingest=last_ingest,
        articles=library.store.article_status_counts(),
        figures=benchmark_figures(library.settings.web.benchmarks_dir),
    )
