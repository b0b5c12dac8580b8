"""The data that flows between medcite's folders.

Every model is frozen and rejects unknown fields, so an object that exists is valid. The store
converts its rows to these types at its boundary; nothing else crosses a folder boundary.

Flow: ``Document`` (a parsed file record) -> ``Passage`` (a citable window of text) -> index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceKind(StrEnum):
    """What a source is, as shown to readers (its reference label)."""

    GUIDELINE = "guideline"
    RESEARCH = "research"
    PATIENT_INFO = "patient_info"


class Audience(StrEnum):
    """Who a document or an answer is written for."""

    CLINICIAN = "clinician"
    PATIENT = "patient"


class Source(_Frozen):
    """A citable source: one PubMed citation, guideline or patient-information document."""

    id: str = Field(description='Stable id: "pmid:<n>", "doi:<doi>" or "doc:<slug>".')
    kind: SourceKind = Field(
        description="Reference label: guideline, research or patient information."
    )
    study_type: str | None = Field(
        default=None,
        description="Finer evidence type, e.g. systematic_review, rct, observational, case_report.",
    )
    title: str = Field(min_length=1, description="Title of the article or document.")
    authors: list[str] = Field(default_factory=list, description="Authors in citation order.")
    journal: str | None = Field(default=None, description="Journal title (research).")
    publisher: str | None = Field(
        default=None, description="Issuing body or publisher (documents)."
    )
    year: int | None = Field(default=None, ge=1500, le=2200, description="Publication year.")
    published: dt.date | None = Field(default=None, description="Publication date, when known.")
    pmid: str | None = Field(default=None, description="PubMed id, digits only.")
    doi: str | None = Field(default=None, description="Digital Object Identifier, without prefix.")
    url: str | None = Field(default=None, description="Web address (http or https only).")
    publication_types: list[str] = Field(
        default_factory=list,
        description="PubMed publication types, e.g. 'Randomized Controlled Trial'.",
    )
    mesh_terms: list[str] = Field(
        default_factory=list, description="MeSH headings as 'UI:Label', a '*' marks a major topic."
    )
    retracted: bool = Field(default=False, description="Retracted: never used in answers.")
    concern: bool = Field(default=False, description="An expression of concern was published.")
    audience: Audience | None = Field(default=None, description="Intended reader, for documents.")
    topics: list[str] = Field(default_factory=list, description="Conditions and drugs it is about.")
    starter: bool = Field(default=False, description="Part of the bundled starter library.")
    based_on: list[str] = Field(
        default_factory=list, description="References a written summary follows (starter library)."
    )
    version: int = Field(default=1, ge=1, description="Record version (PubMed PMID@Version).")

    @field_validator("url")
    @classmethod
    def _safe_url(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value


class DocSection(_Frozen):
    """One headed section of a document (e.g. an abstract's RESULTS, a guideline's 'Dosing')."""

    title: str = Field(description="Section heading as written ('' when the text has none).")
    category: str | None = Field(
        default=None, description="Normalised section kind, e.g. PubMed NlmCategory 'CONCLUSIONS'."
    )
    text: str = Field(min_length=1, description="Section text, whitespace-normalised.")


class Document(_Frozen):
    """A source with its text, as read from a file, before it is split into passages."""

    source: Source = Field(description="The source's citable metadata.")
    sections: list[DocSection] = Field(min_length=1, description="Text in reading order.")
    origin: str = Field(default="", description="Where it was read from: 'path:line'.")

    @property
    def content_hash(self) -> str:
        """Hash of metadata and text: re-ingesting an unchanged record is a no-op."""
        # model_dump_json is deterministic (field order) and far faster than json.dumps.
        return content_hash(self.model_dump_json(exclude={"origin"}))


class Passage(_Frozen):
    """A citable window of one section of a source; answers quote passages."""

    id: str = Field(description='Deterministic id: "<source_id>#<ordinal>".')
    source_id: str = Field(description="Id of the source the passage belongs to.")
    ordinal: int = Field(ge=0, description="Position of the passage within its source.")
    section: str = Field(description="Heading of the section the passage comes from.")
    category: str | None = Field(default=None, description="Normalised section kind, if any.")
    text: str = Field(min_length=1, description="The passage text, a substring of its section.")
    char_start: int = Field(ge=0, description="Offset of the text within its section.")
    char_end: int = Field(ge=0, description="End offset (exclusive) within its section.")

    @model_validator(mode="after")
    def _offsets(self) -> Passage:
        if self.char_end - self.char_start != len(self.text):
            raise ValueError("char_end - char_start must equal len(text)")
        return self

    @property
    def content_hash(self) -> str:
        """Hash of the passage text."""
        return content_hash(self.text)


class IngestReport(_Frozen):
    """What one ingest did, file by file; the CLI prints it, tests assert on it."""

    files: int = Field(default=0, description="Files read.")
    records: int = Field(default=0, description="Records seen in all files.")
    added: int = Field(default=0, description="Sources new to the store.")
    updated: int = Field(default=0, description="Sources replaced by a newer or changed version.")
    unchanged: int = Field(default=0, description="Sources already stored as they are.")
    deleted: int = Field(default=0, description="Sources removed by DeleteCitation.")
    skipped_files: int = Field(default=0, description="Files already fully ingested (checkpoint).")
    resumed_records: int = Field(default=0, description="Records skipped thanks to a checkpoint.")
    passages: int = Field(default=0, description="Passages written.")
    errors: list[str] = Field(default_factory=list, description="Rejected records and files.")
    seconds: float = Field(default=0.0, ge=0, description="Wall-clock time.")

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not self.errors


class StoreStats(_Frozen):
    """Counts of what the store holds."""

    sources: int = Field(description="Stored sources.")
    passages: int = Field(description="Stored passages.")
    by_kind: dict[str, int] = Field(description="Sources per kind.")
    retracted: int = Field(description="Sources flagged as retracted.")


def content_hash(text: str) -> str:
    """Short, stable SHA-256 digest of text (hex, 32 chars)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def dump(model: BaseModel) -> dict[str, Any]:
    """A model as JSON-ready data."""
    return model.model_dump(mode="json")
