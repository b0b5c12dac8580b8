"""Fusion and ranking: combine lexical and dense lists, apply evidence priors, group by source.

Every sort has an explicit tie-breaker (``-score``, then id), so equal inputs always give the
same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Reciprocal rank fusion constant: Cormack, Clarke & Buettcher, "Reciprocal Rank Fusion
# outperforms Condorcet and individual Rank Learning Methods", SIGIR 2009 (k = 60).
RRF_K = 60

# Evidence-kind priors in [0, 1], following the levels of evidence of the Oxford Centre for
# Evidence-Based Medicine (OCEBM Levels of Evidence Working Group, 2011): guidelines and
# systematic reviews above trials, trials above observational studies, above case reports.
STUDY_TYPE_PRIOR: Mapping[str, float] = {
    "guideline": 1.0,
    "systematic_review": 0.9,
    "meta_analysis": 0.9,
    "rct": 0.7,
    "clinical_trial": 0.5,
    "review": 0.4,
    "observational": 0.3,
    "case_report": 0.1,
    "opinion": 0.0,
}
KIND_PRIOR: Mapping[str, float] = {"guideline": 1.0, "patient_info": 0.6, "research": 0.3}
# Recency: full credit for the last RECENT_YEARS, none after STALE_YEARS, linear between.
RECENT_YEARS, STALE_YEARS = 5, 20
# Query-adaptive fusion: the ratio of the FLAT_RANK-th to the best BM25 score says how well the
# words separate the candidates; from FLAT_LOW to FLAT_HIGH the dense share moves from its low
# to its high value. medcite's own heuristic, measured on four benchmarks (docs/benchmarks.md).
FLAT_RANK, FLAT_LOW, FLAT_HIGH = 5, 0.6, 0.95
# Flat scores among few matches mean something else: a rare word ("GLS-5700") that the few
# passages holding it share. Below FLAT_MATCHES lexical matches the flatness shrinks in
# proportion (BioASQ +0.002, NFCorpus +0.003, SciFact and MedQuAD unchanged).
FLAT_MATCHES = 100


@dataclass(frozen=True, slots=True)
class Scored:
    """A passage with its source and a score (higher is better)."""

    passage_id: str
    source_id: str
    score: float


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> dict[str, float]:
    """Weighted RRF: ``score(d) = sum_i w_i / (k + rank_i(d))`` with 1-based ranks.

    Args:
        rankings: Ranked id lists, best first.
        weights: One weight per list (default 1.0 each).
        k: The RRF constant (60 in Cormack et al. 2009).
    """
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def lexical_flatness(lexical_scores: Sequence[float]) -> float:
    """How little the lexical scores separate the top candidates, from 0 (steep) to 1 (flat).

    Flat scores (the 5th close to the 1st) mean the words cannot tell the candidates apart,
    as with consumer questions whose words every answer on the topic shares. Fewer than
    ``FLAT_RANK`` scores count as steep, and fewer than ``FLAT_MATCHES`` as partly steep:
    few passages sharing the words single them out however alike their scores.
    """
    if len(lexical_scores) < FLAT_RANK:
        return 0.0
    scores = sorted(lexical_scores, reverse=True)
    ratio = scores[FLAT_RANK - 1] / scores[0] if scores[0] > 0 else 1.0
    flatness = min(1.0, max(0.0, (ratio - FLAT_LOW) / (FLAT_HIGH - FLAT_LOW)))
    return flatness * min(1.0, len(scores) / FLAT_MATCHES)


def adaptive_dense_weight(lexical_scores: Sequence[float], low: float, high: float) -> float:
    """The dense share of a fusion: ``low``, rising to ``high`` as the lexical scores flatten."""
    return low + (high - low) * lexical_flatness(lexical_scores)


def evidence_prior(
    kind: str, study_type: str | None, year: int | None, *, this_year: int
) -> float:
    """Prior belief in a source, in [0, 1]: half evidence level, half recency."""
    level = STUDY_TYPE_PRIOR.get(study_type or "", KIND_PRIOR.get(kind, 0.0))
    if year is None:
        recency = 0.0
    else:
        age = max(0, this_year - year)
        recency = min(1.0, max(0.0, (STALE_YEARS - age) / (STALE_YEARS - RECENT_YEARS)))
    return 0.5 * level + 0.5 * recency


def group_by_source(items: Sequence[Scored], *, k: int, per_source: int) -> list[Scored]:
    """The best ``k`` passages, sources ordered by their best passage (MaxP).

    A source's passages follow each other, best first, at most ``per_source`` of them.
    """
    ordered = sorted(items, key=lambda s: (-s.score, s.passage_id))
    by_source: dict[str, list[Scored]] = {}
    for item in ordered:
        by_source.setdefault(item.source_id, []).append(item)
    result: list[Scored] = []
    for group in by_source.values():  # insertion order = order of each source's best passage
        result.extend(group[:per_source])
        if len(result) >= k:
            break
    return result[:k]
