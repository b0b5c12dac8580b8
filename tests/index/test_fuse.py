"""Fusion arithmetic, priors and source grouping."""

from __future__ import annotations

import pytest

from medcite.index.fuse import (
    FLAT_MATCHES,
    RRF_K,
    Scored,
    adaptive_dense_weight,
    evidence_prior,
    group_by_source,
    lexical_flatness,
    reciprocal_rank_fusion,
)


def test_rrf_sums_reciprocal_ranks_with_k_60() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "c"]])
    assert RRF_K == 60
    assert fused["b"] == 1 / 62 + 1 / 61
    assert fused["a"] == 1 / 61
    assert fused["c"] == 1 / 62


def test_rrf_weights_scale_each_list() -> None:
    fused = reciprocal_rank_fusion([["a"], ["b"]], weights=[2.0, 1.0])
    assert fused["a"] == 2 * fused["b"]


def test_guideline_outranks_case_report_of_the_same_year() -> None:
    guideline = evidence_prior("guideline", None, 2024, this_year=2026)
    case = evidence_prior("research", "case_report", 2024, this_year=2026)
    assert guideline > case


def test_recent_evidence_has_a_higher_prior() -> None:
    new = evidence_prior("research", "rct", 2025, this_year=2026)
    old = evidence_prior("research", "rct", 1990, this_year=2026)
    assert new > old


def test_grouping_keeps_sources_by_best_passage_and_caps_each() -> None:
    items = [Scored("a#0", "a", 0.5), Scored("b#0", "b", 0.9), Scored("a#1", "a", 0.8),
             Scored("b#1", "b", 0.7), Scored("b#2", "b", 0.6)]
    ranked = group_by_source(items, k=10, per_source=2)
    assert [s.passage_id for s in ranked] == ["b#0", "b#1", "a#1", "a#0"]


def test_ties_are_broken_by_passage_id() -> None:
    items = [Scored("z#0", "z", 1.0), Scored("m#0", "m", 1.0), Scored("a#0", "a", 1.0)]
    assert [s.passage_id for s in group_by_source(items, k=3, per_source=1)] == [
        "a#0", "m#0", "z#0"]


def test_flat_lexical_scores_shift_fusion_towards_dense() -> None:
    steep = [10.0, 6.0, 4.0, 3.0, 2.0, 1.0]  # words single out the best candidates
    flat = [10.0, 9.9, 9.8, 9.7, 9.6] + [9.5] * FLAT_MATCHES  # many share the query's words
    assert adaptive_dense_weight(steep, 0.3, 0.7) == 0.3
    assert adaptive_dense_weight(flat, 0.3, 0.7) == 0.7
    middling = adaptive_dense_weight([10.0, 9.0, 8.5, 8.0] + [7.75] * FLAT_MATCHES, 0.3, 0.7)
    assert 0.3 < middling < 0.7


def test_few_passages_sharing_a_rare_word_are_not_flat() -> None:
    # Ten passages holding "GLS-5700" score alike, yet the word has already singled them out.
    few = [10.0, 9.9, 9.8, 9.7, 9.6, 9.5, 9.4, 9.3, 9.2, 9.1]
    assert lexical_flatness(few) == pytest.approx(len(few) / FLAT_MATCHES)
    assert lexical_flatness(few + [9.0] * FLAT_MATCHES) == 1.0


def test_adaptive_fusion_is_off_when_both_weights_are_equal_or_lists_are_short() -> None:
    assert adaptive_dense_weight([1.0] * 10, 0.4, 0.4) == 0.4
    assert adaptive_dense_weight([1.0, 1.0], 0.3, 0.7) == 0.3
    assert adaptive_dense_weight([], 0.3, 0.7) == 0.3
