"""Citations: numbered by first use, resolved to stored sources and verbatim quotes.

Citations are data (STYLE habit 9). Any evidence id that does not resolve to the evidence of
this request, or whose quote is not a substring of its stored passage, is dropped (and logged);
a statement left without a citation is dropped; a section left empty is dropped.

Example:
    sections, citations = cite(sections, evidence)
    data = to_json(answer)   # the ``medcite ask --json`` contract
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from medcite.answer.question import content_stems
from medcite.types import (
    Answer,
    AnswerSection,
    Citation,
    Evidence,
    Quote,
    Source,
    SourceKind,
    Statement,
)

log = logging.getLogger(__name__)

KIND_LABELS = {
    SourceKind.GUIDELINE: "Guideline",
    SourceKind.RESEARCH: "Research",
    SourceKind.PATIENT_INFO: "Patient information",
}


def support(text: str, quotes: Sequence[str]) -> float:
    """Share of the content words of ``text`` that occur in ``quotes`` (1.0 when it has none)."""
    claimed = set(content_stems(text))
    if not claimed:
        return 1.0
    found = set(content_stems(" ".join(quotes)))
    return len(claimed & found) / len(claimed)


def _resolve(statement: Statement, evidence: dict[str, Evidence]) -> Statement | None:
    """The statement with only resolvable ids and verbatim quotes, or None if none is left."""
    quotes: list[Quote] = []
    for passage_id in statement.evidence_ids:
        item = evidence.get(passage_id)
        if item is None:
            log.warning("dropped unresolvable evidence id %r", passage_id)
            continue
        own = [q for q in statement.quotes if q.passage_id == passage_id]
        good = [q for q in own if q.text in item.passage.text]
        if not good:
            log.warning("dropped citation of %r: no verbatim quote", passage_id)
            continue
        quotes.extend(good)
    ids = list(dict.fromkeys(q.passage_id for q in quotes))
    if not ids:
        return None
    return statement.model_copy(update={"evidence_ids": ids, "quotes": quotes})


def cite(
    sections: Sequence[AnswerSection], evidence: Sequence[Evidence]
) -> tuple[list[AnswerSection], list[Citation]]:
    """Resolve every statement's citations and number the sources by first use.

    Returns:
        The sections that still have statements, and citations numbered 1..n.
    """
    by_id = {item.id: item for item in evidence}
    kept_sections: list[AnswerSection] = []
    order: dict[str, dict[tuple[str, str], Quote]] = {}  # each quote once, in first-use order
    for section in sections:
        kept = [s for s in (_resolve(st, by_id) for st in section.statements) if s is not None]
        if not kept:
            continue
        kept_sections.append(AnswerSection(title=section.title, statements=kept))
        for statement in kept:
            for quote in statement.quotes:
                source_id = by_id[quote.passage_id].source.id
                order.setdefault(source_id, {}).setdefault((quote.passage_id, quote.text), quote)
    sources = {item.source.id: item.source for item in evidence}
    citations = [
        _citation(number, sources[source_id], list(quotes.values()))
        for number, (source_id, quotes) in enumerate(order.items(), start=1)
    ]
    return kept_sections, citations


def _citation(number: int, source: Source, quotes: list[Quote]) -> Citation:
    return Citation(
        number=number,
        source=source,
        label=KIND_LABELS[source.kind],
        study_type=source.study_type,
        passage_ids=list(dict.fromkeys(q.passage_id for q in quotes)),
        quotes=quotes,
    )


def citation_numbers(statement: Statement, citations: Sequence[Citation]) -> list[int]:
    """The citation numbers of a statement, ascending."""
    return sorted(
        {c.number for c in citations for pid in statement.evidence_ids if pid in c.passage_ids}
    )


def reference_json(citation: Citation) -> dict[str, Any]:
    """One entry of the JSON reference list."""
    source = citation.source
    return {
        "number": citation.number,
        "kind": citation.label,
        "study_type": citation.study_type,
        "title": source.title,
        "source": source.journal or source.publisher,
        "year": source.year,
        "pmid": source.pmid,
        "doi": source.doi,
        "url": source.url,
        "quotes": [q.text for q in citation.quotes],
        "passage_ids": citation.passage_ids,
    }


def to_json(answer: Answer) -> dict[str, Any]:
    """The answer in the ``medcite ask --json`` contract (plus a few explanatory extras)."""
    return {
        "question": answer.question,
        "audience": answer.audience.value,
        "abstained": answer.abstained,
        "abstain_reason": answer.abstain_reason,
        "urgent_notice": answer.urgent_notice,
        "red_flags": [flag.model_dump(mode="json") for flag in answer.red_flags],
        "understood": answer.analysis.model_dump(mode="json") if answer.analysis else None,
        "sections": [
            {
                "title": section.title,
                "statements": [
                    {"text": s.text, "citations": citation_numbers(s, answer.citations)}
                    for s in section.statements
                ],
            }
            for section in answer.sections
        ],
        "references": [reference_json(c) for c in answer.citations],
        "closest_sources": [
            {"id": s.id, "title": s.title, "kind": KIND_LABELS[s.kind], "year": s.year}
            for s in answer.closest_sources
        ],
        "readability_grade": answer.readability_grade,
        "generator": answer.generator,
        "disclaimer": answer.disclaimer,
    }
