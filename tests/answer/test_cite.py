"""Citations over real stored passages: numbering, dropping what cannot be resolved, JSON."""

from __future__ import annotations

import pytest

from medcite.answer.cite import cite, support, to_json
from medcite.store import Store
from medcite.types import (
    Answer,
    AnswerSection,
    Audience,
    Evidence,
    Quote,
    Source,
    Statement,
)


@pytest.fixture(scope="module")
def evidence(starter_store: Store) -> list[Evidence]:
    found: list[Evidence] = []
    for source_id in ("doc:muscle-spasm-clinician", "doc:baclofen-clinician"):
        source = starter_store.get_source(source_id)
        for passage in starter_store.passages_of(source_id):
            found.append(Evidence(id=passage.id, passage=passage, source=source, score=1.0,
                                  rank=len(found) + 1))
    return found


def _statement(item: Evidence, *, quote: str | None = None, extra_id: str | None = None,
               ) -> Statement:
    text = quote if quote is not None else item.passage.text.split(". ")[0] + "."
    ids = [item.id] + ([extra_id] if extra_id else [])
    return Statement(text=text, evidence_ids=ids,
                     quotes=[Quote(passage_id=item.id, text=text)], support=1.0)


def test_sources_are_numbered_by_first_use(evidence: list[Evidence]) -> None:
    baclofen = next(e for e in evidence if e.source.id == "doc:baclofen-clinician")
    spasm = next(e for e in evidence if e.source.id == "doc:muscle-spasm-clinician")
    sections = [AnswerSection(title="A", statements=[_statement(baclofen), _statement(spasm)])]
    kept, citations = cite(sections, evidence)
    assert [c.source.id for c in citations] == ["doc:baclofen-clinician",
                                                  "doc:muscle-spasm-clinician"]
    assert [c.number for c in citations] == [1, 2]
    assert citations[0].label == "Guideline"
    assert kept == sections


def test_unresolvable_ids_are_dropped_and_uncited_statements_too(evidence: list[Evidence]) -> None:
    good = _statement(evidence[0], extra_id="doc:nowhere#3")
    ghost = Statement(text="Invented claim.", evidence_ids=["doc:nowhere#1"],
                      quotes=[Quote(passage_id="doc:nowhere#1", text="Invented claim.")],
                      support=1.0)
    kept, citations = cite([AnswerSection(title="A", statements=[ghost, good]),
                            AnswerSection(title="B", statements=[ghost])], evidence)
    assert [s.title for s in kept] == ["A"]
    assert kept[0].statements[0].evidence_ids == [evidence[0].id]
    assert len(citations) == 1


def test_a_quote_that_is_not_in_the_passage_loses_its_citation(evidence: list[Evidence]) -> None:
    forged = _statement(evidence[0], quote="Baclofen cures everything at 500 mg.")
    kept, citations = cite([AnswerSection(title="A", statements=[forged])], evidence)
    assert kept == [] and citations == []


def test_support_is_the_share_of_content_words_found() -> None:
    assert support("Baclofen reduces spasticity.", ["Baclofen reduces spasticity in MS."]) == 1.0
    assert support("Baclofen cures cancer.", ["Baclofen reduces spasticity."]) < 0.5


def test_an_answer_cannot_claim_without_citations(evidence: list[Evidence]) -> None:
    with pytest.raises(ValueError, match="at least one citation"):
        Answer(question="q", audience=Audience.PATIENT, abstained=False, disclaimer="d")
    with pytest.raises(ValueError, match="at least 1 item"):
        Statement(text="x", evidence_ids=[], support=1.0)


def test_json_follows_the_contract(evidence: list[Evidence]) -> None:
    sections, citations = cite(
        [AnswerSection(title="Bottom line", statements=[_statement(evidence[0])])], evidence
    )
    answer = Answer(question="q", audience=Audience.CLINICIAN, sections=sections,
                    citations=citations, abstained=False, disclaimer="d")
    data = to_json(answer)
    for key in ("question", "audience", "abstained", "red_flags", "sections", "references",
                "disclaimer"):
        assert key in data
    assert data["sections"][0]["statements"][0]["citations"] == [1]
    reference = data["references"][0]
    for key in ("number", "kind", "title", "source", "year", "pmid", "doi", "url", "quotes"):
        assert key in reference
    assert reference["quotes"][0] in evidence[0].passage.text
    assert isinstance(evidence[0].source, Source)
