"""Sentences respect medical abbreviations; passages are deterministic windows inside sections."""

from __future__ import annotations

from medcite.ingest.split import sentences, split_document
from medcite.types import DocSection, Document, Source, SourceKind


def test_abbreviations_initials_and_decimals_do_not_end_sentences() -> None:
    text = ("Patients received 2.5 mg i.v. twice daily vs. placebo (Fig. 2). Smith et al. found "
            "no effect. Dr. J. Smith, M.D., agreed. Approx. 40 pts. were enrolled. The dose "
            "was 10 mg. Was it safe? Yes.")
    assert sentences(text) == [
        "Patients received 2.5 mg i.v. twice daily vs. placebo (Fig. 2).",
        "Smith et al. found no effect.",
        "Dr. J. Smith, M.D., agreed.",
        "Approx. 40 pts. were enrolled.",
        "The dose was 10 mg.",
        "Was it safe?",
        "Yes.",
    ]


def _doc(*sections: tuple[str, str]) -> Document:
    source = Source(id="doc:t", kind=SourceKind.GUIDELINE, title="T")
    return Document(source=source, sections=[DocSection(title=t, text=x) for t, x in sections])


def test_passages_never_cross_sections_and_offsets_point_into_the_section() -> None:
    long = " ".join(f"Sentence number {i} is here." for i in range(60))
    doc = _doc(("Assessment", long), ("Dosing", "Start low. Go slow."))
    passages = split_document(doc, max_chars=300)
    assert {p.section for p in passages} == {"Assessment", "Dosing"}
    assert all(len(p.text) <= 300 for p in passages)
    for passage in passages:
        section = next(s for s in doc.sections if s.title == passage.section)
        assert section.text[passage.char_start:passage.char_end] == passage.text
        assert passage.text.endswith(".")  # whole sentences only
    assert [p.id for p in passages] == [f"doc:t#{i}" for i in range(len(passages))]


def test_splitting_is_deterministic() -> None:
    doc = _doc(("Overview", "One. Two. Three."))
    assert split_document(doc) == split_document(doc)
