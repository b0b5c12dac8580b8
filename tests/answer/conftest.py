"""Answer fixtures: the real hybrid retriever over the shared starter store."""

from __future__ import annotations

import pytest

from medcite.index.retrieve import HybridRetriever
from medcite.settings import Settings
from medcite.store import Store


@pytest.fixture(scope="session")
def starter_retriever(starter_store: Store, starter_settings: Settings) -> HybridRetriever:
    """The production retriever over the starter library (read-only)."""
    return HybridRetriever(starter_store, starter_settings)
