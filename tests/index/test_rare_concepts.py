"""Rare words of a question: passages naming what the question is about come first."""

from __future__ import annotations

import pytest
from index_builders import add_embedded, make_document, ranked_sources

from medcite.index.embedder import MiniLMEmbedder
from medcite.index.lexical import LexicalSearcher
from medcite.settings import Settings
from medcite.store import Store

CONJUGATE = make_document(
    "pmid:20", "A BCMA conjugate in myeloma",
    "MEDI2228 is a drug conjugate that targets BCMA on myeloma cells.")
BISPECIFICS = [
    make_document(f"pmid:{n}", "Bispecific antibodies",
                  f"Bispecific antibody {name} engages T cells; bispecific antibodies are "
                  f"given weekly in trial {n}.")
    for n, name in enumerate(["teclistamab", "elranatamab", "linvoseltamab", "talquetamab",
                              "epcoritamab", "glofitamab"], start=1)
]

# Other topics, so that "bispecific" and "antibody" are uncommon words of the store too.
OTHER_TOPICS = [
    make_document(f"pmid:{n}", "Vitamin D", f"Vitamin D supplements in winter, cohort {n}.")
    for n in range(100, 160)
]


@pytest.fixture
def myeloma_store(store: Store, settings: Settings, embedder: MiniLMEmbedder) -> Store:
    return add_embedded(store, settings, embedder, CONJUGATE, *BISPECIFICS, *OTHER_TOPICS)


def test_a_question_about_a_rare_name_ranks_the_passage_naming_it_first(
    myeloma_store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    question = "Is MEDI2228 a bispecific antibody?"

    def ranked(penalty: float) -> list[str]:
        return ranked_sources(myeloma_store, settings, embedder, question,
                              rare_concept_penalty=penalty)

    assert ranked(0.0)[0] != "pmid:20"
    # At full strength the rule puts every passage naming the rare word first.
    assert ranked(1.0)[0] == "pmid:20"


def test_a_claim_is_ranked_without_the_rare_word_rule(
    myeloma_store: Store, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    claim = "MEDI2228 is a bispecific antibody."
    on, off = (ranked_sources(myeloma_store, settings, embedder, claim, rare_concept_penalty=p)
               for p in (1.0, 0.0))
    assert on == off


def test_rare_holders_names_the_passages_holding_a_rare_word(
    myeloma_store: Store, settings: Settings
) -> None:
    searcher = LexicalSearcher(myeloma_store, settings.index)
    assert searcher.rare_holders("Is MEDI2228 a bispecific antibody?") == {"pmid:20#0"}
    assert searcher.rare_holders("MEDI2228?") is None  # one word decides every match itself
    assert searcher.rare_holders("Are bispecific antibodies given weekly?") is None
