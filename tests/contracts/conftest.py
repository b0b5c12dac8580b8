"""Fixtures of the contract tests: each runs on SQLite and on PostgreSQL (see tests/conftest.py).

Contract tests state what every store backend must do, once, so the two databases cannot
drift apart: ``backend_store`` is a fresh store per test, ``starter`` the starter library
loaded once per backend and session (shared: treat it as read-only).
"""

from __future__ import annotations

import pytest
from contract_corpus import TINY, add

from medcite.index.embed_pipeline import embed_missing
from medcite.index.embedder import MiniLMEmbedder
from medcite.settings import Settings
from medcite.store import Store


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


@pytest.fixture(scope="session")
def starter(starter_store: Store, starter_settings: Settings) -> tuple[Store, Settings]:
    """The starter library (not embedded) on each backend, loaded once per session."""
    return starter_store, starter_settings
