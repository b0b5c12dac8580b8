"""Question analysis: intents, subject, population and follow-up inheritance."""

from __future__ import annotations

import pytest

from medcite.answer.question import analyse, content_stems, stem
from medcite.types import Intent


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("How should muscle spasms be evaluated and managed?", Intent.MANAGEMENT),
        ("How should muscle spasms be evaluated and managed?", Intent.DIAGNOSIS),
        ("What is the maximum dose of baclofen?", Intent.DOSING),
        ("What causes leg cramps at night?", Intent.CAUSES),
        ("What are the side effects of tizanidine?", Intent.SIDE_EFFECTS),
        ("What is the outlook for people with heart failure?", Intent.PROGNOSIS),
        ("How can I prevent migraine?", Intent.PREVENTION),
        ("Is baclofen better than tizanidine for spasticity?", Intent.COMPARISON),
        ("What is gout?", Intent.DEFINITION),
    ],
)
def test_intents_are_recognised(question: str, intent: Intent) -> None:
    assert intent in analyse(question).intents


def test_a_treatment_question_is_not_also_a_definition_question() -> None:
    assert analyse("What is the treatment for gout?").intents == [Intent.MANAGEMENT]


def test_subject_keeps_the_condition_and_drops_generic_words() -> None:
    analysis = analyse("What is the treatment for Fabry disease?")
    assert analysis.subject_terms == ["fabry"]


def test_population_is_recognised_and_not_part_of_the_subject() -> None:
    analysis = analyse("What dose of baclofen in older adults with kidney disease?")
    assert analysis.subject_terms == ["baclofen"]
    assert analysis.population == ["older adults", "renal impairment"]


def test_a_follow_up_without_a_subject_inherits_the_previous_one() -> None:
    analysis = analyse("And what about in pregnancy?", follow_up_of="How is migraine treated?")
    assert analysis.subject_terms == ["migraine"]
    assert analysis.population == ["pregnancy"]
    assert analysis.inherited_from == "How is migraine treated?"
    assert "migraine" in analysis.search_text


def test_a_follow_up_with_its_own_subject_keeps_it() -> None:
    analysis = analyse("What is gout?", follow_up_of="How is migraine treated?")
    assert analysis.subject_terms == ["gout"]
    assert analysis.inherited_from is None


def test_stemming_matches_plurals() -> None:
    assert stem("spasms") == stem("spasm") == "spasm"
    assert stem("therapies") == "therapy"
    assert content_stems("The muscle spasms") == ["muscle", "spasm"]
