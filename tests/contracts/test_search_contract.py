"""What every backend's search does: safe full text over any input (R-SEC-1), no retracted
sources, dense search over stored vectors, and the same fusion on top. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from contract_corpus import add, document

from medcite.index.embedder import MiniLMEmbedder
from medcite.index.lexical import LexicalSearcher, concepts
from medcite.index.retrieve import HybridRetriever
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import SearchFilters, SourceKind

# R-SEC-1: search syntax of FTS5, tsquery and SQL in user text is just (dropped) punctuation.
HOSTILE = [
    '"', "*", "NEAR(", "-", ":", "'; DROP TABLE articles;--", "asthma & | ! <-> inhaler",
    "asthma:* & !inhaler", "NEAR(asthma inhaler, 2)", "title:asthma", '"asthma', "asthma OR",
    "AND OR NOT", "1=1 UNION SELECT * FROM sources", "(((", "{title text}: asthma", "\x00",
    "herself itself", "é ü ß 漢字", "asthma " * 400,
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_give_results_or_nothing_never_an_error(
    query: str, starter: tuple[Store, Settings]
) -> None:
    store, settings = starter
    hits = HybridRetriever(store, settings).search(query, k=5)
    assert all(h.rank == i for i, h in enumerate(hits, start=1))
    for mode in ("all", "any"):
        rows = store.lexical_search(concepts(query), mode=mode, depth=5)
        assert len(rows) <= 5


def test_all_concepts_must_match_unless_any_is_asked(tiny_store: Store) -> None:
    both = [[("aspirin",)], [("statin",)]]
    assert tiny_store.lexical_search(both, mode="all", depth=10) == []
    found = {r.source_id for r in tiny_store.lexical_search(both, mode="any", depth=10)}
    assert found == {"pmid:1", "pmid:2", "pmid:3"}


def test_phrases_stems_and_title_words_match(tiny_store: Store) -> None:
    def sources(*alternatives: tuple[str, ...]) -> set[str]:
        return {r.source_id for r in tiny_store.lexical_search([list(alternatives)], depth=10)}

    assert sources(("heart", "attack")) == {"pmid:1"}
    assert sources(("attack", "heart")) == set()
    assert sources(("statins",)) == {"pmid:2"}  # stemmed: "Statin therapy"
    assert sources(("guide",), ("nothingsuchword",)) == {"doc:htn-patient"}  # a title word


def test_title_words_weigh_more_than_text_words(tiny_store: Store) -> None:
    # "secondary" is a title word of pmid:2, "vascular" a text word of pmid:1.
    rows = tiny_store.lexical_search([[("secondary",), ("vascular",)]], mode="any", depth=10,
                                     title_weight=5.0)
    assert [r.source_id for r in rows] == ["pmid:2", "pmid:1"]
    assert rows[0].score > rows[1].score > 0


def test_anchors_restrict_which_passages_are_ranked(tiny_store: Store) -> None:
    query = [[("aspirin",)], [("hypertension",)]]
    anchored = tiny_store.lexical_search(query, mode="any", depth=10, anchors=[[("lisinopril",)]])
    assert [r.source_id for r in anchored] == ["doc:htn-patient"]
    assert tiny_store.lexical_count([[("aspirin",)], [("lisinopril",)]]) == 3


def test_retracted_sources_are_never_returned(
    tiny_store: Store, backend_settings: Settings, contract_embedder: MiniLMEmbedder
) -> None:
    retriever = HybridRetriever(tiny_store, backend_settings, embedder=contract_embedder)
    for query in ["aspirin myocardial infarction retracted trial", "aspirin", "heart attack"]:
        hits = retriever.search(query, k=10)
        assert hits, query
        assert "pmid:3" not in {h.source_id for h in hits}


def test_dense_search_ranks_by_cosine_and_finds_paraphrases(
    tiny_store: Store, backend_settings: Settings, contract_embedder: MiniLMEmbedder
) -> None:
    retriever = HybridRetriever(tiny_store, backend_settings, embedder=contract_embedder)
    vector = contract_embedder.embed(["tablets to cut lipids"])[0]
    matches = retriever.dense.search_vector(vector, 10)
    assert len(matches) == len(retriever.dense.index) == 5
    exact = retriever.dense.similarities(vector, [m.passage_id for m in matches])
    assert [m.passage_id for m in matches] == sorted(exact, key=lambda p: -exact[p])
    assert [m.score for m in matches] == pytest.approx([exact[m.passage_id] for m in matches],
                                                       abs=1e-5)
    stored = retriever.dense.index.vectors(["pmid:2#0", "pmid:404#0"])
    assert stored.shape == (1, 384)
    assert float(stored[0] @ vector) == pytest.approx(exact["pmid:2#0"], abs=1e-5)
    assert retriever.search("tablets to cut lipids", k=1)[0].source_id == "pmid:2"


def test_hybrid_search_fuses_both_retrievers_and_applies_filters(
    tiny_store: Store, backend_settings: Settings, contract_embedder: MiniLMEmbedder
) -> None:
    retriever = HybridRetriever(tiny_store, backend_settings, embedder=contract_embedder)
    hits = retriever.search("heart attack", k=3)
    assert hits[0].source_id == "pmid:1" and hits[0].retriever == "hybrid"
    guidelines = retriever.search("hypertension medicines", k=10,
                                  filters=SearchFilters(kinds=[SourceKind.GUIDELINE]))
    assert {h.source_id for h in guidelines} == {"doc:htn-clinician"}
    assert retriever.search("blood pressure", k=5) == retriever.search("blood pressure", k=5)


STARTER_QUESTIONS = {
    "What is the first-line treatment for an acute gout flare?": "doc:gout-",
    "what is baclofen used for": "doc:baclofen-",
    "antibiotics for community acquired pneumonia": "doc:community-acquired-pneumonia-",
    "T2DM metformin": "doc:type-2-diabetes-",
    "How should muscle spasms be evaluated and managed?": "doc:muscle-spasm-",
}


@pytest.mark.parametrize("question", sorted(STARTER_QUESTIONS))
def test_the_starter_library_answers_with_the_right_topic_first(
    question: str, starter: tuple[Store, Settings]
) -> None:
    store, settings = starter
    hits = HybridRetriever(store, settings).search(question, k=3)
    assert hits[0].source_id.startswith(STARTER_QUESTIONS[question]), hits


def test_a_rare_word_outweighs_a_common_one(backend_store: Store, settings: Settings) -> None:
    add(backend_store, *[document(f"pmid:{i}", f"Muscle study {i}",
                                  "Muscle strength and muscle mass in adults.")
                         for i in range(10, 30)],
        document("pmid:1", "Cramps", "Muscle cramps of the calf muscle at night."),
        document("pmid:2", "Spasms", "Spasms after a spinal cord injury."))
    rows = LexicalSearcher(backend_store, settings.index).search("muscle spasms", depth=5)
    assert rows[0].source_id == "pmid:2"
