"""``medcite export`` and ``medcite import``: back up a store, or move it between databases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medcite import __version__
from medcite.cli import HomeOption, _settings, app
from medcite.cli.console import console, reports_errors
from medcite.store import Store


@app.command("export")
@reports_errors
def export_(
    folder: Annotated[Path, typer.Argument(help="A new or empty folder for the export.")],
    vectors: Annotated[
        bool, typer.Option("--vectors/--no-vectors", help="Include passage vectors (large).")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Export every source, passage, article, review, audit row and feedback to a folder."""
    store = Store.open(_settings(home))
    report = store.export_to(folder, version=__version__, vectors=vectors, on_table=_show)
    console.print(f"exported [bold]{report.total:,}[/] rows to {folder}")


@app.command("import")
@reports_errors
def import_(
    folder: Annotated[Path, typer.Argument(help="A folder written by `medcite export`.")],
    home: HomeOption = None,
) -> None:
    """Import an export into a new, empty store (MEDCITE_DATABASE_URL picks the database)."""
    store = Store.open(_settings(home))
    report = store.import_from(folder, on_table=_show)
    console.print(f"imported [bold]{report.total:,}[/] rows from {folder}")


def _show(table: str, rows: int) -> None:
    console.print(f"  {table:24} {rows:>10,}")
