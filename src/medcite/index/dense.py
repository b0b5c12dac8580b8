"""Dense search: embed the question with the bundled MiniLM model and ask the vector index.

Example:
    searcher = DenseSearcher(store, MiniLMEmbedder())
    matches = searcher.search("can statins prevent a second heart attack?", depth=100)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from medcite.index.embedder import Embedder
from medcite.index.pg_vectors import vector_index
from medcite.index.vectors import VectorIndex, VectorMatch
from medcite.store import Store


class DenseSearcher:
    """Cosine similarity between the question's and the passages' MiniLM vectors."""

    def __init__(self, store: Store, embedder: Embedder, index: VectorIndex | None = None) -> None:
        """Search ``store`` with ``embedder``; the default index is exact numpy search, or
        pgvector's on PostgreSQL."""
        self.embedder = embedder
        self.index = index if index is not None else vector_index(
            store, embedder.name, embedder.dim
        )

    @property
    def available(self) -> bool:
        """True when some passages have vectors of this embedder's model."""
        return len(self.index) > 0

    def embed_query(self, query: str) -> npt.NDArray[np.float32]:
        """The query's unit-length vector."""
        vector: npt.NDArray[np.float32] = self.embedder.embed([query])[0]
        return vector

    def search(self, query: str, depth: int) -> list[VectorMatch]:
        """Up to ``depth`` passages, most similar first; [] for a blank query or no vectors."""
        if not query.strip() or not self.available:
            return []
        return self.index.search(self.embed_query(query), depth)

    def search_vector(self, vector: npt.NDArray[np.float32], depth: int) -> list[VectorMatch]:
        """Up to ``depth`` passages nearest to an already embedded query."""
        return self.index.search(vector, depth)

    def similarities(
        self, vector: npt.NDArray[np.float32], passage_ids: Sequence[str]
    ) -> dict[str, float]:
        """Cosine of an embedded query with each listed passage that has a vector."""
        return self.index.similarities(vector, passage_ids)
