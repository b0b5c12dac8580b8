"""Related questions: other stored articles whose questions mean nearly the same thing.

Each article's question is embedded once, when the article is made, with the same MiniLM
model retrieval uses, and stored beside the article. Related questions are the nearest stored
questions by cosine similarity, above a floor so that unrelated questions are never offered.
Without an embedding model (or before any vector exists) it falls back to shared content words.

Example:
    related = RelatedQuestions(store, embedder)
    related.remember(article)
    for other in related.related(article, k=5, keep=lambda a: a.answered):
        print(other.question)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from medcite.answer.question import content_stems
from medcite.errors import MedciteError
from medcite.index.embedder import Embedder
from medcite.store import Store
from medcite.types import Article

log = logging.getLogger(__name__)

# all-MiniLM-L6-v2 cosine: paraphrases and same-topic questions score about 0.5-0.9, questions
# on different conditions mostly below 0.3 (checked on the starter library's topic questions).
MIN_SIMILARITY = 0.35
MIN_SHARED_SHARE = 0.5  # lexical fallback: share of the shorter question's content words
REFRESH_SECONDS = 1.0
_LEXICAL_WINDOW = 500  # the fallback compares with this many newest articles
_OVERFETCH = 4  # candidates fetched per wanted result, before ``keep`` filters them


class SharedEmbedder:
    """An embedder that remembers its latest texts' vectors, shared by retrieval and related
    questions: a new article's question is embedded once, for both (thread-safe).

    Example:
        embedder = SharedEmbedder(MiniLMEmbedder())
        retriever = HybridRetriever(store, settings, embedder=embedder)
        related = RelatedQuestions(store, embedder)
    """

    def __init__(self, inner: Embedder, size: int = 256) -> None:
        """Wrap ``inner``, remembering up to ``size`` texts."""
        self.inner = inner
        self.dim = inner.dim
        self.name = inner.name
        self.size = size
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()

    def warm_up(self) -> None:
        """Load the wrapped model now, if it can be warmed up."""
        warm = getattr(self.inner, "warm_up", None)
        if callable(warm):
            warm()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors of ``texts``; single remembered texts are not embedded again."""
        if len(texts) == 1:
            with self._lock:
                found = self._recent.get(texts[0])
                if found is not None:
                    self._recent.move_to_end(texts[0])
                    return found[np.newaxis, :].copy()
        vectors = self.inner.embed(texts)
        if len(texts) == 1:
            with self._lock:
                self._recent[texts[0]] = vectors[0].copy()
                while len(self._recent) > self.size:
                    self._recent.popitem(last=False)
        return vectors


class RelatedQuestions:
    """Nearest stored questions by embedding similarity; safe to share between threads."""

    def __init__(self, store: Store, embedder: Embedder | None) -> None:
        """Use ``store``'s articles; ``embedder`` None means the word-overlap fallback only."""
        self.store = store
        self.embedder = embedder
        self._lock = threading.Lock()
        self._ids: list[int] = []
        self._matrix: npt.NDArray[np.float32] = np.zeros((0, 1), dtype=np.float32)
        self._rows: dict[int, int] = {}
        self._signature: tuple[int, int] | None = None
        self._checked = 0.0

    def embed(self, question: str) -> npt.NDArray[np.float32] | None:
        """The question's unit vector, or None when no model can be used."""
        if self.embedder is None:
            return None
        try:
            vector: npt.NDArray[np.float32] = self.embedder.embed([question])[0]
        except MedciteError as exc:  # e.g. the model package is missing
            log.warning("related questions without embeddings: %s", exc)
            return None
        return vector

    def remember(self, article: Article) -> None:
        """Embed and store an article's question so that others can find it."""
        vector = self.embed(article.question)
        if vector is not None and self.embedder is not None:
            self.store.save_question_vector(article.id, self.embedder.name, vector)

    def related(
        self, article: Article, *, k: int, keep: Callable[[Article], bool] = lambda _: True,
        exclude: Sequence[int] = (),
    ) -> list[Article]:
        """Up to ``k`` other articles most similar to ``article`` that ``keep`` accepts."""
        if k <= 0:
            return []
        skip = {article.id, *exclude}
        ranked = self._by_embedding(article, k * _OVERFETCH + len(skip))
        if ranked is None:
            ranked = self._by_words(article.question)
        ids = [article_id for article_id in ranked if article_id not in skip]
        return [other for other in self.store.articles(ids) if keep(other)][:k]

    def _by_embedding(self, article: Article, depth: int) -> list[int] | None:
        """Ids of the nearest stored questions above the floor, or None (use the fallback)."""
        if self.embedder is None:
            return None
        ids, matrix, rows = self._current(self.embedder)
        if not ids:
            return None
        row = rows.get(article.id)
        vector = matrix[row] if row is not None else self.embed(article.question)
        if vector is None:
            return None
        scores = matrix @ vector
        order = np.lexsort((np.asarray(ids), -scores))[:depth]
        return [ids[i] for i in order if scores[i] >= MIN_SIMILARITY]

    def _by_words(self, question: str) -> list[int]:
        """Newest articles sharing most of the shorter question's content words."""
        mine = set(content_stems(question))
        if not mine:
            return []
        scored: list[tuple[float, int]] = []
        for other in self.store.list_articles(limit=_LEXICAL_WINDOW):
            theirs = set(content_stems(other.question))
            shared = len(mine & theirs) / max(1, min(len(mine), len(theirs)))
            if shared >= MIN_SHARED_SHARE:
                scored.append((-shared, other.id))
        return [article_id for _, article_id in sorted(scored)]

    def _current(
        self, embedder: Embedder
    ) -> tuple[list[int], npt.NDArray[np.float32], dict[int, int]]:
        """The stored question vectors (ids, matrix, id -> row), re-read when they change."""
        with self._lock:
            now = time.monotonic()
            if self._signature is None or now - self._checked >= REFRESH_SECONDS:
                self._checked = now
                signature = self.store.question_vector_signature(embedder.name)
                if signature != self._signature:
                    ids, matrix = self.store.question_vectors(embedder.name, embedder.dim)
                    self._ids, self._matrix = ids, matrix
                    self._rows = {article_id: row for row, article_id in enumerate(ids)}
                    self._signature = signature
            return self._ids, self._matrix, self._rows
