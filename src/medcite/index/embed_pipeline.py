"""The embedding step of ingest: give every passage without a vector one, batch by batch.

Each batch is committed on its own, so an interrupted run loses at most one batch and the next
run resumes where it stopped (it simply finds fewer passages without vectors). Embedding is the
slow part of ingest: about 10-30 passages/s on a 2-core machine (bench/results/embed.json).
"""

from __future__ import annotations

from typing import Protocol

from medcite.index.embedder import Embedder, MiniLMEmbedder
from medcite.settings import Settings
from medcite.store import PendingPassage, Store


class EmbedProgress(Protocol):
    """Receives embedding progress (the CLI draws it as a Rich bar)."""

    def start(self, total: int) -> None:
        """``total`` passages are about to be embedded."""

    def advance(self, done: int) -> None:
        """``done`` more passages were embedded and saved."""


def embedding_text(title: str, text: str) -> str:
    """What is embedded for a passage: its source title, then its text.

    The title gives a passage lifted from the middle of a document its topic; it is left out
    when the passage already begins with it.
    """
    return text if not title or text.startswith(title) else f"{title} {text}"


def embed_missing(
    store: Store,
    settings: Settings,
    progress: EmbedProgress | None = None,
    *,
    embedder: Embedder | None = None,
) -> int:
    """Embed every passage that has no vector of the embedder's model yet.

    Args:
        store: The store to read passages from and save vectors to.
        settings: ``settings.index.embed_batch_size`` passages are embedded and committed
            together.
        progress: Told the total and each finished batch.
        embedder: The model; the bundled MiniLM by default.

    Returns:
        How many passages were embedded.
    """
    batch = settings.index.embed_batch_size
    model = embedder if embedder is not None else MiniLMEmbedder(batch_size=min(batch, 64))
    if progress is not None:
        progress.start(store.count_missing_vectors(model.name))
    done, after = 0, ""
    while pending := store.passages_missing_vectors(model.name, after=after, limit=batch):
        _embed_batch(store, model, pending)
        done += len(pending)
        after = pending[-1].passage_id
        if progress is not None:
            progress.advance(len(pending))
    if done:
        store.refresh_statistics()
    return done


def _embed_batch(store: Store, model: Embedder, pending: list[PendingPassage]) -> None:
    vectors = model.embed([embedding_text(p.title, p.text) for p in pending])
    store.save_vectors(model.name, [p.passage_id for p in pending], vectors)
