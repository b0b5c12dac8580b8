"""Small real stores for retrieval tests, embedded with the real model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from index_builders import TINY, add_embedded

from medcite.index.embedder import MiniLMEmbedder
from medcite.settings import Settings
from medcite.store import Store


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    """The real bundled MiniLM model, loaded once per test session."""
    return MiniLMEmbedder()


@pytest.fixture
def tiny_store(store: Store, settings: Settings, embedder: MiniLMEmbedder) -> Iterator[Store]:
    """Five embedded sources, one of them retracted."""
    yield add_embedded(store, settings, embedder, *TINY)
