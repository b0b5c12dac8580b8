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


# --- Symptom checker -------------------------------------------------------------------------


class TriageLevel(StrEnum):
    """How urgently to act, most urgent first (crosswalk: Semigran et al., BMJ 2015 buckets)."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"
    SELF_CARE = "self-care"

    @property
    def rank(self) -> int:
        """0 for emergency … 3 for self-care; lower is more urgent."""
        return list(TriageLevel).index(self)

    @classmethod
    def most_urgent(cls, levels: list[TriageLevel]) -> TriageLevel:
        """The most urgent of ``levels`` (routine when the list is empty, never self-care)."""
        return min(levels, key=lambda level: level.rank, default=cls.ROUTINE)


class Sex(StrEnum):
    """Sex as reported by the user, used only to weight sex-specific conditions."""

    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class Finding(_Frozen):
    """One finding, present or explicitly absent, in our vocabulary and/or HPO."""

    id: str = Field(description='Finding id: an HPO id "HP:0002315" or ours, e.g. "f:chest_pain".')
    label: str = Field(min_length=1, description="Readable name of the finding.")
    hpo_id: str | None = Field(default=None, description="Matching HPO term id, when there is one.")
    present: bool = Field(default=True, description="False when the user said it is absent.")
    text: str | None = Field(
        default=None, description="The words it was read from (never logged or stored)."
    )


class SymptomQuery(_Frozen):
    """What the user told the symptom checker: free text and/or findings, age, sex, duration."""

    text: str = Field(default="", description='Free text, e.g. "headache and stiff neck, no rash".')
    findings: list[Finding] = Field(
        default_factory=list, description="Findings already picked or answered (interview)."
    )
    age: float | None = Field(default=None, ge=0, le=130, description="Age in years.")
    sex: Sex = Field(default=Sex.UNKNOWN, description="Sex, for sex-specific conditions.")
    duration_days: float | None = Field(
        default=None, ge=0, le=36_500, description="How long the symptoms have lasted, in days."
    )
    asked: list[str] = Field(
        default_factory=list, description="Finding ids already asked about in this session."
    )


class RedFlag(_Frozen):
    """A red-flag rule that fired: it sets a minimum triage level on its own."""

    id: str = Field(description="Rule id, e.g. 'rf:chest_pain'.")
    label: str = Field(description="Plain-language name of the warning sign.")
    level: TriageLevel = Field(description="The triage level the rule demands at least.")
    advice: str = Field(description="What to do now, in plain words.")
    source: str = Field(description="Guideline or reference the rule comes from.")
    finding_ids: list[str] = Field(description="The findings that triggered the rule.")


class PossibleCause(_Frozen):
    """A condition that can cause the findings, with the reasons for and against it."""

    id: str = Field(description='Condition id: ours ("c:migraine"), "OMIM:154700" or "ORPHA:…".')
    name: str = Field(description="Condition name.")
    score: float = Field(ge=0, le=1, description="Relative probability among the listed causes.")
    triage: TriageLevel = Field(description="Triage level this condition calls for.")
    supporting: list[str] = Field(description="Labels of findings that argue for it.")
    opposing: list[str] = Field(description="Labels of findings that argue against it.")
    source: str = Field(description="Reference behind the condition's knowledge.")
    articles: list[str] = Field(
        default_factory=list, description="Slugs of related explainer pages."
    )


class Question(_Frozen):
    """The next question to ask: is this finding present?"""

    finding_id: str = Field(description="Id of the finding asked about.")
    label: str = Field(description="Readable name of the finding.")
    text: str = Field(description="The question in plain words.")
    information_gain: float = Field(ge=0, description="Expected entropy reduction, in bits.")


class Assessment(_Frozen):
    """The symptom checker's answer: triage first, then possible causes and the next question."""

    triage: TriageLevel = Field(description="The most urgent of the red flags and the causes.")
    advice: str = Field(description="Plain next steps for the triage level.")
    red_flags: list[RedFlag] = Field(description="Red-flag rules that fired.")
    findings: list[Finding] = Field(description="Findings as understood (present and absent).")
    causes: list[PossibleCause] = Field(description="Possible causes, most likely first.")
    next_question: Question | None = Field(description="The most informative question, or None.")
    unknown_terms: list[str] = Field(
        default_factory=list, description="Words or ids that matched no finding (knowns/unknowns)."
    )
    disclaimer: str = Field(description="Intended use: not a diagnosis, not a substitute for care.")


# --- Cited answers (answer/) -----------------------------------------------------------------


class Intent(StrEnum):
    """What a question asks for; one question may carry several."""

    MANAGEMENT = "management"
    DIAGNOSIS = "diagnosis"
    DOSING = "dosing"
    CAUSES = "causes"
    SIDE_EFFECTS = "side_effects"
    PROGNOSIS = "prognosis"
    PREVENTION = "prevention"
    COMPARISON = "comparison"
    DEFINITION = "definition"


class QuestionAnalysis(_Frozen):
    """A question as understood: what it asks, about what and whom (echoed with every answer)."""

    text: str = Field(min_length=1, description="The question as asked (whitespace-normalised).")
    intents: list[Intent] = Field(description="What it asks for, in order of first mention.")
    subject_terms: list[str] = Field(
        description="Content words naming the condition or drug it is about (lower case)."
    )
    population: list[str] = Field(
        default_factory=list, description="Populations named, e.g. 'older adults', 'pregnancy'."
    )
    inherited_from: str | None = Field(
        default=None, description="The earlier question whose subject a follow-up inherited."
    )
    search_text: str = Field(description="The text sent to retrieval (with inherited subject).")


class Evidence(_Frozen):
    """A stored passage with its source, retrieved for one question: the only thing cited."""

    id: str = Field(description="Evidence id: the passage id it wraps.")
    passage: Passage = Field(description="The stored passage.")
    source: Source = Field(description="The passage's source.")
    score: float = Field(description="Retrieval score (higher is better; comparable per question).")
    rank: int = Field(ge=1, description="Rank of the evidence for this question, 1 is best.")


class Quote(_Frozen):
    """An exact substring of a stored passage that supports a statement."""

    passage_id: str = Field(description="Id of the passage quoted.")
    text: str = Field(min_length=1, description="The quoted words, verbatim from the passage.")


class Statement(_Frozen):
    """One clear statement of an answer with the evidence that supports it."""

    text: str = Field(min_length=1, description="The statement as shown to the reader.")
    evidence_ids: list[str] = Field(
        min_length=1, description="Passage ids that support it (at least one)."
    )
    quotes: list[Quote] = Field(
        default_factory=list, description="The supporting words, verbatim from those passages."
    )
    support: float = Field(
        ge=0, le=1, description="Share of the statement's content words found in its quotes."
    )
    bold: bool = Field(default=False, description="Shown in bold (the bottom line).")


class AnswerSection(_Frozen):
    """A headed group of statements, e.g. 'Bottom line' or 'Initial assessment'."""

    title: str = Field(min_length=1, description="Section heading.")
    statements: list[Statement] = Field(min_length=1, description="Statements in reading order.")


class Citation(_Frozen):
    """A numbered reference: a source and the passages of it that the answer quotes."""

    number: int = Field(ge=1, description="Citation number, by first use in the answer.")
    source: Source = Field(description="The cited source, as stored.")
    label: str = Field(
        description="Reference kind: 'Guideline', 'Research' or 'Patient information'."
    )
    study_type: str | None = Field(default=None, description="Finer evidence type, when known.")
    passage_ids: list[str] = Field(min_length=1, description="Cited passages of this source.")
    quotes: list[Quote] = Field(min_length=1, description="Quoted words of those passages.")


class Answer(_Frozen):
    """A cited answer for one audience, or an explicit abstention; red flags come first."""

    question: str = Field(description="The question as asked.")
    audience: Audience = Field(description="Who the answer is written for.")
    analysis: QuestionAnalysis | None = Field(
        default=None, description="The question as understood (None when only red flags ran)."
    )
    red_flags: list[RedFlag] = Field(
        default_factory=list, description="Warning signs found in the question; shown first."
    )
    urgent_notice: str | None = Field(
        default=None, description="The urgent-care notice shown before anything else, if any."
    )
    sections: list[AnswerSection] = Field(default_factory=list, description="The answer body.")
    citations: list[Citation] = Field(default_factory=list, description="References, 1..n.")
    abstained: bool = Field(description="True when the evidence does not answer the question.")
    abstain_reason: str | None = Field(default=None, description="Why it abstained.")
    closest_sources: list[Source] = Field(
        default_factory=list, description="Nearest sources found when abstaining (not cited)."
    )
    readability_grade: float | None = Field(
        default=None, description="Flesch-Kincaid grade of the statements (patient answers)."
    )
    generator: str = Field(default="extractive", description="What composed the statements.")
    disclaimer: str = Field(min_length=1, description="Purpose and limits of the answer.")
    settings_digest: str = Field(default="", description="Digest of the settings that made it.")

    @model_validator(mode="after")
    def _cited(self) -> Answer:
        numbers = [c.number for c in self.citations]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("citation numbers must run 1..n in order")
        if not self.abstained and not self.citations:
            raise ValueError("an answer that does not abstain needs at least one citation")
        if self.abstained and self.sections:
            raise ValueError("an abstaining answer makes no statements")
        cited = {pid for c in self.citations for pid in c.passage_ids}
        for section in self.sections:
            for statement in section.statements:
                if not set(statement.evidence_ids) <= cited:
                    raise ValueError(f"statement cites an unlisted passage: {statement.text!r}")
        return self


class SearchFilters(_Frozen):
    """Restrictions on what a search may return; retracted sources are always excluded."""

    kinds: list[SourceKind] = Field(
        default_factory=list, description="Only sources of these kinds (empty: every kind)."
    )
    study_types: list[str] = Field(
        default_factory=list,
        description="Only sources of these study types, e.g. 'rct' (empty: any or none).",
    )
    year_min: int | None = Field(default=None, ge=1500, le=2200, description="Earliest year.")
    year_max: int | None = Field(default=None, ge=1500, le=2200, description="Latest year.")
    audience: Audience | None = Field(
        default=None,
        description="Only documents for this reader; sources without an audience still match.",
    )

    @model_validator(mode="after")
    def _years(self) -> SearchFilters:
        if self.year_min is not None and self.year_max is not None:
            if self.year_min > self.year_max:
                raise ValueError("year_min must not be after year_max")
        return self


class Hit(_Frozen):
    """One retrieved passage, ranked; the answer engine joins it to its Passage and Source."""

    passage_id: str = Field(description='Id of the retrieved passage ("<source_id>#<n>").')
    source_id: str = Field(description="Id of the passage's source.")
    score: float = Field(description="Final ranking score; higher is better (retriever-specific).")
    rank: int = Field(ge=1, description="1-based position in the result list.")
    retriever: str = Field(description='What produced it: "lexical", "dense" or "hybrid".')
    lexical_rank: int | None = Field(
        default=None, ge=1, description="Rank in the lexical candidate list, if it was there."
    )
    dense_rank: int | None = Field(
        default=None, ge=1, description="Rank in the dense candidate list, if it was there."
    )
