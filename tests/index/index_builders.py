"""Tiny, realistic documents for retrieval tests, written to a real store."""

from __future__ import annotations

from medcite.index.embed_pipeline import embed_missing
from medcite.index.embedder import Embedder
from medcite.index.retrieve import HybridRetriever
from medcite.ingest.split import split_document
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Audience, DocSection, Document, Source, SourceKind


def make_document(
    source_id: str, title: str, text: str, *, kind: SourceKind = SourceKind.RESEARCH,
    year: int | None = 2020, retracted: bool = False, audience: Audience | None = None,
    study_type: str | None = None,
) -> Document:
    """A one-section document with the given metadata."""
    source = Source(id=source_id, kind=kind, title=title, year=year, retracted=retracted,
                    audience=audience, study_type=study_type)
    return Document(source=source, sections=[DocSection(title="", text=text)])


def add(store: Store, *documents: Document) -> None:
    """Split and write documents in one batch."""
    store.write_batch([(d, split_document(d, max_chars=1200)) for d in documents])


def add_embedded(store: Store, settings: Settings, embedder: Embedder,
                 *documents: Document) -> Store:
    """Write documents in one batch and embed them; returns the store."""
    add(store, *documents)
    embed_missing(store, settings, embedder=embedder)
    return store


def ranked_sources(store: Store, settings: Settings, embedder: Embedder, query: str,
                   **index: float) -> list[str]:
    """The source ids HybridRetriever ranks for ``query``, with some index settings changed."""
    tuned = settings.model_copy(update={"index": settings.index.model_copy(update=index)})
    return [h.source_id for h in HybridRetriever(store, tuned, embedder=embedder).search(query)]


TINY = [
    make_document("pmid:1", "Aspirin after myocardial infarction",
                  "Low-dose aspirin reduces recurrent vascular events after a heart attack."),
    make_document("pmid:2", "Statins for secondary prevention",
                  "Statin therapy lowers LDL cholesterol and cardiovascular mortality."),
    make_document("pmid:3", "Aspirin and myocardial infarction: retracted trial",
                  "Aspirin reduces recurrent myocardial infarction in every patient.",
                  retracted=True),
    make_document("doc:htn-patient", "High blood pressure: a guide for patients",
                  "Lisinopril or amlodipine are often the first medicines for hypertension.",
                  kind=SourceKind.PATIENT_INFO, audience=Audience.PATIENT, year=2025),
    make_document("doc:htn-clinician", "Hypertension in adults: diagnosis and management",
                  "Offer an ACE inhibitor or an ARB to adults with type 2 diabetes and HTN.",
                  kind=SourceKind.GUIDELINE, audience=Audience.CLINICIAN, year=2019),
]
