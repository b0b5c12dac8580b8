"""Vector indexes over stored passage embeddings, behind one small Protocol.

The default, :class:`NumpyVectorIndex`, keeps every vector of one model in a float32 matrix
and searches it exactly (``X @ q`` + ``argpartition``): about 14 ms at 200k x 384 on two cores
(../shared/DEPENDENCIES.md, "Vector"), fine up to roughly a million passages. faiss or
pgvector can follow behind the same :class:`VectorIndex` interface.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from medcite.store import Store, VectorMatrix

# A search re-reads the vector count at most this often, so new embeddings show up quickly
# without a COUNT query on every search.
REFRESH_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class VectorMatch:
    """One nearest passage: ids and cosine similarity (vectors are unit length)."""

    passage_id: str
    source_id: str
    score: float


class VectorIndex(Protocol):
    """Nearest passages to a query vector."""

    def __len__(self) -> int:
        """How many passages have a vector."""
        ...

    def search(self, vector: npt.NDArray[np.float32], depth: int) -> list[VectorMatch]:
        """The ``depth`` passages with the highest inner product, best first."""
        ...

    def similarities(
        self, vector: npt.NDArray[np.float32], passage_ids: Sequence[str]
    ) -> dict[str, float]:
        """Inner product with each listed passage that has a vector."""
        ...

    def vectors(self, passage_ids: Sequence[str]) -> npt.NDArray[np.float32]:
        """The stored vectors of the listed passages that have one, in the given order."""
        ...


class NumpyVectorIndex:
    """Exact inner-product search over a store's vectors of one model, loaded lazily.

    Example:
        index = NumpyVectorIndex(store, embedder.name, embedder.dim)
        matches = index.search(embedder.embed(["statins after MI"])[0], depth=100)
    """

    def __init__(self, store: Store, model: str, dim: int) -> None:
        """Index ``store``'s vectors of ``model`` (width ``dim``); nothing is loaded yet."""
        self.store = store
        self.model = model
        self.dim = dim
        self._lock = threading.Lock()
        self._data: VectorMatrix | None = None
        self._signature: tuple[int, int] | None = None
        self._checked = 0.0
        self._rows: dict[str, int] = {}

    def __len__(self) -> int:
        """How many passages have a vector (refreshing first if due)."""
        return len(self._current().passage_ids)

    def search(self, vector: npt.NDArray[np.float32], depth: int) -> list[VectorMatch]:
        """The ``depth`` nearest passages, best first; ties broken by passage id."""
        data = self._current()
        count = len(data.passage_ids)
        if count == 0 or depth <= 0:
            return []
        scores = data.matrix @ np.asarray(vector, dtype=np.float32)
        if depth < count:
            top = np.argpartition(-scores, depth - 1)[:depth]
        else:
            top = np.arange(count)
        # Rows are stored in passage-id order: sorting by (-score, row) breaks ties by id.
        top = top[np.lexsort((top, -scores[top]))]
        return [
            VectorMatch(data.passage_ids[i], data.source_ids[i], float(scores[i])) for i in top
        ]

    def similarities(
        self, vector: npt.NDArray[np.float32], passage_ids: Sequence[str]
    ) -> dict[str, float]:
        """Exact cosine of ``vector`` with each listed passage that has a vector."""
        data, rows = self._current(), self._rows
        found = [(pid, rows[pid]) for pid in passage_ids if pid in rows]
        if not found:
            return {}
        scores = data.matrix[[i for _, i in found]] @ np.asarray(vector, dtype=np.float32)
        return {pid: float(score) for (pid, _), score in zip(found, scores, strict=True)}

    def vectors(self, passage_ids: Sequence[str]) -> npt.NDArray[np.float32]:
        """The stored vectors of the listed passages that have one, in the given order."""
        data, rows = self._current(), self._rows
        return data.matrix[[rows[pid] for pid in passage_ids if pid in rows]]

    def _current(self) -> VectorMatrix:
        with self._lock:
            now = time.monotonic()
            if self._data is not None and now - self._checked < REFRESH_SECONDS:
                return self._data
            self._checked = now
            signature = self.store.vector_signature(self.model)
            if self._data is None or signature != self._signature:
                self._data = self.store.load_vectors(self.model, self.dim)
                self._signature = signature
                self._rows = {pid: i for i, pid in enumerate(self._data.passage_ids)}
            return self._data
