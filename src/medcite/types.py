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
    crisis: bool = Field(
        default=False, description="A self-harm or suicide rule: show the crisis line too."
    )


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
    reports: list[str] = Field(
        default_factory=list,
        description='Publications ("PMID:…") of a reported patient like this one (case library).',
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
    crisis: bool = Field(
        default=False, description="A self-harm or suicide red flag fired: show the crisis line."
    )


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


# --- Review workflow -------------------------------------------------------------------------


class ReviewStatus(StrEnum):
    """Where an article version stands in the advisory board's review (medcite.review.workflow).

    Submitted -> Under review -> Approved; Under review -> Changes requested -> (edited) ->
    Submitted; Under review -> Rejected. No other move is allowed.
    """

    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"


# --- Articles (review/publish.py, web/) ------------------------------------------------------


class Article(_Frozen):
    """A question answered as a page: its identity and where its latest version stands."""

    id: int = Field(ge=1, description="Stable numeric id (part of the URL).")
    slug: str = Field(min_length=1, description="URL words made from the question.")
    question: str = Field(min_length=1, description="The question as first asked.")
    status: ReviewStatus = Field(description="Review status of the latest version.")
    latest_version: int = Field(ge=1, description="Number of the newest version.")
    approved_version: int | None = Field(
        default=None, ge=1, description="Newest approved version, if any (what readers see)."
    )
    parent_id: int | None = Field(
        default=None, description="The article this one was asked as a follow-up of."
    )
    answered: bool = Field(description="False when both audience renderings abstained.")
    topics: list[str] = Field(default_factory=list, description="Slugs of its library topics.")
    created_at: dt.datetime = Field(description="When it was first asked (UTC).")
    updated_at: dt.datetime = Field(description="When its latest version was made (UTC).")
    preview_key: str | None = Field(
        default=None, repr=False, exclude=True,
        description="Secret key of the draft's unlisted address (never serialised).",
    )


class ArticleVersion(_Frozen):
    """One version of an article: the same evidence rendered for both audiences."""

    article_id: int = Field(ge=1, description="The article this version belongs to.")
    version: int = Field(ge=1, description="Version number, 1 for the first draft.")
    status: ReviewStatus = Field(description="Where this version stands in review.")
    clinician: Answer = Field(description="The answer written for clinicians.")
    patient: Answer = Field(description="The same evidence written for patients and carers.")
    retrieved_ids: list[str] = Field(
        description="Passage ids retrieval returned for the question (shared by both audiences)."
    )
    evidence_ids: list[str] = Field(
        description="Passage ids the two renderings cite, clinician first, each once."
    )
    settings_digest: str = Field(description="Digest of the settings that drafted it.")
    content_hash: str = Field(description="Hash of both renderings (for the audit trail).")
    created_at: dt.datetime = Field(description="When this version was made (UTC).")
    created_by: str | None = Field(
        default=None, description="Account that made it; None when medcite drafted it."
    )

    @model_validator(mode="after")
    def _audiences(self) -> ArticleVersion:
        if self.clinician.audience is not Audience.CLINICIAN:
            raise ValueError("the clinician rendering must be written for clinicians")
        if self.patient.audience is not Audience.PATIENT:
            raise ValueError("the patient rendering must be written for patients")
        return self

    def answer(self, audience: Audience) -> Answer:
        """The rendering for ``audience``."""
        return self.clinician if audience is Audience.CLINICIAN else self.patient


class ArticleDraft(_Frozen):
    """A new article as drafted, before the store gives it an id."""

    question: str = Field(min_length=1, description="The question, whitespace-normalised.")
    question_key: str = Field(
        min_length=1, description="Lookup key: the normalised question (and follow-up parent)."
    )
    slug: str = Field(min_length=1, description="URL words made from the question.")
    parent_id: int | None = Field(default=None, description="Parent article of a follow-up.")
    topics: list[str] = Field(default_factory=list, description="Library topic slugs.")
    clinician: Answer = Field(description="The clinician rendering.")
    patient: Answer = Field(description="The patient rendering.")
    retrieved_ids: list[str] = Field(description="Passage ids retrieval returned.")
    evidence_ids: list[str] = Field(description="Passage ids the renderings cite.")
    settings_digest: str = Field(description="Digest of the settings that drafted it.")
    created_by: str | None = Field(default=None, description="Account that asked, if any.")

    @property
    def answered(self) -> bool:
        """True when at least one rendering answers (does not abstain)."""
        return not (self.clinician.abstained and self.patient.abstained)


class FeedbackKind(StrEnum):
    """What a reader sent about a page."""

    HELPFUL = "helpful"  # "Was this page helpful?" yes / no, optional comment
    ERROR = "error"  # "Report an error", with a description


class FeedbackStatus(StrEnum):
    """Where a feedback item stands with the editors (R-ED-2)."""

    OPEN = "open"
    ADDRESSED = "addressed"
    REJECTED = "rejected"


class Feedback(_Frozen):
    """Page feedback or an error report; linked to an article version, nothing about the sender."""

    id: int | None = Field(default=None, description="Stored id; None before it is saved.")
    article_id: int = Field(ge=1, description="The article the reader was on.")
    version: int = Field(ge=1, description="The version the reader saw.")
    audience: Audience = Field(description="The rendering the reader saw.")
    kind: FeedbackKind = Field(description="Helpful vote or error report.")
    helpful: bool | None = Field(default=None, description="The vote, for kind 'helpful'.")
    comment: str | None = Field(default=None, description="Optional comment (error: required).")
    status: FeedbackStatus = Field(default=FeedbackStatus.OPEN, description="Editorial status.")
    created_at: dt.datetime | None = Field(default=None, description="When it was sent (UTC).")

    @model_validator(mode="after")
    def _complete(self) -> Feedback:
        if self.kind is FeedbackKind.HELPFUL and self.helpful is None:
            raise ValueError("a 'helpful' vote needs helpful = true or false")
        if self.kind is FeedbackKind.ERROR and not (self.comment or "").strip():
            raise ValueError("an error report needs a description of the error")
        return self


class Topic(_Frozen):
    """A library topic: a condition or drug with its guideline and patient documents."""

    slug: str = Field(min_length=1, description="URL name, e.g. 'muscle-spasm'.")
    name: str = Field(min_length=1, description="Readable name, e.g. 'Muscle spasms'.")
    summary: str | None = Field(default=None, description="One-line description, if known.")
    source_ids: list[str] = Field(description="Documents of the topic, clinician form first.")
    terms: list[str] = Field(default_factory=list, description="Names and synonyms it covers.")


# --- Accounts, review and audit (medcite.review) ---------------------------------------------


class Role(StrEnum):
    """What an account may do. Readers are anonymous; the other roles sign in."""

    READER = "reader"
    EDITOR = "editor"
    REVIEWER = "reviewer"  # a member of the medical advisory board
    ADMIN = "admin"


class Actor(_Frozen):
    """Who does something: an account, medcite itself (drafts) or the operator (the CLI)."""

    id: str = Field(min_length=1, description="Username, or 'medcite' / 'operator'.")
    role: Role = Field(description="The role the action was taken in.")


class User(_Frozen):
    """An account, without its secrets; a reviewer's profile is shown on pages they approve."""

    id: int = Field(ge=1, description="Stored id.")
    username: str = Field(
        min_length=1, description="Permanent, lowercase login name; the actor id in the audit."
    )
    role: Role = Field(description="What the account may do.")
    name: str | None = Field(default=None, description="Full name shown on approved pages.")
    credentials: str | None = Field(default=None, description="Qualifications, e.g. 'MD, FRCP'.")
    specialty: str | None = Field(default=None, description="Clinical specialty, e.g. 'Neurology'.")
    active: bool = Field(default=True, description="False: the account can no longer sign in.")
    created_at: dt.datetime = Field(description="When the account was made (UTC).")

    @property
    def actor(self) -> Actor:
        """This account as the actor of an action."""
        return Actor(id=self.username, role=self.role)


class IssuedSecret(_Frozen):
    """A new session or API token: ``token`` is shown once, only its hash is stored."""

    token: str = Field(description="The secret to hand to the client (cookie or bearer token).")
    user: User = Field(description="The account it signs in as.")
    expires_at: dt.datetime | None = Field(
        default=None, description="When it stops working (UTC); None: until revoked."
    )


class ReviewSubject(_Frozen):
    """What the workflow needs to know of an article version when it is submitted."""

    article_id: int = Field(ge=1, description="The article's id.")
    version: int = Field(ge=1, description="The version number.")
    content_hash: str = Field(min_length=1, description="Hash of the version's content.")


class SourcePin(_Frozen):
    """A cited source as it stood at approval, to notice a later retraction or replacement."""

    source_id: str = Field(description="The cited source's id.")
    version: int = Field(ge=1, description="Its record version then.")
    content_hash: str = Field(description="Its stored content hash then.")


class Approval(_Frozen):
    """One reviewer's approval of one version's content."""

    reviewer: str = Field(description="Username of the approving reviewer.")
    at: dt.datetime = Field(description="When (UTC).")
    content_hash: str = Field(description="The content approved; an edit makes it stale.")
    pins: list[SourcePin] = Field(default_factory=list, description="Cited sources then.")


class ReviewState(_Frozen):
    """Where one article version stands in review, with everything the rules look at."""

    article_id: int = Field(ge=1, description="The article's id.")
    version: int = Field(ge=1, description="The version number.")
    status: ReviewStatus = Field(description="Current review status.")
    authors: list[str] = Field(
        min_length=1, description="Who wrote or edited this version, submitter first."
    )
    content_hash: str = Field(description="Hash of the current content.")
    revision: int = Field(ge=1, description="Bumped on every change (optimistic locking).")
    changes_requested_hash: str | None = Field(
        default=None, description="Content when changes were requested; resubmitting needs new."
    )
    approvals: list[Approval] = Field(
        default_factory=list, description="Approvals of the current content, oldest first."
    )
    submitted_at: dt.datetime = Field(description="When it was (last) submitted (UTC).")
    updated_at: dt.datetime = Field(description="When it last changed (UTC).")
    approved_at: dt.datetime | None = Field(default=None, description="When approved (UTC).")


class AuditEvent(_Frozen):
    """One thing that happened, as the audit trail records it (R-AUD-1)."""

    at: dt.datetime = Field(description="When (UTC).")
    actor: str = Field(description="Who: a username, 'medcite', 'operator' or a tried name.")
    role: str = Field(description="The actor's role then.")
    action: str = Field(
        min_length=1, description="e.g. 'approve', 'edit', 'refused:approve', 'login_failed'."
    )
    article_id: int | None = Field(default=None, description="The article acted on, if any.")
    version: int | None = Field(default=None, description="Its version, if any.")
    from_state: str | None = Field(default=None, description="Status (or role) before.")
    to_state: str | None = Field(default=None, description="Status (or role) after.")
    content_hash: str | None = Field(default=None, description="Content hash of the version.")
    comment: str = Field(default="", description="Reviewer's note or reason for a refusal.")

    @field_validator("at")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("audit times must be timezone-aware")
        return value.astimezone(dt.UTC)


class AuditRecord(AuditEvent):
    """A stored audit row: the event, its place in the chain and the chain hashes."""

    seq: int = Field(ge=1, description="Position in the trail, 1 for the first row.")
    prev_hash: str = Field(description="row_hash of the row before (64 zeros for the first).")
    row_hash: str = Field(description="SHA-256 of prev_hash and the event's canonical form.")


class AuditVerification(_Frozen):
    """What walking the audit chain found."""

    ok: bool = Field(description="True when every row is intact and linked.")
    rows: int = Field(ge=0, description="Rows checked.")
    head_hash: str = Field(description="row_hash of the last row (record it elsewhere).")
    first_bad_seq: int | None = Field(default=None, description="First broken row, if any.")
    reason: str | None = Field(default=None, description="What is wrong with it.")


class ReviewDue(_Frozen):
    """When an approved article is next due for review."""

    article_id: int = Field(ge=1, description="The article's id.")
    version: int = Field(ge=1, description="The approved (public) version.")
    approved_at: dt.datetime = Field(description="When it was approved (UTC).")
    due: dt.date = Field(description="Next review due (UTC date).")
    overdue: bool = Field(description="True when the due date has passed.")


class SourceChangeKind(StrEnum):
    """How a cited source changed since approval."""

    RETRACTED = "retracted"
    REPLACED = "replaced"  # a newer version or changed content
    REMOVED = "removed"  # no longer in the store


class SourceChange(_Frozen):
    """A cited source that changed since the version citing it was approved."""

    source_id: str = Field(description="The cited source.")
    change: SourceChangeKind = Field(description="What happened to it.")


class ReReviewFlag(_Frozen):
    """An approved version whose cited sources changed: it needs review again."""

    article_id: int = Field(ge=1, description="The article's id.")
    version: int = Field(ge=1, description="The approved version.")
    changes: list[SourceChange] = Field(min_length=1, description="What changed.")


class ArticleReading(_Frozen):
    """What one reader's request reads in one go: the article, the version shown, neighbours."""

    article: Article = Field(description="The article.")
    version: int | None = Field(description="The version shown; None: hidden from readers.")
    status: ReviewStatus | None = Field(description="Review status of the version shown.")
    content_hash: str | None = Field(description="Content hash of the version shown.")
    parent: Article | None = Field(description="The readable article it follows up, if any.")
    follow_ups: list[Article] = Field(description="Listed follow-ups of it, newest first.")


# --- Who reads, and what the board works on (medcite.review, web/review*) ---------------------


STAFF_ROLES = frozenset({Role.EDITOR, Role.REVIEWER, Role.ADMIN})
"""Roles that work on articles: they see drafts; readers see approved versions only."""


class Viewer(_Frozen):
    """Who is reading: a signed-in account or an anonymous reader, with a draft's key if given.

    Readers see approved versions only; staff (editors, reviewers, admins) see every version;
    an anonymous asker sees the draft of their question through its unlisted address (``key``).
    """

    user: User | None = Field(default=None, description="The signed-in account, if any.")
    key: str | None = Field(
        default=None, repr=False,
        description="Key of one draft's unlisted address, presented by whoever asked it.",
    )

    @property
    def staff(self) -> bool:
        """True for editors, reviewers and admins."""
        return self.user is not None and self.user.role in STAFF_ROLES

    @property
    def actor(self) -> Actor | None:
        """The account as an actor, if signed in."""
        return self.user.actor if self.user is not None else None


class EditKind(StrEnum):
    """What an edit does to one rendering of an article version."""

    EDIT_STATEMENT = "edit_statement"
    REMOVE_STATEMENT = "remove_statement"
    REMOVE_SECTION = "remove_section"


class ContentEdit(_Frozen):
    """One change to a statement or section of a version's rendering for one audience.

    Sections and statements are numbered from 1, as shown on the review page. ``base_hash``
    is the version's content hash the editor saw; an edit of changed content is refused.
    """

    kind: EditKind = Field(description="Edit a statement's text, remove a statement or section.")
    audience: Audience = Field(description="The rendering edited.")
    section: int = Field(ge=1, description="Section number, from 1.")
    statement: int | None = Field(default=None, ge=1, description="Statement number, from 1.")
    text: str | None = Field(default=None, description="New statement text (edit_statement).")
    base_hash: str = Field(min_length=1, description="Content hash of the version as seen.")

    @model_validator(mode="after")
    def _complete(self) -> ContentEdit:
        if self.kind is not EditKind.REMOVE_SECTION and self.statement is None:
            raise ValueError(f"{self.kind.value} needs a statement number")
        if self.kind is EditKind.EDIT_STATEMENT and not (self.text or "").strip():
            raise ValueError("edit_statement needs the new text")
        return self


class ContentRevision(_Frozen):
    """One state of a version's content: as first made, or as an edit left it."""

    article_id: int = Field(ge=1, description="The article.")
    version: int = Field(ge=1, description="The version number.")
    revision: int = Field(ge=1, description="1 for the version as made, +1 per edit.")
    content_hash: str = Field(description="Hash of both renderings in this state.")
    made_at: dt.datetime = Field(description="When this content was made (UTC).")
    made_by: str | None = Field(description="Who made it; None: drafted by medcite.")
    current: bool = Field(description="True for the version's present content.")

    @property
    def label(self) -> str:
        """'v2' or 'v2.3': version, then the edit number when edited."""
        return f"v{self.version}" if self.revision == 1 else f"v{self.version}.{self.revision}"


class DiffLine(_Frozen):
    """One line of a readable diff between two content states."""

    change: str = Field(description="'same', 'added' or 'removed'.")
    text: str = Field(description="A heading or statement, as read.")


class ReviewerCredit(_Frozen):
    """A reviewer as named on a page they approved (R-ED-1)."""

    username: str = Field(description="The reviewer's account.")
    name: str = Field(description="Full name shown (the username when no name is stored).")
    credentials: str | None = Field(default=None, description="Qualifications, e.g. 'MD'.")
    specialty: str | None = Field(default=None, description="Clinical specialty.")
    approved_at: dt.datetime = Field(description="When they approved (UTC).")


class ApprovalNote(_Frozen):
    """What an approved page says about its review: who, when, and when it is due again."""

    reviewers: list[ReviewerCredit] = Field(min_length=1, description="Approving reviewers.")
    approved_at: dt.datetime = Field(description="When the version was approved (UTC).")
    next_review_due: dt.date = Field(description="When it is due for review again (UTC date).")
    overdue: bool = Field(description="True when that date has passed.")


class QueueItem(_Frozen):
    """A version waiting on the board, with the article it belongs to."""

    article: Article = Field(description="The article.")
    state: ReviewState = Field(description="The version's review state.")
    age_days: int = Field(ge=0, description="Whole days since it was (last) submitted.")
    feedback: int = Field(ge=0, description="Open feedback items and error reports on it.")


class FlaggedArticle(_Frozen):
    """A public version that needs review again: overdue, or its cited sources changed."""

    article: Article = Field(description="The article.")
    version: int = Field(ge=1, description="The approved (public) version.")
    due: ReviewDue | None = Field(default=None, description="Its due date, when overdue.")
    changes: list[SourceChange] = Field(
        default_factory=list, description="Cited sources retracted, replaced or removed."
    )


class FeedbackItem(_Frozen):
    """A reader's vote or error report, with the question of the article it is about."""

    feedback: Feedback = Field(description="The item as sent.")
    question: str = Field(description="The article's question.")


class ReviewQueue(_Frozen):
    """The board's queue: waiting versions, flagged public articles, open reader feedback."""

    items: list[QueueItem] = Field(description="Versions waiting, oldest first.")
    flagged: list[FlaggedArticle] = Field(description="Public articles to review again.")
    feedback: list[FeedbackItem] = Field(description="Open feedback and error reports.")


class ContentState(_Frozen):
    """A content state of a version with both its renderings (for history and diffs)."""

    revision: ContentRevision = Field(description="Which state, made when and by whom.")
    clinician: Answer = Field(description="The clinician rendering in this state.")
    patient: Answer = Field(description="The patient rendering in this state.")

    def answer(self, audience: Audience) -> Answer:
        """The rendering for ``audience``."""
        return self.clinician if audience is Audience.CLINICIAN else self.patient
