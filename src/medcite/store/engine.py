"""Engines for the store: SQLite with WAL and foreign keys by default; PostgreSQL by URL.

``MEDCITE_DATABASE_URL=postgresql://user:password@host/db`` selects PostgreSQL through psycopg 3
(the ``postgres`` extra); ``postgresql+psycopg://`` means the same. Callers never see which.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url

from medcite.errors import ConfigurationError, DependencyMissingError, StoreError

POSTGRES_DRIVER = "postgresql+psycopg"
_INSTALL_HINT = "install the PostgreSQL extra: pip install 'medcite[postgres]'"


def database_url(url: str | URL) -> URL:
    """``url`` with PostgreSQL pointed at psycopg 3 (``postgresql://`` has no driver named).

    Raises:
        ConfigurationError: A PostgreSQL URL names another driver (psycopg2, asyncpg, ...).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return parsed
    if parsed.drivername == "postgresql":
        return parsed.set(drivername=POSTGRES_DRIVER)
    if parsed.drivername != POSTGRES_DRIVER:
        raise ConfigurationError(
            f"unsupported PostgreSQL driver {parsed.get_driver_name()!r}",
            hint="medcite talks to PostgreSQL through psycopg 3: use a postgresql:// URL",
        )
    return parsed


def make_engine(url: str | URL) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder created and pragmas set."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(parsed)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _postgres_engine(url: URL) -> Engine:
    for module in ("psycopg", "pgvector"):
        if importlib.util.find_spec(module) is None:
            raise DependencyMissingError(
                f"the PostgreSQL store needs the {module!r} package", hint=_INSTALL_HINT
            )
    # pre_ping drops connections a restarted server or a proxy closed while idle.
    return create_engine(
        url, pool_pre_ping=True, connect_args={"application_name": "medcite"}
    )


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # WAL lets readers (the web app) work while an ingest writes; NORMAL sync is safe with WAL.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"cannot open the SQLite store: {exc}", hint="check that the file is a medcite database"
        ) from exc
    finally:
        cursor.close()
