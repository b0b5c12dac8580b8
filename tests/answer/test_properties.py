"""Properties of every answer over many questions on the starter library (R-CDS-1/2, STYLE 9).

Every statement has at least one citation; every citation number resolves to a reference; every
quote is a verbatim substring of its stored passage; citations run 1..n by first use.
"""

from __future__ import annotations

import itertools

import pytest

from medcite.answer.ask import ask
from medcite.answer.cite import to_json
from medcite.index.retrieve import HybridRetriever
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Answer, Audience

_FORMS = (
    "How is {t} managed?",
    "What are the side effects of treatment for {t}?",
    "How is {t} diagnosed?",
    "What causes {t}?",
    "What is the usual dose of medicines for {t}?",
)
_EXTRA = (
    "crushing chest pain and left arm numbness, what should I take?",
    "What is the treatment for Fabry disease?",
    "Is baclofen safe in kidney disease?",
    "tizanidine and ciprofloxacin together?",
    "'; DROP TABLE passages;-- what is gout?",
    'NEAR( "migraine" * - : treatment',
)


def _questions(store: Store) -> list[str]:
    topics = sorted(
        {s.topics[0] for s in store.list_sources(limit=1000) if s.topics}
    )
    cycle = itertools.cycle(_FORMS)
    return [next(cycle).format(t=topic) for topic in topics] + list(_EXTRA)


@pytest.fixture(scope="module")
def answers(
    starter_store: Store, starter_retriever: HybridRetriever, starter_settings: Settings
) -> list[Answer]:
    questions = _questions(starter_store)
    assert len(questions) >= 40
    return [
        ask(q, audience, store=starter_store, retriever=starter_retriever,
            settings=starter_settings)
        for q in questions
        for audience in Audience
    ]


def test_most_questions_about_stored_topics_are_answered(answers: list[Answer]) -> None:
    answered = [a for a in answers if not a.abstained]
    assert len(answered) >= 0.8 * len(answers)


def test_every_statement_has_a_citation_and_every_number_resolves(answers: list[Answer]) -> None:
    for answer in answers:
        data = to_json(answer)
        numbers = [ref["number"] for ref in data["references"]]
        assert numbers == list(range(1, len(numbers) + 1))
        for section in data["sections"]:
            assert section["statements"]
            for statement in section["statements"]:
                assert statement["citations"], statement
                assert set(statement["citations"]) <= set(numbers)


def test_citations_are_numbered_by_first_use(answers: list[Answer]) -> None:
    for answer in answers:
        seen: list[int] = []
        for section in to_json(answer)["sections"]:
            for statement in section["statements"]:
                seen.extend(n for n in statement["citations"] if n not in seen)
        assert sorted(seen) == seen == list(range(1, len(answer.citations) + 1))


def test_every_quote_is_a_substring_of_its_stored_passage(
    answers: list[Answer], starter_store: Store
) -> None:
    passages = {}
    for answer in answers:
        for citation in answer.citations:
            if citation.source.id not in passages:
                stored = starter_store.passages_of(citation.source.id)
                passages[citation.source.id] = {p.id: p.text for p in stored}
            texts = passages[citation.source.id]
            assert citation.quotes
            for quote in citation.quotes:
                assert quote.passage_id in citation.passage_ids
                assert quote.text in texts[quote.passage_id]


def test_every_statement_says_no_more_than_its_quotes(answers: list[Answer]) -> None:
    for answer in answers:
        for section in answer.sections:
            for statement in section.statements:
                assert statement.support == 1.0
                own = [q.text for q in statement.quotes]
                assert any(" ".join(q.split()).lstrip("-*• ")[1:] in statement.text for q in own)


def test_abstentions_make_no_claims_and_every_answer_has_a_disclaimer(
    answers: list[Answer],
) -> None:
    for answer in answers:
        assert answer.disclaimer
        if answer.abstained:
            assert not answer.sections and not answer.citations
