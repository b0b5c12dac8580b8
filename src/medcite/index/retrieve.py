"""The retrieval use case: question -> ranked, filtered, source-grouped passage hits.

``HybridRetriever`` runs lexical (FTS5 BM25, with medical synonyms) and dense (MiniLM) search,
fuses the two lists, applies evidence priors and filters, and groups passages by source. With
no vectors in the store (``--no-embed``) or no embedder it degrades to lexical search alone.

Example:
    retriever = HybridRetriever(store, settings)
    for hit in retriever.search("first-line treatment for HTN", k=5):
        print(hit.rank, hit.passage_id, hit.score)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
import numpy.typing as npt

from medcite.index.dense import DenseSearcher
from medcite.index.embedder import Embedder, MiniLMEmbedder
from medcite.index.fuse import (
    Scored,
    adaptive_dense_weight,
    evidence_prior,
    group_by_source,
    lexical_flatness,
    reciprocal_rank_fusion,
)
from medcite.index.lexical import LexicalSearcher
from medcite.index.question_types import QuestionType, asked_types, is_question
from medcite.index.vectors import VectorMatch
from medcite.settings import Settings
from medcite.store import LexicalRow, Store
from medcite.types import Hit, SearchFilters

MAX_QUERY_CHARS = 2000  # longer input is cut; the embedder reads 256 tokens at most anyway
ANSWER_TYPE_CANDIDATES = 50  # top fused passages whose openings are read for their answer type


class Retriever(Protocol):
    """Anything that ranks stored passages for a question."""

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first."""
        ...


class HybridRetriever:
    """Lexical + dense retrieval with fusion, evidence priors, filters and MaxP grouping.

    Example:
        retriever = HybridRetriever(store, settings, embedder=MiniLMEmbedder())
        hits = retriever.search("statins after myocardial infarction", k=10)
    """

    def __init__(self, store: Store, settings: Settings, embedder: Embedder | None = None) -> None:
        """Search ``store``; ``embedder`` defaults to the bundled MiniLM (loaded on first use)."""
        self.store = store
        self.settings = settings.index
        self.lexical = LexicalSearcher(store, settings.index)
        self.dense = DenseSearcher(store, embedder if embedder is not None else MiniLMEmbedder(
            threads=settings.index.embed_threads))
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="medcite-lexical")

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query`` (never from retracted sources).

        Any text is accepted: a query without words, or made only of search-syntax
        characters, gives an empty list, never an error.
        """
        query = query[:MAX_QUERY_CHARS]
        if k <= 0 or not query.strip():
            return []
        # Lexical search runs in a worker thread while this one embeds and searches vectors:
        # SQLite, onnxruntime and numpy all release the GIL, so the two overlap.
        pending = self._pool.submit(self.lexical.search, query, self.settings.lexical_depth)
        holders = self._pool.submit(self.lexical.rare_holders, query) \
            if self.settings.rare_concept_penalty and is_question(query) else None
        vector = self.dense.embed_query(query) if self.dense.available else None
        depth = self.settings.dense_depth
        dense = [] if vector is None else self.dense.search_vector(vector, depth)
        # The dense sources are checked while lexical search still runs; then the rest.
        dense_sources = {m.source_id for m in dense}
        allowed = self.store.allowed_sources(sorted(dense_sources), filters)
        lexical = pending.result()
        allowed.update(self.store.allowed_sources(
            sorted({r.source_id for r in lexical} - dense_sources), filters))
        lexical = [r for r in lexical if r.source_id in allowed]
        dense = [m for m in dense if m.source_id in allowed]
        fused = self._fuse(lexical, dense, vector)
        if vector is not None and self.settings.feedback_passages:
            vector = self._feedback(vector, fused)
            fused = self._fuse(lexical, dense, vector)
        fused = self._favour_answer_type(asked_types(query), fused, lexical)
        fused = self._apply_priors(fused, allowed)
        if holders is not None:
            fused = self._require_rare(holders.result(), fused)
        ranked = group_by_source(fused, k=k, per_source=self.settings.per_source)
        return _hits(ranked, lexical, dense)

    def _fuse(
        self,
        lexical: Sequence[LexicalRow],
        dense: Sequence[VectorMatch],
        vector: npt.NDArray[np.float32] | None,
    ) -> list[Scored]:
        sources = {r.passage_id: r.source_id for r in lexical}
        sources.update((m.passage_id, m.source_id) for m in dense)
        # Without dense matches there is nothing to shift weight to: the base share applies.
        lexical_scores = [r.score for r in lexical] if dense else []
        dense_weight = adaptive_dense_weight(
            lexical_scores, self.settings.dense_weight, self.settings.dense_weight_flat
        )
        if self.settings.fusion in ("convex", "zscore"):
            # Dense re-score: the exact cosine of every candidate, lexical-only ones included.
            cosines = {} if vector is None else self._cosines(vector, lexical, dense)
            mix = _convex if self.settings.fusion == "convex" else _zscore
            scores = mix(lexical, dense, cosines, dense_weight)
        else:
            weights = (2 * (1 - dense_weight), 2 * dense_weight)
            scores = reciprocal_rank_fusion(
                [[r.passage_id for r in lexical], [m.passage_id for m in dense]], weights
            )
        return [Scored(pid, sources[pid], score) for pid, score in scores.items()]

    def _cosines(
        self,
        vector: npt.NDArray[np.float32],
        lexical: Sequence[LexicalRow],
        dense: Sequence[VectorMatch],
    ) -> dict[str, float]:
        """The cosine of every candidate: dense matches carry theirs; the others are read."""
        cosines = {m.passage_id: m.score for m in dense}
        missing = [r.passage_id for r in lexical if r.passage_id not in cosines]
        cosines.update(self.dense.similarities(vector, missing))
        return cosines

    def _feedback(
        self, vector: npt.NDArray[np.float32], fused: list[Scored]
    ) -> npt.NDArray[np.float32]:
        """Rocchio feedback in embedding space: move the query towards the top fused passages.

        Rocchio, "Relevance feedback in information retrieval" (1971); applied to dense
        vectors as in Li et al., "Pseudo Relevance Feedback with Deep Language Models and
        Dense Retrievers" (TOIS 2023).
        """
        ranked = sorted(fused, key=lambda s: (-s.score, s.passage_id))
        top = ranked[: self.settings.feedback_passages]
        found = self.dense.index.vectors([s.passage_id for s in top])
        if not len(found):
            return vector
        moved = vector + self.settings.feedback_weight * found.mean(axis=0)
        unit: npt.NDArray[np.float32] = (moved / np.linalg.norm(moved)).astype(np.float32)
        return unit

    def _favour_answer_type(
        self, types: Sequence[QuestionType], fused: list[Scored], lexical: Sequence[LexicalRow]
    ) -> list[Scored]:
        """Raise the top candidates that open like the kind of answer the question asks for.

        The raise grows with the flatness of the lexical scores: when the words already tell
        the candidates apart, the kind of answer matters less (docs/benchmarks.md).
        """
        if not types:
            return fused
        weight = self.settings.answer_type_weight * lexical_flatness([r.score for r in lexical])
        if weight == 0:
            return fused
        top = sorted(fused, key=lambda s: (-s.score, s.passage_id))[:ANSWER_TYPE_CANDIDATES]
        ids = [s.passage_id for s in top]
        leads = self.store.passage_leads(ids, self.settings.answer_type_lead)
        answering = {
            pid for pid, lead in leads.items() if any(t.answered_by(lead) for t in types)
        }
        return [
            Scored(s.passage_id, s.source_id, s.score + weight) if s.passage_id in answering else s
            for s in fused
        ]

    def _require_rare(self, holders: set[str] | None, fused: list[Scored]) -> list[Scored]:
        """Lower the passages lacking every rare word of a question.

        A question about a named thing ("Is MEDI2228 a bispecific antibody?") is answered by
        passages that name it; without this, passages sharing only its common words ("bispecific
        antibody") outrank them. Claims and keyword searches are left alone: abstracts that
        support a claim often word its rare terms differently.
        """
        if holders is None:
            return fused
        penalty = self.settings.rare_concept_penalty
        return [s if s.passage_id in holders else Scored(s.passage_id, s.source_id,
                                                          s.score - penalty) for s in fused]

    def _apply_priors(
        self, fused: list[Scored], allowed: dict[str, tuple[str, str | None, int | None]]
    ) -> list[Scored]:
        weight = self.settings.prior_weight
        if weight == 0:
            return fused
        this_year = self.settings.reference_year or dt.date.today().year
        priors = {
            sid: evidence_prior(kind, study, year, this_year=this_year)
            for sid, (kind, study, year) in allowed.items()
        }
        return [
            Scored(s.passage_id, s.source_id, s.score * (1 + weight * priors[s.source_id]))
            for s in fused
        ]


def _convex(
    lexical: Sequence[LexicalRow],
    dense: Sequence[VectorMatch],
    cosines: dict[str, float],
    dense_weight: float,
) -> dict[str, float]:
    """Mix of max-normalised BM25 and min-max-normalised cosine (Bruch et al., TOIS 2023).

    The cosine range is the dense list's; a passage without a BM25 score counts 0.
    """
    scores: dict[str, float] = {m.passage_id: 0.0 for m in dense}
    if lexical:
        top = max(r.score for r in lexical) or 1.0
        scores.update((r.passage_id, (1 - dense_weight) * r.score / top) for r in lexical)
    if dense and cosines:
        listed = [cosines[m.passage_id] for m in dense if m.passage_id in cosines]
        high, low = max(cosines.values()), min(listed or cosines.values())
        span = (high - low) or 1.0
        for pid, cosine in cosines.items():
            scores[pid] += dense_weight * (cosine - low) / span
    return scores


def _standardise(values: dict[str, float], reference: Sequence[float]) -> dict[str, float]:
    mean, std = float(np.mean(reference)), float(np.std(reference)) or 1.0
    return {key: (value - mean) / std for key, value in values.items()}


def _zscore(
    lexical: Sequence[LexicalRow],
    dense: Sequence[VectorMatch],
    cosines: dict[str, float],
    dense_weight: float,
) -> dict[str, float]:
    """Mix of z-scores: each list standardised by its own mean and spread (CombSUM with z)."""
    ids = {r.passage_id for r in lexical} | {m.passage_id for m in dense}
    lex = _standardise({r.passage_id: r.score for r in lexical}, [r.score for r in lexical]) \
        if lexical else {}
    floor_lex = min(lex.values(), default=0.0)
    den = _standardise(cosines, [m.score for m in dense]) if dense and cosines else {}
    floor_den = min(den.values(), default=0.0)
    return {
        pid: (1 - dense_weight) * lex.get(pid, floor_lex) + dense_weight * den.get(pid, floor_den)
        for pid in ids
    }


def _hits(
    ranked: Sequence[Scored], lexical: Sequence[LexicalRow], dense: Sequence[VectorMatch]
) -> list[Hit]:
    lexical_rank = {r.passage_id: i for i, r in enumerate(lexical, start=1)}
    dense_rank = {m.passage_id: i for i, m in enumerate(dense, start=1)}
    kind = "hybrid" if lexical and dense else ("dense" if dense else "lexical")
    return [
        Hit(
            passage_id=s.passage_id,
            source_id=s.source_id,
            score=s.score,
            rank=rank,
            retriever=kind,
            lexical_rank=lexical_rank.get(s.passage_id),
            dense_rank=dense_rank.get(s.passage_id),
        )
        for rank, s in enumerate(ranked, start=1)
    ]
