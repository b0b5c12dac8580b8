"""The bundled starter library loads completely, and every document follows the house format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medcite.cli import starter_library
from medcite.ingest.guidelines import read_document
from medcite.store import Store
from medcite.types import Audience, SourceKind

FILES = sorted(starter_library().glob("*.md"))
CLINICIAN_HEADINGS = {"Overview", "Assessment", "Differential diagnosis", "Non-drug management",
                      "Drug treatment", "Dosing", "Special populations", "Monitoring", "Pitfalls",
                      "When to refer"}
PATIENT_HEADINGS = {"Summary", "What it is", "Causes", "What helps", "Medicines",
                    "Side effects and cautions", "When to seek urgent care",
                    "Questions to ask your doctor", "Bottom line"}
# "Issuing body. Title. Year." (a year may be absent for product labels).
REFERENCE = re.compile(r"^[^.]+\..+\.$")


def test_the_library_has_at_least_60_documents_in_both_forms() -> None:
    topics = {f.stem.rsplit("-", 1)[0] for f in FILES}
    assert len(FILES) >= 60
    for topic in topics:
        assert (starter_library() / f"{topic}-clinician.md").exists(), topic
        assert (starter_library() / f"{topic}-patient.md").exists(), topic


def test_the_library_covers_the_muscle_spasm_family() -> None:
    stems = {f.stem for f in FILES}
    for topic in ("muscle-spasm", "muscle-cramps", "spasticity", "baclofen", "tizanidine",
                  "cyclobenzaprine", "dantrolene", "botulinum-toxin-spasticity", "low-back-pain"):
        assert f"{topic}-clinician" in stems and f"{topic}-patient" in stems


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_every_document_is_valid_starter_content(path: Path) -> None:
    doc = read_document(path)
    source = doc.source
    assert source.id == f"doc:{path.stem}"
    assert source.starter and source.publisher == "medcite starter library"
    assert source.based_on and all(REFERENCE.match(ref) for ref in source.based_on)
    assert source.topics
    if path.stem.endswith("-clinician"):
        assert (source.kind, source.audience) == (SourceKind.GUIDELINE, Audience.CLINICIAN)
        assert {s.title for s in doc.sections} <= CLINICIAN_HEADINGS
    else:
        assert (source.kind, source.audience) == (SourceKind.PATIENT_INFO, Audience.PATIENT)
        assert {s.title for s in doc.sections} <= PATIENT_HEADINGS
        assert "When to seek urgent care" in {s.title for s in doc.sections}


def test_starter_references_cite_no_identifiers_we_could_get_wrong() -> None:
    for path in FILES:
        for ref in read_document(path).source.based_on:
            assert not re.search(r"\bPMID\b|\bdoi\b|10\.\d{4,}/|https?://", ref, re.I), (path, ref)


def test_the_starter_library_is_stored_in_full(starter_store: Store) -> None:
    stats = starter_store.stats()
    assert stats.sources == len(FILES)
    assert stats.by_kind == {"guideline": len(FILES) // 2, "patient_info": len(FILES) // 2}
    assert stats.passages > stats.sources
