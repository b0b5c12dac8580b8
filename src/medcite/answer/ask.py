"""The ``ask`` use case: a question in, a cited answer (or an explicit abstention) out.

Order of work: validate the input; run the red-flag rules (before anything else); analyse the
question; retrieve; gather evidence; abstain when it does not cover the question; compose
(extractively, or with the optional generator, whose statements are checked and which falls
back to the extractive answer); resolve and number citations; add the disclaimer.

``ask_each`` answers one question for several audiences (an article's two renderings) with
the work that does not depend on the audience done once: validation, red flags, analysis,
retrieval and the store reads of its sources and passages.

Example:
    answer = ask("How should muscle spasms be evaluated and managed?", Audience.CLINICIAN,
                 store=store, retriever=HybridRetriever(store, settings), settings=settings)
    both = ask_each(question, list(Audience), store=store, retriever=retriever,
                    settings=settings)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from medcite.answer.cite import cite
from medcite.answer.compose import compose
from medcite.answer.evidence import Retriever, StoredEvidence, gather_evidence, sufficiency
from medcite.answer.generate import Generator, generator_from_settings
from medcite.answer.question import analyse
from medcite.errors import EmptyQuestionError, GeneratorError, InputTooLargeError
from medcite.safety.disclaimers import disclaimer
from medcite.safety.red_flags import check_question, urgent_notice
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import (
    Answer,
    AnswerSection,
    Audience,
    Evidence,
    QuestionAnalysis,
    RedFlag,
    Source,
)

log = logging.getLogger(__name__)
_CLOSEST = 5


def validate_question(question: str, settings: Settings) -> str:
    """The question, whitespace-normalised; raises on an empty or over-long question."""
    limit = settings.answer.max_question_chars
    if len(question) > limit:
        raise InputTooLargeError(
            f"the question has {len(question):,} characters; the limit is {limit:,}",
            hint="shorten the question or raise MEDCITE_ANSWER__MAX_QUESTION_CHARS",
        )
    # Control characters (NUL included, which PostgreSQL refuses) are not part of a question.
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in question).split())
    if not any(ch.isalnum() for ch in text):
        raise EmptyQuestionError("the question has no words", hint="type a medical question")
    return text


@dataclass(frozen=True, slots=True)
class Answers:
    """One question answered for several audiences from one retrieval."""

    by_audience: dict[Audience, Answer]
    retrieved_ids: list[str]  # every passage id retrieved, in rank order


def ask(
    question: str,
    audience: Audience,
    *,
    store: Store,
    retriever: Retriever,
    settings: Settings,
    follow_up_of: str | None = None,
    generator: Generator | None = None,
) -> Answer:
    """Answer a question for an audience from the stored evidence, with citations.

    Args:
        question: The question as typed.
        audience: Clinician or patient.
        store: The evidence store.
        retriever: Searches the store's passages.
        settings: medcite settings (limits, thresholds, numbers, optional generator).
        follow_up_of: The text of the previous question, for a follow-up.
        generator: A statement generator; default: the one configured in settings, if any.

    Raises:
        EmptyQuestionError: The question has no words.
        InputTooLargeError: The question is longer than ``answer.max_question_chars``.
    """
    answers = ask_each(question, [audience], store=store, retriever=retriever,
                       settings=settings, follow_up_of=follow_up_of, generator=generator)
    return answers.by_audience[audience]


def ask_each(
    question: str,
    audiences: Sequence[Audience],
    *,
    store: Store,
    retriever: Retriever,
    settings: Settings,
    follow_up_of: str | None = None,
    generator: Generator | None = None,
) -> Answers:
    """Answer a question for each of ``audiences`` from one retrieval and one read of its
    evidence; each answer is the one ``ask`` gives for its audience.

    Raises:
        EmptyQuestionError: The question has no words.
        InputTooLargeError: The question is longer than ``answer.max_question_chars``.
    """
    text = validate_question(question, settings)
    flags = check_question(text)  # safety first, independent of retrieval and any model
    analysis = analyse(text, follow_up_of=follow_up_of)
    hits = retriever.search(analysis.search_text, k=settings.answer.retrieve_k)
    stored = StoredEvidence(store, hits)
    return Answers(
        by_audience={
            audience: _answer(text, audience, analysis, flags, stored, settings, generator)
            for audience in audiences
        },
        retrieved_ids=list(dict.fromkeys(hit.passage_id for hit in hits)),
    )


def _answer(
    text: str,
    audience: Audience,
    analysis: QuestionAnalysis,
    flags: list[RedFlag],
    stored: StoredEvidence,
    settings: Settings,
    generator: Generator | None,
) -> Answer:
    """The answer for one audience (or an abstention), from the retrieval's stored evidence."""
    evidence = gather_evidence(
        stored, analysis, audience, max_sources=settings.answer.max_sources
    )
    enough, reason = sufficiency(
        analysis, evidence, threshold=settings.answer.sufficiency_threshold
    )
    if not enough:
        return _abstain(text, audience, analysis, flags, evidence, reason, settings)
    sections, used = _compose(analysis, evidence, audience, settings, generator)
    sections, citations = cite(sections, evidence)
    if not citations:
        return _abstain(text, audience, analysis, flags, evidence,
                        "No stored passage states an answer to this question.", settings)
    return Answer(
        **_framing(text, audience, analysis, flags, settings),
        sections=sections,
        citations=citations,
        abstained=False,
        readability_grade=readability(sections) if audience is Audience.PATIENT else None,
        generator=used,
    )


def _compose(
    analysis: QuestionAnalysis,
    evidence: Sequence[Evidence],
    audience: Audience,
    settings: Settings,
    generator: Generator | None,
) -> tuple[list[AnswerSection], str]:
    """Generated sections when a generator is configured and something survives, else extractive
    (composed only when it is the answer)."""

    def extractive() -> list[AnswerSection]:
        return compose(
            analysis, evidence, audience,
            max_statements=settings.answer.max_statements,
            threshold=settings.answer.sufficiency_threshold,
        )

    generator = generator or generator_from_settings(settings)
    if generator is None:
        return extractive(), "extractive"
    try:
        generated = generator.generate(analysis, evidence, audience)
    except GeneratorError as exc:
        log.warning("generator failed, using the extractive answer: %s", exc)
        return extractive(), "extractive (generator failed)"
    if not generated:
        return extractive(), "extractive (no generated statement was supported)"
    return generated, generator.name


def _framing(text: str, audience: Audience, analysis: QuestionAnalysis, flags: list[RedFlag],
             settings: Settings) -> dict[str, Any]:
    """What every answer carries, abstaining or not: the question, red flags and urgent
    notice, the disclaimer and the settings digest."""
    return {
        "question": text,
        "audience": audience,
        "analysis": analysis,
        "red_flags": flags,
        "urgent_notice": urgent_notice(
            flags, audience,
            emergency_number=settings.answer.emergency_number,
            crisis_line=settings.answer.crisis_line,
        ),
        "disclaimer": disclaimer(audience, emergency_number=settings.answer.emergency_number),
        "settings_digest": settings.digest,
    }


def _abstain(
    text: str,
    audience: Audience,
    analysis: QuestionAnalysis,
    flags: list[RedFlag],
    evidence: Sequence[Evidence],
    reason: str | None,
    settings: Settings,
) -> Answer:
    closest: dict[str, Source] = {}
    for item in evidence:
        closest.setdefault(item.source.id, item.source)
    return Answer(
        **_framing(text, audience, analysis, flags, settings),
        abstained=True,
        abstain_reason=reason,
        closest_sources=list(closest.values())[:_CLOSEST],
    )


def readability(sections: Sequence[AnswerSection]) -> float | None:
    """Flesch-Kincaid grade of the statements' text (citation markers and headings excluded)."""
    import textstat  # lazy: loads a pronunciation dictionary

    body = " ".join(s.text for section in sections for s in section.statements)
    if not body.strip():
        return None
    grade: float = textstat.flesch_kincaid_grade(body)
    return round(float(grade), 1)
