"""``medcite serve``: the web app and JSON API over the store, with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from medcite.cli import HomeOption, _settings, app
from medcite.cli.console import console, reports_errors


@app.command()
@reports_errors
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: the web.host setting).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="TCP port (default: the web.port setting)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Processes (default: the web.workers setting)."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Serve the web app and the /api/v1 JSON API (Ctrl-C stops it)."""
    from medcite.symptoms.checker import prepare
    from medcite.web.server import run  # lazy: only this command needs the server

    settings = _settings(home)
    prepare(settings.symptoms)  # a bad knowledge file is reported before the banner
    host = host or settings.web.host
    port = port or settings.web.port
    console.print(f"medcite on [bold]http://{escape(host)}:{port}/[/] "
                  f"(API: /api/v1, OpenAPI: /api/v1/openapi.json)")
    run(settings, host=host, port=port, workers=workers or settings.web.workers)
