"""HybridRetriever: fusion of real lexical and dense search, filters, retraction, golden ranks."""

from __future__ import annotations

import pytest

from medcite.index.embedder import MiniLMEmbedder
from medcite.index.retrieve import HybridRetriever
from medcite.settings import IndexSettings, Settings
from medcite.store import Store
from medcite.types import Audience, SearchFilters, SourceKind


def test_both_retrievers_contribute(
    tiny_store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    hits = HybridRetriever(tiny_store, settings, embedder=embedder).search("heart attack", k=3)
    assert hits[0].source_id == "pmid:1"
    assert hits[0].retriever == "hybrid"
    assert hits[0].dense_rank is not None


def test_dense_search_finds_paraphrases_lexical_search_misses(
    tiny_store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    hits = HybridRetriever(tiny_store, settings, embedder=embedder).search(
        "tablets to cut lipids", k=1)
    assert hits[0].source_id == "pmid:2"


def test_without_vectors_search_is_lexical_only(store: Store, settings: Settings) -> None:
    from index_builders import TINY, add

    add(store, *TINY)
    hits = HybridRetriever(store, settings).search("aspirin", k=5)
    assert [h.source_id for h in hits] == ["pmid:1"]
    assert hits[0].retriever == "lexical"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(kinds=[SourceKind.GUIDELINE]), {"doc:htn-clinician"}),
        (SearchFilters(audience=Audience.PATIENT), {"doc:htn-patient", "pmid:1", "pmid:2"}),
        (SearchFilters(year_min=2021), {"doc:htn-patient"}),
        (SearchFilters(year_max=2019), {"doc:htn-clinician"}),
    ],
)
def test_filters_restrict_sources(
    filters: SearchFilters, expected: set[str], tiny_store: Store, settings: Settings,
    embedder: MiniLMEmbedder,
) -> None:
    hits = HybridRetriever(tiny_store, settings, embedder=embedder).search(
        "hypertension medicines", k=10, filters=filters)
    assert {h.source_id for h in hits} == expected


def test_equal_queries_give_identical_rankings(
    tiny_store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    retriever = HybridRetriever(tiny_store, settings, embedder=embedder)
    assert retriever.search("blood pressure", k=5) == retriever.search("blood pressure", k=5)


def test_hits_resolve_to_stored_passages_and_sources(
    tiny_store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    hits = HybridRetriever(tiny_store, settings, embedder=embedder).search("statins", k=5)
    passages = tiny_store.passages([h.passage_id for h in hits])
    sources = tiny_store.sources([h.source_id for h in hits])
    assert set(passages) == {h.passage_id for h in hits}
    assert set(sources) == {h.source_id for h in hits}


# Lexical-only (the session store has no vectors), priors measured from 2026.
GOLDEN_LEXICAL = {
    "antibiotics for community acquired pneumonia": [
        ("doc:community-acquired-pneumonia-clinician#2", 0.735),
        ("doc:community-acquired-pneumonia-clinician#0", 0.7345),
        ("doc:acute-bronchitis-clinician#9", 0.50015),
    ],
    "first-line treatment for HTN": [
        ("doc:hypertension-patient#0", 0.728),
        ("doc:hypertension-patient#1", 0.63865),
        ("doc:first-seizure-epilepsy-clinician#5", 0.62968),
    ],
    "heart attack aspirin": [
        ("doc:chest-pain-patient#5", 0.728),
        ("doc:chest-pain-patient#4", 0.62731),
        ("doc:hyperlipidemia-patient#8", 0.35985),
    ],
    "T2DM metformin": [
        ("doc:type-2-diabetes-clinician#7", 0.735),
        ("doc:type-2-diabetes-clinician#8", 0.62581),
        ("doc:type-2-diabetes-patient#5", 0.61793),
    ],
    "what is baclofen used for": [
        ("doc:baclofen-clinician#4", 0.7338),
        ("doc:baclofen-clinician#3", 0.72493),
        ("doc:baclofen-patient#0", 0.728),
    ],
}


@pytest.mark.sqlite_only("pins FTS5 BM25 scores; PostgreSQL ranks with ts_rank_cd (compared in "
                        "test_the_starter_library_search_agrees_across_backends)")
@pytest.mark.parametrize("question", sorted(GOLDEN_LEXICAL))
def test_golden_lexical_top_passages_on_the_starter_library(
    question: str, starter_store: Store, starter_settings: Settings
) -> None:
    pinned = starter_settings.model_copy(update={"index": IndexSettings(reference_year=2026)})
    hits = HybridRetriever(starter_store, pinned).search(question, k=3)
    assert [h.passage_id for h in hits] == [pid for pid, _ in GOLDEN_LEXICAL[question]]
    assert [h.score for h in hits] == pytest.approx(
        [score for _, score in GOLDEN_LEXICAL[question]], abs=1e-5)
