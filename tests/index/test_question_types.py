"""Question types: what a question asks for raises the passages that answer that kind."""

from __future__ import annotations

import pytest
from index_builders import add_embedded, make_document, ranked_sources

from medcite.index.embedder import MiniLMEmbedder
from medcite.index.question_types import asked_types, is_question, question_types
from medcite.settings import Settings
from medcite.store import Store


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What are the treatments for Fabry disease?", ["treatment"]),
        ("Is Huntington disease inherited?", ["inheritance"]),
        ("How many people are affected by cystic fibrosis?", ["frequency"]),
        ("what are the symptoms of lupus", ["symptoms"]),
        ("What is the outlook for Williams syndrome?", ["outlook"]),
        ("What is (are) scleroderma?", []),
    ],
)
def test_a_question_asks_for_the_kinds_its_words_name(question: str, expected: list[str]) -> None:
    assert [t.name for t in asked_types(question)] == expected


@pytest.mark.parametrize(
    "text", ["Statins reduce mortality after myocardial infarction.", "treatment of gout", ""]
)
def test_claims_and_keyword_searches_ask_for_nothing(text: str) -> None:
    assert not is_question(text)
    assert asked_types(text) == ()


def test_every_question_type_names_its_source() -> None:
    assert question_types()
    assert all(t.source.strip() for t in question_types())


FABRY = [
    make_document("doc:fabry-cause", "Fabry disease",
                  "Fabry disease is caused by mutations in the GLA gene. In Fabry disease, "
                  "globotriaosylceramide builds up in the cells of the kidney and heart."),
    make_document("doc:fabry-treatment", "Fabry disease",
                  "Enzyme replacement therapy with agalsidase is given every two weeks."),
    make_document("doc:fabry-inheritance", "Fabry disease",
                  "This condition is inherited in an X-linked pattern."),
    make_document("doc:fabry-frequency", "Fabry disease",
                  "Fabry disease affects an estimated 1 in 40,000 to 60,000 males."),
    make_document("doc:fabry-diagnosis", "Fabry disease",
                  "Fabry disease is diagnosed by measuring alpha-galactosidase A in blood."),
    make_document("doc:fabry-outlook", "Fabry disease",
                  "Kidney and heart disease shorten life in Fabry disease."),
]


# Answer types matter when many passages share the question's words (fuse.FLAT_MATCHES):
# letters about other diseases fill the lexical list below the Fabry pages.
CLINIC_LETTERS = [
    make_document(f"doc:letter-{n}", f"Clinic letter {n}",
                  f"Letter {n}: the patient's kidney disease was discussed at the visit.")
    for n in range(100)
]


@pytest.fixture
def fabry_store(store: Store, settings: Settings, embedder: MiniLMEmbedder) -> Store:
    return add_embedded(store, settings, embedder, *FABRY, *CLINIC_LETTERS)


def test_the_passage_answering_the_asked_kind_is_raised(
    fabry_store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    question = "What are the treatments for Fabry disease?"

    def ranked(query: str, weight: float) -> list[str]:
        return ranked_sources(fabry_store, settings, embedder, query, answer_type_weight=weight)

    assert ranked(question, 0.0)[0] != "doc:fabry-treatment"
    assert ranked(question, 1.0)[0] == "doc:fabry-treatment"
    inherited = ranked("Is Fabry disease inherited?", 1.0)
    assert inherited[0] == "doc:fabry-inheritance"


def test_a_keyword_search_is_ranked_without_answer_types(
    fabry_store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    query = "treatments for Fabry disease"
    on, off = (ranked_sources(fabry_store, settings, embedder, query, answer_type_weight=weight)
               for weight in (1.0, 0.0))
    assert on == off
