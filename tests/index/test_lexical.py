"""Lexical search: query building is safe, synonyms expand, FTS5 stays in sync with the store."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from index_builders import add, make_document
from sqlalchemy import text

from medcite.index.lexical import LexicalSearcher, SynonymEntry, concepts, match_expressions
from medcite.index.retrieve import HybridRetriever
from medcite.settings import Settings
from medcite.store import Store

ABUSIVE = [
    '"', '""', "*", "-", ":", "NEAR(", "NEAR(asthma inhaler, 2)", "asthma*", "-asthma",
    "title:asthma", '"asthma', "asthma OR", "AND OR NOT", "'; DROP TABLE passages; --",
    "1=1 UNION SELECT * FROM sources", "^asthma", "(((", "{title text}: asthma", "\x00", "",
    "   ", "é ü ß 漢字", "a" * 5000,
]


@pytest.mark.parametrize("query", ABUSIVE)
def test_query_syntax_abuse_returns_results_or_nothing(
    query: str, starter_store: Store, starter_settings: Settings
) -> None:
    hits = HybridRetriever(starter_store, starter_settings).search(query, k=5)
    assert isinstance(hits, list)
    assert all(h.rank == i for i, h in enumerate(hits, start=1))


def test_operators_in_a_question_are_plain_words() -> None:
    every, any_ = match_expressions('asthma NEAR("x" *) -inhaler:') or ("", "")
    assert every == '"asthma" AND "near" AND "x" AND "inhaler"'
    assert any_ == '"asthma" OR "near" OR "x" OR "inhaler"'


def test_long_questions_skip_the_all_words_query() -> None:
    every, any_ = match_expressions("statins lower ldl cholesterol and cardiovascular death") or (
        "", "")
    assert every is None
    assert any_.count(" OR ") == 5


def test_abbreviation_expands_only_when_written_in_capitals() -> None:
    assert ("myocardial", "infarction") in concepts("aspirin after MI")[1]
    assert concepts("aspirin after mi")[1] == [("mi",)]


def test_brand_name_expands_to_generic() -> None:
    assert ("atorvastatin",) in concepts("Lipitor dose")[0]


def test_every_synonym_entry_names_its_source() -> None:
    raw = resources.files("medcite.index").joinpath("rules/synonyms.json").read_text("utf-8")
    entries = json.loads(raw)["entries"]
    assert entries and all(entry["source"] for entry in entries)


def test_synonym_entry_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="allowed"):
        SynonymEntry.from_dict({"terms": ["mi"], "source": "x", "weight": 2})


def test_synonyms_find_the_full_form(store: Store, settings: Settings) -> None:
    add(store, make_document("pmid:9", "Outcomes", "Myocardial infarction in young adults."))
    hits = HybridRetriever(store, settings).search("MI", k=3)
    assert [h.source_id for h in hits] == ["pmid:9"]


def test_the_typed_form_of_a_concept_comes_first() -> None:
    assert concepts("tumour growth")[0][0] == ("tumour",)
    assert concepts("tumor growth")[0][0] == ("tumor",)


def test_a_rare_spelling_does_not_outrank_the_word_as_typed(
    store: Store, settings: Settings
) -> None:
    # BM25 would weigh the rare British spelling above the common one the question uses.
    add(store, make_document("pmid:1", "Mice", "Tumour growth slowed."))
    for n in range(2, 5):
        add(store, make_document(f"pmid:{n}", "Mice", f"Tumor growth slowed in cohort {n}."))
    searcher = LexicalSearcher(store, settings.index)
    american = [r.source_id for r in searcher.search("tumor growth", depth=10)]
    assert american.index("pmid:1") == len(american) - 1
    # Typed as the rare form, the concept still reaches the commoner spelling.
    british = [r.source_id for r in searcher.search("tumour growth", depth=10)]
    assert british[0] == "pmid:1" and len(british) == 4


def test_title_words_are_searchable(store: Store, settings: Settings) -> None:
    add(store, make_document("pmid:7", "Gout flares", "Colchicine works within a day."))
    assert [h.passage_id for h in HybridRetriever(store, settings).search("gout")] == ["pmid:7#0"]


def test_replaced_and_deleted_sources_leave_no_stale_matches(
    store: Store, settings: Settings, backend: str
) -> None:
    add(store, make_document("pmid:5", "Old title", "Warfarin interacts with vitamin K."))
    add(store, make_document("pmid:5", "New title", "Apixaban needs no INR monitoring."))
    retriever = HybridRetriever(store, settings)
    assert retriever.search("warfarin") == []
    assert [h.source_id for h in retriever.search("apixaban")] == ["pmid:5"]
    with store.session() as session:  # a cascaded delete, as a manual clean-up would do
        session.execute(text("DELETE FROM sources WHERE id = 'pmid:5'"))
        if backend == "sqlite":  # FTS5's own consistency check
            session.execute(text("INSERT INTO passages_fts(passages_fts, rank) "
                                 "VALUES ('integrity-check', 1)"))
    assert retriever.search("apixaban") == []
