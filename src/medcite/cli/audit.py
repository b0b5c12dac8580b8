"""``medcite audit verify|list``: check the hash-chained audit trail, read it line by line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from medcite.cli import HomeOption, JsonOption, _settings, app
from medcite.cli.console import console, err_console, print_json, reports_errors
from medcite.review.audit import audit_line, records, verify
from medcite.store import Store
from medcite.types import dump

audit_app = typer.Typer(help="The audit trail of reviews and accounts.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@reports_errors
def audit_verify(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Walk the hash chain; exit 1 naming the first altered, missing or re-linked row."""
    result = verify(Store.open(_settings(home)))
    if as_json:
        print_json(dump(result))
    elif result.ok:
        console.print(f"audit trail intact: {result.rows:,} rows, head {result.head_hash}")
    else:
        err_console.print(f"[bold red]audit trail broken at row {result.first_bad_seq}:[/] "
                          f"{escape(result.reason or '')}")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("list")
@reports_errors
def audit_list(
    article: Annotated[int | None, typer.Option(help="Only this article's history.")] = None,
    after: Annotated[int, typer.Option(min=0, help="Start after this row number.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print audit rows in order, one line each (control characters escaped)."""
    found = records(Store.open(_settings(home)), article_id=article, after_seq=after,
                    limit=limit)
    if as_json:
        print_json([dump(r) for r in found])
        return
    for record in found:
        typer.echo(audit_line(record))
