"""Terminal output for the CLI: one Rich console, progress bars, and errors without tracebacks."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from medcite.errors import InputError, MedciteError
from medcite.index.embed_pipeline import embed_missing
from medcite.settings import Settings
from medcite.store import Store

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
P = ParamSpec("P")
R = TypeVar("R")


def exit_with_error(error: MedciteError) -> NoReturn:
    """Print one red line (and the hint) and exit: 2 for bad input, 1 otherwise."""
    err_console.print(f"[bold red]error:[/] {escape(error.message)}")
    if error.hint:
        err_console.print(f"[dim]hint: {escape(error.hint)}[/]")
    raise typer.Exit(2 if isinstance(error, InputError) else 1)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn medcite errors, invalid settings and Ctrl-C into a clean message and exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except MedciteError as exc:
            exit_with_error(exc)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            exit_with_error(
                MedciteError(
                    f"invalid setting {where}: {first['msg']}",
                    hint="check your MEDCITE_* environment variables",
                )
            )
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]: run the same command again to resume")
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug: say so in one line rather than a traceback
            err_console.print(f"[bold red]internal error:[/] {escape(type(exc).__name__)}: "
                              f"{escape(str(exc))}")
            err_console.print("[dim]hint: this is a medcite bug; please report it with the "
                              "command you ran[/]")
            raise typer.Exit(70) from None

    return wrapper


def print_json(data: Any) -> None:
    """Print data as JSON on standard output (no colour, no wrapping)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


class RichIngestProgress:
    """Draws ingest progress: a bar over files and a live record count for the current file."""

    def __init__(self) -> None:
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[records]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        )
        self.task = self.bar.add_task("ingesting", total=None, records="")

    def __enter__(self) -> RichIngestProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def files(self, total: int) -> None:
        """Set the number of files."""
        self.bar.update(self.task, total=total)

    def records(self, path: str, count: int) -> None:
        """Show the current file's record count."""
        self.bar.update(self.task, records=f"{_short_name(path)}: {count:,} records")

    def file_done(self, path: str) -> None:
        """Advance by one file."""
        self.bar.update(self.task, advance=1, records=_short_name(path))


def _short_name(path: str) -> str:
    return path if len(path) <= 40 else "…" + path[-39:]


class RichEmbedProgress:
    """Draws the embedding step as a Rich progress bar on standard error."""

    def __init__(self, bar: Progress) -> None:
        """Draw on ``bar`` (already started)."""
        self.bar = bar
        self.task = bar.add_task("embedding passages", total=None)

    def start(self, total: int) -> None:
        """Set the number of passages to embed."""
        self.bar.update(self.task, total=total)

    def advance(self, done: int) -> None:
        """Advance by ``done`` passages."""
        self.bar.update(self.task, advance=done)


def run_embedding(store: Store, settings: Settings) -> int:
    """Embed every passage without a vector, with a progress bar; returns how many."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err_console) as bar:
        return embed_missing(store, settings, RichEmbedProgress(bar))
