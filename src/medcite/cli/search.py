"""``medcite search`` and ``medcite embed``: the retriever and the embedding step, from a shell."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from medcite.cli import HomeOption, JsonOption, _settings, app
from medcite.cli.console import console, print_json, reports_errors, run_embedding
from medcite.index.retrieve import HybridRetriever
from medcite.store import Store
from medcite.types import Audience, Hit, Passage, SearchFilters, Source, SourceKind, dump


@app.command()
@reports_errors
def embed(home: HomeOption = None) -> None:
    """Embed stored passages that have no vector yet (resumable: run again after Ctrl-C)."""
    settings = _settings(home)
    count = run_embedding(Store.open(settings), settings)
    console.print(f"embedded [bold]{count:,}[/] passages")


@app.command()
@reports_errors
def search(
    query: Annotated[str, typer.Argument(help="The question or keywords.")],
    k: Annotated[int, typer.Option("--k", min=1, max=1000, help="How many passages.")] = 10,
    kind: Annotated[list[SourceKind] | None, typer.Option(help="Only these kinds.")] = None,
    year_min: Annotated[int | None, typer.Option(help="Earliest publication year.")] = None,
    year_max: Annotated[int | None, typer.Option(help="Latest publication year.")] = None,
    audience: Annotated[Audience | None, typer.Option(help="Only documents for them.")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search the stored evidence: lexical + dense retrieval, fused, retracted sources never."""
    settings = _settings(home)
    store = Store.open(settings)
    filters = SearchFilters(
        kinds=kind or [], year_min=year_min, year_max=year_max, audience=audience
    )
    hits = HybridRetriever(store, settings).search(query, k=k, filters=filters)
    passages = store.passages([h.passage_id for h in hits])
    sources = store.sources([h.source_id for h in hits])
    if as_json:
        print_json([_hit_json(h, passages, sources) for h in hits])
        return
    _print_hits(hits, passages, sources)


def _hit_json(
    hit: Hit, passages: dict[str, Passage], sources: dict[str, Source]
) -> dict[str, object]:
    passage, source = passages.get(hit.passage_id), sources.get(hit.source_id)
    return {
        **dump(hit),
        "title": source.title if source else None,
        "text": passage.text if passage else None,
    }


def _print_hits(hits: list[Hit], passages: dict[str, Passage], sources: dict[str, Source]) -> None:
    if not hits:
        console.print("no matching passages")
        return
    table = Table("#", "score", "passage", "title / text")
    for hit in hits:
        source, passage = sources.get(hit.source_id), passages.get(hit.passage_id)
        title = source.title if source else ""
        text = passage.text if passage else ""
        table.add_row(str(hit.rank), f"{hit.score:.4f}", hit.passage_id,
                      f"[bold]{escape(title)}[/]\n{escape(text[:240])}")
    console.print(table)
