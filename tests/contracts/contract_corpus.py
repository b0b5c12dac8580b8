"""Tiny, realistic documents for the contract tests, written through the real splitter."""

from __future__ import annotations

from medcite.ingest.split import split_document
from medcite.store import Store
from medcite.types import Audience, DocSection, Document, Passage, Source, SourceKind


def document(
    source_id: str, title: str, text: str, *, kind: SourceKind = SourceKind.RESEARCH,
    year: int | None = 2020, retracted: bool = False, audience: Audience | None = None,
) -> Document:
    """A one-section document with the given metadata."""
    source = Source(id=source_id, kind=kind, title=title, year=year, retracted=retracted,
                    audience=audience)
    return Document(source=source, sections=[DocSection(title="", text=text)])


def split(doc: Document) -> tuple[Document, list[Passage]]:
    """A document with its passages, ready for ``Store.write_batch``."""
    return doc, split_document(doc, max_chars=1200)


def add(store: Store, *documents: Document) -> None:
    """Split and write documents in one batch."""
    store.write_batch([split(d) for d in documents])


TINY = [
    document("pmid:1", "Aspirin after myocardial infarction",
             "Low-dose aspirin reduces recurrent vascular events after a heart attack."),
    document("pmid:2", "Statins for secondary prevention",
             "Statin therapy lowers LDL cholesterol and cardiovascular mortality."),
    document("pmid:3", "Aspirin and myocardial infarction: retracted trial",
             "Aspirin reduces recurrent myocardial infarction in every patient.", retracted=True),
    document("doc:htn-patient", "High blood pressure: a guide for patients",
             "Lisinopril or amlodipine are often the first medicines for hypertension.",
             kind=SourceKind.PATIENT_INFO, audience=Audience.PATIENT, year=2025),
    document("doc:htn-clinician", "Hypertension in adults: diagnosis and management",
             "Offer an ACE inhibitor or an ARB to adults with type 2 diabetes and HTN.",
             kind=SourceKind.GUIDELINE, audience=Audience.CLINICIAN, year=2019),
]
