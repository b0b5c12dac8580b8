"""Real servers and a real browser for the web tests: uvicorn in a thread, Debian chromium.

``serve(app)`` runs an ASGI app with uvicorn on 127.0.0.1 (a free port) in a background thread
and yields its base URL; ``copy_store`` gives a test its own copy of a store (SQLite or
PostgreSQL); ``free_port``, ``store_env`` and ``wait_until_serving`` help tests that start
``medcite serve`` (or another command) in a subprocess.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy.engine import make_url

from medcite.settings import Settings
from pg_server import copy_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
START_TIMEOUT = 30.0


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields ``http://127.0.0.1:PORT``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def copy_store(source: Settings, home: Path) -> Settings:
    """A private copy of ``source``'s store, with ``home`` as its data folder.

    SQLite: the file is copied consistently with SQLite's backup API into ``home``.
    PostgreSQL: a new database is copied from the source's (see ``pg_server.copy_database``).
    Returns default settings for the copy: set other groups with ``model_copy(update=...)``.
    """
    home.mkdir(parents=True, exist_ok=True)
    url = make_url(source.store_url)
    if url.get_backend_name() == "postgresql":
        return Settings(home=home, database_url=copy_database(source.store_url))
    if not Path(str(url.database)).is_file():  # sqlite3 would copy a new, empty file
        raise FileNotFoundError(f"no SQLite store at {url.database}")
    with sqlite3.connect(str(url.database)) as src, sqlite3.connect(home / "medcite.db") as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return Settings(home=home, database_url=None)


def store_env(settings: Settings) -> dict[str, str]:
    """The environment of a ``medcite`` subprocess that should use ``settings``' store."""
    env = {key: value for key, value in os.environ.items() if key != "MEDCITE_DATABASE_URL"}
    if settings.database_url is not None:
        env["MEDCITE_DATABASE_URL"] = settings.database_url
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for a server in a subprocess)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_serving(url: str, server: subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Wait until ``url`` answers 200; fails if the server process exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"medcite serve exited with {server.returncode}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("medcite serve did not start")
