"""Running the web app: uvicorn in one process, or several sharing one listening socket.

Every process builds its own app with ``create_app`` (after it starts, so no model or database
connection crosses a fork). Several processes use both cores of a small machine for drafting,
which is CPU-bound; they share the CSRF signing key, so a form served by one is accepted by
another. Rate limits and caches stay per process.

Example:
    run(Settings(), host="127.0.0.1", port=8000, workers=2)
"""

from __future__ import annotations

import os
import secrets

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from uvicorn.supervisors import Multiprocess

from medcite.settings import Settings


class AppFactory:
    """Builds the app from settings inside each server process (picklable)."""

    def __init__(self, settings: Settings) -> None:
        """Serve with ``settings``."""
        self.settings = settings

    def __call__(self) -> FastAPI:
        """A new app."""
        from medcite.web.app import create_app

        return create_app(self.settings)


def shared_secret(settings: Settings) -> Settings:
    """The settings with a signing key that every process of this start will share."""
    if settings.web.secret_key is not None:
        return settings
    web = settings.web.model_copy(update={"secret_key": SecretStr(secrets.token_urlsafe(32))})
    return settings.model_copy(update={"web": web})


def run(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted (Ctrl-C). Several workers share the cores: unless set, each
    worker's embedding model gets cores / workers threads instead of one per core."""
    if workers > 1 and settings.index.embed_threads == 0:
        threads = max(1, (os.cpu_count() or 1) // workers)
        index = settings.index.model_copy(update={"embed_threads": threads})
        settings = settings.model_copy(update={"index": index})
    config = uvicorn.Config(
        AppFactory(shared_secret(settings)), factory=True, host=host, port=port,
        workers=workers, log_level="info", proxy_headers=True, server_header=False,
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    Multiprocess(config, sockets=[config.bind_socket()]).run()
