"""Fixtures of the contract tests: each runs on SQLite and on PostgreSQL (see tests/conftest.py).

Contract tests state what every store backend must do, once, so the two databases cannot
drift apart: ``backend_store`` is a fresh store per test, ``starter`` the starter library
loaded once per backend and session (shared: treat it as read-only).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from contract_corpus import TINY, add

from medcite.cli import starter_library
from medcite.index.embed_pipeline import embed_missing
from medcite.index.embedder import MiniLMEmbedder
from medcite.ingest.pipeline import ingest_paths
from medcite.settings import Settings
from medcite.store import Store

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]


@pytest.fixture(scope="session")
def contract_embedder() -> MiniLMEmbedder:
    """The real bundled MiniLM model, loaded once per session."""
    return MiniLMEmbedder()


@pytest.fixture
def tiny_store(
    backend_store: Store, backend_settings: Settings, contract_embedder: MiniLMEmbedder
) -> Store:
    """Five embedded sources (one retracted) on the backend under test."""
    add(backend_store, *TINY)
    embed_missing(backend_store, backend_settings, embedder=contract_embedder)
    return backend_store


@pytest.fixture(scope="session", params=BACKENDS)
def starter(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, Settings]]:
    """The starter library (not embedded) on each backend, loaded once per session."""
    if request.param == "sqlite":
        yield request.getfixturevalue("starter_store"), request.getfixturevalue("starter_settings")
        return
    server = request.getfixturevalue("pg_server")
    name = server.create_database()
    settings = Settings(home=tmp_path_factory.mktemp("pg-starter"), database_url=server.url(name))
    store = Store.open(settings)
    report = ingest_paths([starter_library()], store, settings)
    assert report.ok, report.errors
    yield store, settings
    store.close()
    server.drop_database(name)
