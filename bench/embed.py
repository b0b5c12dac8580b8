"""Benchmark medcite's MiniLM embedder on real SciFact abstracts.

Reads the first ``--limit`` passages (title + abstract) of the SciFact corpus in place, embeds
them with batch sizes 16, 32 and 64, prints a table and writes ``bench/results/embed.json``.

Usage::

    .venv/bin/python bench/embed.py --limit 500
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from medcite.index.embedder import MiniLMEmbedder, find_model_dir, load_tokenizer

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "bench" / "scifact" / "corpus.jsonl"
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "embed.json"


def read_passages(corpus: Path, limit: int) -> list[str]:
    """Return the first ``limit`` SciFact documents as ``"title abstract"`` strings.

    Args:
        corpus: SciFact ``corpus.jsonl`` (``title`` plus ``abstract`` as a list of sentences).
        limit: How many documents to read.

    Returns:
        The passages, in file order.
    """
    passages: list[str] = []
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            if len(passages) == limit:
                break
            doc = json.loads(line)
            passages.append(" ".join([doc["title"], *doc["abstract"]]).strip())
    return passages


def token_stats(passages: Sequence[str], max_length: int) -> dict[str, float]:
    """Mean token count after truncation and the share of passages that were truncated.

    Args:
        passages: The texts.
        max_length: The embedder's truncation length.

    Returns:
        ``mean_tokens`` and ``truncated_share``.
    """
    tokenizer = load_tokenizer(find_model_dir(), max_length)
    counts = [len(e.ids) for e in tokenizer.encode_batch(list(passages))]
    return {
        "mean_tokens": sum(counts) / len(counts),
        "truncated_share": sum(c >= max_length for c in counts) / len(counts),
    }


def run_one(passages: Sequence[str], batch_size: int, threads: int) -> dict[str, float]:
    """Time a fresh embedder: model load (cold start) then one pass over ``passages``.

    Args:
        passages: The texts to embed.
        batch_size: The embedder's batch size.
        threads: onnxruntime intra-op threads (0 = onnxruntime's choice).

    Returns:
        ``cold_start_s``, ``embed_s`` and ``passages_per_s``.
    """
    started = time.perf_counter()
    embedder = MiniLMEmbedder(batch_size=batch_size, threads=threads)
    embedder.warm_up()  # graph build + session creation: what a first query pays
    loaded = time.perf_counter()
    embedder.embed(passages)
    done = time.perf_counter()
    return {
        "batch_size": batch_size,
        "cold_start_s": loaded - started,
        "embed_s": done - loaded,
        "passages_per_s": len(passages) / (done - loaded),
    }


def print_table(results: Sequence[dict[str, float]], stats: dict[str, float]) -> None:
    """Print one row per batch size."""
    table = Table(title=f"MiniLM-L6 ONNX, mean {stats['mean_tokens']:.1f} tokens/passage")
    for column in ("batch", "passages/s", "embed s", "cold start s"):
        table.add_column(column, justify="right")
    for row in results:
        table.add_row(
            str(int(row["batch_size"])),
            f"{row['passages_per_s']:.1f}",
            f"{row['embed_s']:.2f}",
            f"{row['cold_start_s']:.2f}",
        )
    Console().print(table)


def environment() -> dict[str, Any]:
    """Versions and hardware the figures were measured on."""
    return {
        "python": platform.python_version(),
        "onnxruntime": version("onnxruntime"),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, run the benchmark, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=2000, help="passages to embed")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--threads", type=int, default=0, help="0 = onnxruntime's choice")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    passages = read_passages(args.corpus, args.limit)
    stats = token_stats(passages, MiniLMEmbedder().max_length)
    results = [run_one(passages, size, args.threads) for size in args.batch_sizes]
    print_table(results, stats)
    report = {
        "corpus": str(args.corpus),
        "passages": len(passages),
        "threads": args.threads,
        **stats,
        "environment": environment(),
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
