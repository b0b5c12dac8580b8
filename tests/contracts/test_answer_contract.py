"""``ask`` gives the same kind of cited answer on every backend (starter library, lexical)."""

from __future__ import annotations

from medcite.answer.ask import ask
from medcite.index.retrieve import HybridRetriever
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Audience


def test_a_cited_answer_only_cites_stored_passages(starter: tuple[Store, Settings]) -> None:
    store, settings = starter
    answer = ask("How should muscle spasms be evaluated and managed?", Audience.CLINICIAN,
                 store=store, retriever=HybridRetriever(store, settings), settings=settings)
    assert not answer.abstained and len(answer.citations) >= 3
    cited = [pid for citation in answer.citations for pid in citation.passage_ids]
    assert set(store.passages(cited)) == set(cited)
    assert all(citation.source == store.get_source(citation.source.id)
               for citation in answer.citations)


def test_a_question_the_library_cannot_answer_abstains(starter: tuple[Store, Settings]) -> None:
    store, settings = starter
    answer = ask("What is the orbital period of Jupiter's moon Io?", Audience.PATIENT,
                 store=store, retriever=HybridRetriever(store, settings), settings=settings)
    assert answer.abstained and answer.citations == []
