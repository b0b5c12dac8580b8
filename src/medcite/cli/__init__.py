"""The ``medcite`` command line: a thin face over the use cases, drawn with Rich.

Commands: init, ingest, sources list|show, stats.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from medcite.cli.console import (
    RichIngestProgress,
    console,
    err_console,
    print_json,
    reports_errors,
    run_embedding,
)
from medcite.ingest.pipeline import ingest_paths
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import IngestReport, SourceKind, dump

app = typer.Typer(
    help="medcite: evidence-cited medical answers from your own corpus.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="Browse stored sources.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data directory (default: $MEDCITE_HOME or ./medcite-data)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
EmbedOption = Annotated[
    bool | None,
    typer.Option(
        "--embed/--no-embed",
        help="Embed new passages for dense search (slow on large corpora; resumable with "
        "`medcite embed`). Default: the index.embed_on_ingest setting.",
    ),
]


def _settings(home: Path | None) -> Settings:
    return Settings(home=home) if home is not None else Settings()


def starter_library() -> Path:
    """Folder of the bundled starter library."""
    return Path(str(resources.files("medcite") / "data" / "starter"))


def _run_ingest(paths: list[Path], store: Store, settings: Settings) -> IngestReport:
    with RichIngestProgress() as progress:
        return ingest_paths(paths, store, settings, progress)


def _print_report(report: IngestReport) -> None:
    console.print(
        f"[bold]{report.files}[/] files, {report.records:,} records: "
        f"[green]{report.added:,} added[/], {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {report.deleted:,} deleted, "
        f"{report.passages:,} passages in {report.seconds:.1f} s"
        + (f"; {report.skipped_files} files already ingested" if report.skipped_files else "")
        + (f"; resumed after {report.resumed_records:,} records" if report.resumed_records else "")
    )
    for error in report.errors[:20]:
        err_console.print(f"[red]rejected:[/] {escape(error)}")
    if len(report.errors) > 20:
        err_console.print(f"[red]… and {len(report.errors) - 20} more rejected[/]")


@app.command()
@reports_errors
def init(
    home: HomeOption = None,
    starter: Annotated[bool, typer.Option(help="Load the bundled starter library.")] = True,
    embed: EmbedOption = None,
) -> None:
    """Create the store (or bring it up to date) and load the starter library."""
    settings = _settings(home)
    store = Store.open(settings)
    console.print(f"store ready at [bold]{escape(settings.store_url)}[/]")
    if starter:
        _finish_ingest(_run_ingest([starter_library()], store, settings), store, settings, embed)


def _finish_ingest(
    report: IngestReport, store: Store, settings: Settings, embed: bool | None
) -> None:
    """Print the report, embed new passages if asked, exit non-zero if anything was rejected."""
    _print_report(report)
    if settings.index.embed_on_ingest if embed is None else embed:
        console.print(f"embedded {run_embedding(store, settings):,} passages")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@reports_errors
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="PubMed XML (.xml/.xml.gz), Markdown or HTML files, or folders of them."
        ),
    ],
    home: HomeOption = None,
    batch_size: Annotated[int | None, typer.Option(help="Records per transaction.")] = None,
    embed: EmbedOption = None,
) -> None:
    """Ingest evidence files; exits non-zero when any record or file was rejected."""
    settings = _settings(home)
    if batch_size is not None:
        settings = settings.model_copy(
            update={"ingest": settings.ingest.model_copy(update={"batch_size": max(1, batch_size)})}
        )
    store = Store.open(settings)
    _finish_ingest(_run_ingest(paths, store, settings), store, settings, embed)


@app.command()
@reports_errors
def stats(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Count stored sources (by kind) and passages."""
    result = Store.open(_settings(home)).stats()
    if as_json:
        print_json(dump(result))
        return
    table = Table("what", "count", title="medcite store")
    table.add_row("sources", f"{result.sources:,}")
    for kind, count in result.by_kind.items():
        table.add_row(f"  {kind}", f"{count:,}")
    table.add_row("retracted", f"{result.retracted:,}")
    table.add_row("passages", f"{result.passages:,}")
    console.print(table)


@sources_app.command("list")
@reports_errors
def sources_list(
    home: HomeOption = None,
    as_json: JsonOption = False,
    kind: Annotated[SourceKind | None, typer.Option(help="Only sources of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List stored sources."""
    found = Store.open(_settings(home)).list_sources(
        kind=kind.value if kind else None, limit=limit, offset=offset
    )
    if as_json:
        print_json([dump(s) for s in found])
        return
    table = Table("id", "kind", "year", "title")
    for source in found:
        table.add_row(
            source.id, source.kind.value, str(source.year or ""), escape(source.title[:90])
        )
    console.print(table)


@sources_app.command("show")
@reports_errors
def sources_show(source_id: str, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show one source with its passages."""
    store = Store.open(_settings(home))
    source = store.get_source(source_id)
    passages = store.passages_of(source_id)
    if as_json:
        print_json({"source": dump(source), "passages": [dump(p) for p in passages]})
        return
    console.print(f"[bold]{escape(source.title)}[/]")
    details = [
        source.kind.value,
        source.study_type,
        source.journal or source.publisher,
        str(source.year or ""),
        source.pmid and f"PMID {source.pmid}",
        source.doi and f"doi:{source.doi}",
        "RETRACTED" if source.retracted else None,
    ]
    console.print(" · ".join(escape(d) for d in details if d))
    for ref in source.based_on:
        console.print(f"  based on: {escape(ref)}")
    for passage in passages:
        console.print(f"\n[cyan]{passage.id}[/] [dim]{escape(passage.section)}[/]")
        console.print(escape(passage.text))


from medcite.cli import ask as _ask  # noqa: E402,F401
from medcite.cli import audit as _audit  # noqa: E402,F401
from medcite.cli import search as _search  # noqa: E402,F401
from medcite.cli import serve as _serve  # noqa: E402,F401
from medcite.cli import symptoms as _symptoms  # noqa: E402,F401
from medcite.cli import transfer as _transfer  # noqa: E402,F401
from medcite.cli import users as _users  # noqa: E402,F401
