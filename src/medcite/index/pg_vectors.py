"""A vector index that the database runs: pgvector's HNSW index on PostgreSQL.

Nothing is loaded into memory: each search is one indexed query (cosine distance), so several
web workers share one index and new embeddings are searchable as soon as they are committed.
:func:`vector_index` picks it for stores that search vectors themselves, and the exact numpy
index for the others (SQLite).

Example:
    index = vector_index(store, embedder.name, embedder.dim)
    matches = index.search(embedder.embed(["statins after MI"])[0], depth=100)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from medcite.index.vectors import REFRESH_SECONDS, NumpyVectorIndex, VectorIndex, VectorMatch
from medcite.store import Store


def vector_index(store: Store, model: str, dim: int) -> VectorIndex:
    """The best vector index for ``store``: pgvector when it has it, else exact numpy."""
    if store.searches_vectors:
        return PgVectorIndex(store, model, dim)
    return NumpyVectorIndex(store, model, dim)


class PgVectorIndex:
    """Nearest passages by cosine, found by the database (pgvector HNSW, approximate).

    Example:
        index = PgVectorIndex(store, embedder.name, embedder.dim)
        matches = index.search(embedder.embed(["statins after MI"])[0], depth=100)
    """

    def __init__(self, store: Store, model: str, dim: int) -> None:
        """Search ``store``'s vectors of ``model`` (width ``dim``)."""
        self.store = store
        self.model = model
        self.dim = dim
        self._lock = threading.Lock()
        self._count = 0
        self._counted = -REFRESH_SECONDS

    def __len__(self) -> int:
        """How many passages have a vector (counted at most once per ``REFRESH_SECONDS``)."""
        with self._lock:
            if time.monotonic() - self._counted >= REFRESH_SECONDS:
                self._count = self.store.vector_count(self.model)
                self._counted = time.monotonic()
            return self._count

    def search(self, vector: npt.NDArray[np.float32], depth: int) -> list[VectorMatch]:
        """The ``depth`` nearest passages, best first; ties broken by passage id."""
        if depth <= 0:
            return []
        rows = self.store.nearest_vectors(self.model, self.dim, vector, depth)
        matches = [VectorMatch(pid, sid, score) for pid, sid, score in rows]
        return sorted(matches, key=lambda m: (-m.score, m.passage_id))

    def similarities(
        self, vector: npt.NDArray[np.float32], passage_ids: Sequence[str]
    ) -> dict[str, float]:
        """Exact cosine of ``vector`` with each listed passage that has a vector."""
        return self.store.vector_similarities(self.model, vector, passage_ids)

    def vectors(self, passage_ids: Sequence[str]) -> npt.NDArray[np.float32]:
        """The stored vectors of the listed passages that have one, in the given order."""
        return self.store.vectors_of(self.model, self.dim, passage_ids)
