"""One question answered for both audiences at once, as an article is drafted (``ask_each``):
each audience gets exactly the answer ``ask`` gives it, from one retrieval and one bulk read of
the evidence; a new article is served exactly as it was stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from live_server import copy_store
from medcite.answer.ask import ask, ask_each
from medcite.answer.evidence import StoredEvidence, gather_evidence
from medcite.answer.question import analyse
from medcite.index.retrieve import HybridRetriever
from medcite.ingest.pipeline import ingest_paths
from medcite.review.publish import Library, get_or_create_article, read_article
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Answer, Audience, Hit, Viewer

SPASM = "How should muscle spasms be evaluated and managed?"
SMALL = Path(__file__).parent.parent / "data" / "pubmed_small.xml"


def _content(answer: Answer) -> dict[str, Any]:
    """An answer without the moment it was made."""
    return answer.model_dump(mode="json", exclude={"created_at"})


@pytest.mark.parametrize("question", [
    SPASM,  # answered, many sources
    "I have crushing chest pain and my left arm is numb, what should I do?",  # urgent notice
    "I want to kill myself",  # crisis line, no evidence answers it: abstains
])
def test_each_audience_gets_the_answer_ask_gives_it(
    question: str, starter_store: Store, starter_retriever: HybridRetriever,
    starter_settings: Settings,
) -> None:
    both = ask_each(question, list(Audience), store=starter_store, retriever=starter_retriever,
                    settings=starter_settings)
    assert list(both.by_audience) == list(Audience)
    for audience in Audience:
        alone = ask(question, audience, store=starter_store, retriever=starter_retriever,
                    settings=starter_settings)
        assert _content(both.by_audience[audience]) == _content(alone)


def test_the_retrieved_passages_are_recorded_once_in_rank_order(
    starter_store: Store, starter_retriever: HybridRetriever, starter_settings: Settings,
) -> None:
    both = ask_each(SPASM, [Audience.PATIENT], store=starter_store,
                    retriever=starter_retriever, settings=starter_settings)
    hits = starter_retriever.search(analyse(SPASM).search_text,
                                    k=starter_settings.answer.retrieve_k)
    assert both.retrieved_ids == list(dict.fromkeys(h.passage_id for h in hits))
    assert len(set(both.retrieved_ids)) == len(both.retrieved_ids)


def test_stored_evidence_reads_every_sources_passages_as_the_store_holds_them(
    starter_store: Store, starter_retriever: HybridRetriever,
) -> None:
    hits = starter_retriever.search("muscle spasm treatment", k=30)
    stored = StoredEvidence(starter_store, hits)
    assert set(stored.sources) == {h.source_id for h in hits}
    passages = stored.passages_of([*stored.sources, "pmid:1"])
    assert passages["pmid:1"] == []  # not stored: no passages, no error
    for source_id in stored.sources:
        assert passages[source_id] == starter_store.passages_of(source_id)
        assert [p.ordinal for p in passages[source_id]] == sorted(
            p.ordinal for p in passages[source_id])


def test_evidence_never_comes_from_a_retracted_or_vanished_source(
    store: Store, settings: Settings,
) -> None:
    assert ingest_paths([SMALL], store, settings).ok
    hits = [
        Hit(passage_id=pid, source_id=pid.split("#")[0], score=1.0 / rank, rank=rank,
            retriever="lexical")
        for rank, pid in enumerate(
            ["pmid:90000003#0", "pmid:1#0", "pmid:90000006#0"], start=1)
    ]  # a retracted trial, a source deleted since it was indexed, a book chapter
    stored = StoredEvidence(store, hits)
    evidence = gather_evidence(stored, analyse("What helps muscle cramps?"),
                               Audience.CLINICIAN)
    assert evidence
    assert {e.source.id for e in evidence} == {"pmid:90000006"}
    assert [e.rank for e in evidence] == list(range(1, len(evidence) + 1))


def test_a_new_article_is_served_exactly_as_it_was_stored(
    starter_store: Store, starter_settings: Settings, tmp_path: Path,
) -> None:
    library = Library.open(copy_store(starter_settings, tmp_path / "home"))
    try:
        article, created = get_or_create_article(library, SPASM)
        assert created
        asker = Viewer(key=article.preview_key)
        _, served = read_article(library.store, article.id, cache=library.versions,
                                 viewer=asker)
        assert served == library.store.get_article_version(article.id, 1)
        assert get_or_create_article(library, SPASM.upper()) == (article, False)
    finally:
        library.store.close()
