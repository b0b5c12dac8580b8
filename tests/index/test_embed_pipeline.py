"""The embedding step: incremental, resumable, and in step with passage changes."""

from __future__ import annotations

import numpy as np
from index_builders import TINY, add, make_document

from medcite.index.embed_pipeline import embed_missing, embedding_text
from medcite.index.embedder import MiniLMEmbedder
from medcite.settings import IndexSettings, Settings
from medcite.store import Store


class Counter:
    """Records what embed_missing reports."""

    def __init__(self) -> None:
        self.total = -1
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, done: int) -> None:
        self.done += done


def test_every_passage_is_embedded_once(
    store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    add(store, *TINY)
    progress = Counter()
    assert embed_missing(store, settings, progress, embedder=embedder) == len(TINY)
    assert (progress.total, progress.done) == (len(TINY), len(TINY))
    assert embed_missing(store, settings, embedder=embedder) == 0


def test_only_new_passages_are_embedded_later(
    store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    add(store, *TINY[:2])
    embed_missing(store, settings, embedder=embedder)
    add(store, make_document("pmid:8", "Gout", "Allopurinol lowers urate."))
    assert embed_missing(store, settings, embedder=embedder) == 1


def test_small_batches_cover_everything(store: Store, embedder: MiniLMEmbedder,
                                        settings: Settings) -> None:
    add(store, *TINY)
    small = settings.model_copy(update={"index": IndexSettings(embed_batch_size=2)})
    assert embed_missing(store, small, embedder=embedder) == len(TINY)
    assert store.count_missing_vectors(embedder.name) == 0


def test_stored_vectors_equal_the_model_output(
    store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    add(store, TINY[0])
    embed_missing(store, settings, embedder=embedder)
    stored = store.load_vectors(embedder.name, embedder.dim)
    source, passage = TINY[0].source, TINY[0].sections[0].text
    expected = embedder.embed([embedding_text(source.title, passage)])
    assert stored.passage_ids == ["pmid:1#0"]
    np.testing.assert_allclose(stored.matrix, expected, atol=1e-6)


def test_deleting_a_source_deletes_its_vectors(
    store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    add(store, *TINY[:2])
    embed_missing(store, settings, embedder=embedder)
    store.write_batch([], delete_ids=["pmid:1"])
    assert store.load_vectors(embedder.name, embedder.dim).passage_ids == ["pmid:2#0"]
