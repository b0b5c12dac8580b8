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
from functools import cache
from typing import Protocol

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from medcite.store import Store, VectorMatrix

# How often a background thread checks the store for new embeddings; searches never wait for
# the check (a COUNT over a large table costs tens of milliseconds).
REFRESH_SECONDS = 1.0
# Binary prefilter (see NumpyVectorIndex.search): used from this many vectors on, keeping
# PREFILTER_FACTOR x depth candidates (at least PREFILTER_MIN_CANDIDATES) for exact scoring.
PREFILTER_MIN = 100_000
PREFILTER_FACTOR = 20
PREFILTER_MIN_CANDIDATES = 2000


_Loaded = tuple[VectorMatrix, dict[str, int], npt.NDArray[np.uint64] | None]


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


@cache
def single_threaded_blas() -> None:
    """Run numpy's BLAS (OpenBLAS) on one thread in this process, once.

    After a multi-threaded matrix product, OpenBLAS keeps its worker threads spinning for a
    while; on a 2-core machine they take the core that the parallel lexical search and the
    query embedding need, and a 200k-passage search got 1.5-2x slower (docs/benchmarks.md).
    Queries are small products (one vector against at most a prefiltered slice or a matrix of
    100k rows), and a server gets its parallelism from concurrent requests instead.
    """
    threadpool_limits(limits=1, user_api="blas")


class NumpyVectorIndex:
    """Exact inner-product search over a store's vectors of one model, loaded lazily.

    Example:
        index = NumpyVectorIndex(store, embedder.name, embedder.dim)
        matches = index.search(embedder.embed(["statins after MI"])[0], depth=100)
    """

    def __init__(self, store: Store, model: str, dim: int,
                 prefilter_min: int = PREFILTER_MIN) -> None:
        """Index ``store``'s vectors of ``model`` (width ``dim``); nothing is loaded yet.
        From ``prefilter_min`` vectors on, search uses the binary prefilter."""
        self.store = store
        self.model = model
        self.dim = dim
        self.prefilter_min = prefilter_min
        single_threaded_blas()
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._signature: tuple[int, int] | None = None
        self._checked = 0.0
        self._refreshing = False

    def __len__(self) -> int:
        """How many passages have a vector (refreshing first if due)."""
        return len(self._current().passage_ids)

    def search(self, vector: npt.NDArray[np.float32], depth: int) -> list[VectorMatch]:
        """The ``depth`` nearest passages, best first; ties broken by passage id.

        From ``prefilter_min`` vectors on, candidates come from a binary (sign-bit) copy of the
        matrix by Hamming distance, ``PREFILTER_FACTOR`` × ``depth`` of them (at least
        ``PREFILTER_MIN_CANDIDATES``), and are then scored exactly: binary quantisation with
        rescoring (Shakir, Aarsen and Lee, "Binary and Scalar Embedding Quantization",
        Hugging Face, 2024). The float matrix is read for the candidates only.
        """
        data, _, bits = self._snapshot()
        count = len(data.passage_ids)
        if count == 0 or depth <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        rows = self._candidates(bits, query, depth) if bits is not None else None
        if rows is None:
            rows = np.arange(count)
            scores = data.matrix @ query
        else:
            scores = data.matrix[rows] @ query
        if depth < len(rows):
            keep = np.argpartition(-scores, depth - 1)[:depth]
            rows, scores = rows[keep], scores[keep]
        # Rows are stored in passage-id order: sorting by (-score, row) breaks ties by id.
        order = np.lexsort((rows, -scores))
        return [VectorMatch(data.passage_ids[rows[i]], data.source_ids[rows[i]], float(scores[i]))
                for i in order]

    def _candidates(self, bits: npt.NDArray[np.uint64], query: npt.NDArray[np.float32],
                    depth: int) -> npt.NDArray[np.intp] | None:
        wanted = max(depth * PREFILTER_FACTOR, PREFILTER_MIN_CANDIDATES)
        if wanted >= bits.shape[1]:
            return None
        code = np.packbits(query > 0).view(np.uint64)
        # bits is word-major (one row per 64-bit word): a few long vector operations.
        distance = np.bitwise_count(bits[0] ^ code[0]).astype(np.uint16)
        for word in range(1, len(code)):
            distance += np.bitwise_count(bits[word] ^ code[word])
        return np.sort(np.argpartition(distance, wanted - 1)[:wanted])

    def similarities(
        self, vector: npt.NDArray[np.float32], passage_ids: Sequence[str]
    ) -> dict[str, float]:
        """Exact cosine of ``vector`` with each listed passage that has a vector."""
        data, rows, _ = self._snapshot()
        found = [(pid, rows[pid]) for pid in passage_ids if pid in rows]
        if not found:
            return {}
        scores = data.matrix[[i for _, i in found]] @ np.asarray(vector, dtype=np.float32)
        return {pid: float(score) for (pid, _), score in zip(found, scores, strict=True)}

    def vectors(self, passage_ids: Sequence[str]) -> npt.NDArray[np.float32]:
        """The stored vectors of the listed passages that have one, in the given order."""
        data, rows, _ = self._snapshot()
        return data.matrix[[rows[pid] for pid in passage_ids if pid in rows]]

    def _snapshot(self) -> _Loaded:
        """The loaded vectors, their row numbers and sign bits (for large indexes). The first
        call loads them; later calls
        never wait: when a refresh is due, a background thread checks the store and swaps
        new vectors in."""
        with self._lock:
            if self._loaded is None:
                self._checked = time.monotonic()
                self._loaded = self._load()
            elif time.monotonic() - self._checked >= REFRESH_SECONDS and not self._refreshing:
                self._checked = time.monotonic()
                self._refreshing = True
                threading.Thread(target=self._refresh, daemon=True).start()
            return self._loaded

    def _current(self) -> VectorMatrix:
        return self._snapshot()[0]

    def _refresh(self) -> None:
        try:
            if self.store.vector_signature(self.model) != self._signature:
                loaded = self._load()
                with self._lock:
                    self._loaded = loaded
        finally:
            self._refreshing = False

    def _load(self) -> _Loaded:
        self._signature = self.store.vector_signature(self.model)
        data = self.store.load_vectors(self.model, self.dim)
        bits = None
        if len(data.passage_ids) >= self.prefilter_min and self.dim % 64 == 0:
            bits = np.ascontiguousarray(np.packbits(data.matrix > 0, axis=1).view(np.uint64).T)
        return data, {pid: i for i, pid in enumerate(data.passage_ids)}, bits
