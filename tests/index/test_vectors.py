"""The numpy vector index: exact search, the binary prefilter on large indexes, refresh."""

from __future__ import annotations

import time

import numpy as np
import pytest
from index_builders import add, make_document

from medcite.index import vectors
from medcite.index.vectors import NumpyVectorIndex
from medcite.store import Store

MODEL, DIM = "test-model", 64


def _random_store(store: Store, count: int, seed: int = 0) -> np.ndarray:
    add(store, *[make_document(f"pmid:{n}", f"Title {n}", f"Text {n}.") for n in range(count)])
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(count, DIM)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    store.save_vectors(MODEL, [f"pmid:{n}#0" for n in range(count)], matrix)
    return matrix


def test_the_binary_prefilter_keeps_the_nearest_passages_and_exact_scores(store: Store) -> None:
    _random_store(store, 3000)
    exact = NumpyVectorIndex(store, MODEL, DIM)
    prefiltered = NumpyVectorIndex(store, MODEL, DIM, prefilter_min=0)
    rng = np.random.default_rng(1)
    overlap = []
    for _ in range(20):
        query = rng.normal(size=DIM).astype(np.float32)
        query /= np.linalg.norm(query)
        want = exact.search(query, 10)
        got = prefiltered.search(query, 10)  # 2,000 of 3,000 candidates rescored exactly
        overlap.append(len({m.passage_id for m in want} & {m.passage_id for m in got}) / 10)
        scores = [m.score for m in got]
        assert scores == sorted(scores, reverse=True)
        similarities = exact.similarities(query, [m.passage_id for m in got])
        assert all(abs(similarities[m.passage_id] - m.score) < 1e-5 for m in got)
    assert np.mean(overlap) >= 0.9
    assert prefiltered._snapshot()[2] is not None and exact._snapshot()[2] is None


def test_new_vectors_show_up_without_a_search_waiting_for_the_check(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _random_store(store, 5)
    index = NumpyVectorIndex(store, MODEL, DIM)
    assert len(index) == 5
    add(store, make_document("pmid:99", "New", "New text."))
    store.save_vectors(MODEL, ["pmid:99#0"], np.eye(1, DIM, dtype=np.float32))
    monkeypatch.setattr(vectors, "REFRESH_SECONDS", 0.0)
    deadline = time.monotonic() + 10
    while len(index) != 6 and time.monotonic() < deadline:  # the first calls start the check
        time.sleep(0.05)
    assert len(index) == 6
    monkeypatch.setattr(vectors, "REFRESH_SECONDS", 3600.0)
    while index._refreshing and time.monotonic() < deadline:  # a check still running holds a
        time.sleep(0.01)  # connection: let it end before the store closes
