"""``ask`` on the starter library: the acceptance questions, abstention, red flags, follow-ups."""

from __future__ import annotations

import re

import pytest

from medcite.answer.ask import ask, validate_question
from medcite.answer.cite import to_json
from medcite.errors import EmptyQuestionError, InputTooLargeError
from medcite.index.retrieve import HybridRetriever
from medcite.settings import AnswerSettings, Settings
from medcite.store import Store
from medcite.types import Answer, Audience

SPASM = "How should muscle spasms be evaluated and managed?"


@pytest.fixture(scope="module")
def spasm_clinician(
    starter_store: Store, starter_retriever: HybridRetriever, starter_settings: Settings
) -> Answer:
    return ask(SPASM, Audience.CLINICIAN, store=starter_store, retriever=starter_retriever,
               settings=starter_settings)


@pytest.fixture(scope="module")
def spasm_patient(
    starter_store: Store, starter_retriever: HybridRetriever, starter_settings: Settings
) -> Answer:
    return ask(SPASM, Audience.PATIENT, store=starter_store, retriever=starter_retriever,
               settings=starter_settings)


def _texts(answer: Answer, title: str) -> list[str]:
    return [s.text for sec in answer.sections if sec.title == title for s in sec.statements]


def test_clinician_answer_opens_with_a_bold_bottom_line(spasm_clinician: Answer) -> None:
    first = spasm_clinician.sections[0]
    assert first.title == "Bottom line"
    assert 1 <= len(first.statements) <= 2
    assert all(s.bold for s in first.statements)


def test_clinician_answer_has_sections_and_five_references(spasm_clinician: Answer) -> None:
    assert not spasm_clinician.abstained
    assert len(spasm_clinician.sections) >= 4
    assert len(spasm_clinician.citations) >= 5


def test_clinician_answer_covers_assessment_dosing_populations_and_pitfalls(
    spasm_clinician: Answer,
) -> None:
    assert _texts(spasm_clinician, "Initial assessment")
    dosing = _texts(spasm_clinician, "Pharmacological management")
    assert any(re.search(r"\d+ mg", t) and "maximum" in t for t in dosing)
    populations = " ".join(_texts(spasm_clinician, "Special populations")).lower()
    assert "older adults" in populations
    assert _texts(spasm_clinician, "Common pitfalls")


def test_clinician_text_offers_no_time_critical_commands(spasm_clinician: Answer) -> None:
    body = " ".join(s.text for sec in spasm_clinician.sections for s in sec.statements).lower()
    for phrase in ("administer now", "give immediately", "inject immediately", "call 911"):
        assert phrase not in body


def test_patient_answer_is_plain_with_urgent_care_signs(spasm_patient: Answer) -> None:
    titles = [s.title for s in spasm_patient.sections]
    assert titles[0] == "Summary"
    assert "When to seek urgent care" in titles
    assert "Questions to ask your doctor" in titles
    assert spasm_patient.readability_grade is not None
    assert spasm_patient.readability_grade <= 8.0
    assert {c.label for c in spasm_patient.citations} == {"Patient information"}


@pytest.mark.parametrize(
    "question",
    [
        "What is the treatment for Fabry disease?",
        "How is Erdheim-Chester disease managed in adults?",
        "What is the prognosis of progeria?",
    ],
)
def test_out_of_scope_questions_abstain_without_claims(
    question: str, starter_store: Store, starter_retriever: HybridRetriever,
    starter_settings: Settings,
) -> None:
    answer = ask(question, Audience.CLINICIAN, store=starter_store, retriever=starter_retriever,
                 settings=starter_settings)
    assert answer.abstained
    assert answer.abstain_reason
    assert answer.sections == [] and answer.citations == []
    assert answer.disclaimer


def test_chest_pain_emergency_puts_the_notice_first(
    starter_store: Store, starter_retriever: HybridRetriever, starter_settings: Settings
) -> None:
    answer = ask("crushing chest pain and left arm numbness, what should I take?",
                 Audience.PATIENT, store=starter_store, retriever=starter_retriever,
                 settings=starter_settings)
    assert answer.red_flags and answer.red_flags[0].id == "rf:q:cardiac_chest_pain"
    assert answer.urgent_notice is not None
    assert answer.urgent_notice.startswith("Seek emergency care now: call 911")
    keys = list(to_json(answer))
    assert keys.index("red_flags") < keys.index("sections")


def test_emergency_number_is_configurable(
    starter_store: Store, starter_retriever: HybridRetriever, starter_settings: Settings
) -> None:
    uk = starter_settings.model_copy(update={"answer": AnswerSettings(emergency_number="999")})
    answer = ask("crushing chest pain, what should I do?", Audience.PATIENT,
                 store=starter_store, retriever=starter_retriever, settings=uk)
    assert answer.urgent_notice is not None and "call 999" in answer.urgent_notice
    assert "999" in answer.disclaimer


def test_a_follow_up_inherits_the_subject(
    starter_store: Store, starter_retriever: HybridRetriever, starter_settings: Settings
) -> None:
    answer = ask("What about in older adults?", Audience.CLINICIAN, store=starter_store,
                 retriever=starter_retriever, settings=starter_settings, follow_up_of=SPASM)
    assert answer.analysis is not None and answer.analysis.inherited_from == SPASM
    assert not answer.abstained
    assert "older adults" in " ".join(_texts(answer, "Special populations")).lower()


def test_the_same_question_gives_the_same_answer(
    spasm_clinician: Answer, starter_store: Store, starter_retriever: HybridRetriever,
    starter_settings: Settings,
) -> None:
    again = ask(SPASM, Audience.CLINICIAN, store=starter_store, retriever=starter_retriever,
                settings=starter_settings)
    assert to_json(again) == to_json(spasm_clinician)


def test_empty_and_oversized_questions_are_refused(
    starter_store: Store, starter_retriever: HybridRetriever, starter_settings: Settings
) -> None:
    with pytest.raises(EmptyQuestionError):
        ask("  ?! ", Audience.PATIENT, store=starter_store, retriever=starter_retriever,
            settings=starter_settings)
    with pytest.raises(InputTooLargeError):
        ask("why " * 600, Audience.PATIENT, store=starter_store, retriever=starter_retriever,
            settings=starter_settings)


def test_control_characters_never_reach_the_question() -> None:
    assert validate_question("statins\x00 after\x07 MI?\n", Settings()) == "statins after MI?"
