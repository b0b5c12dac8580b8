"""The JSON API's request and response bodies (documented in /api/v1/openapi.json).

Answers use the same shape as ``medcite ask --json`` (``medcite.answer.cite.to_json``), so the
CLI and the API speak one contract; article, source and topic data come from ``types.py``.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from medcite.types import (
    Audience,
    FeedbackKind,
    Passage,
    QuestionAnalysis,
    RedFlag,
    ReviewStatus,
    Source,
    Topic,
)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StatementOut(_Out):
    """One statement and the numbers of the references it cites."""

    text: str = Field(description="The statement.")
    citations: list[int] = Field(description="Reference numbers, ascending.")


class SectionOut(_Out):
    """A headed group of statements."""

    title: str = Field(description="Section heading, e.g. 'Bottom line'.")
    statements: list[StatementOut] = Field(description="Statements in reading order.")


class ReferenceOut(_Out):
    """One numbered reference with the exact quotes the answer rests on."""

    number: int = Field(description="Reference number, by first use.")
    kind: str = Field(description="'Guideline', 'Research' or 'Patient information'.")
    study_type: str | None = Field(description="Finer evidence type, when known.")
    title: str = Field(description="Title of the source.")
    source: str | None = Field(description="Journal or publisher.")
    year: int | None = Field(description="Publication year.")
    pmid: str | None = Field(description="PubMed id.")
    doi: str | None = Field(description="DOI.")
    url: str | None = Field(description="Web address (http or https).")
    quotes: list[str] = Field(description="Verbatim words of the cited passages.")
    passage_ids: list[str] = Field(description="Ids of the cited passages.")


class ClosestSourceOut(_Out):
    """A near source found when abstaining (not cited)."""

    id: str = Field(description="Source id.")
    title: str = Field(description="Source title.")
    kind: str = Field(description="Reference kind.")
    year: int | None = Field(description="Publication year.")


class AnswerOut(_Out):
    """A cited answer for one audience (the ``medcite ask --json`` contract)."""

    question: str = Field(description="The question as asked.")
    audience: Audience = Field(description="Who the answer is written for.")
    abstained: bool = Field(description="True when the evidence does not answer the question.")
    abstain_reason: str | None = Field(description="Why it abstained.")
    urgent_notice: str | None = Field(description="Urgent-care notice; show it first.")
    red_flags: list[RedFlag] = Field(description="Warning signs found in the question.")
    understood: QuestionAnalysis | None = Field(description="The question as understood.")
    sections: list[SectionOut] = Field(description="The answer body.")
    references: list[ReferenceOut] = Field(description="References 1..n.")
    closest_sources: list[ClosestSourceOut] = Field(description="Nearest sources (abstention).")
    readability_grade: float | None = Field(description="Flesch-Kincaid grade (patients).")
    generator: str = Field(description="What composed the statements.")
    disclaimer: str = Field(description="Purpose and limits of the answer.")


class ArticleSummary(_Out):
    """An article in a list."""

    id: int = Field(description="Article id.")
    slug: str = Field(description="URL words.")
    question: str = Field(description="The question.")
    status: ReviewStatus = Field(description="Review status of the latest version.")
    status_label: str = Field(description="The status as shown on the page.")
    latest_version: int = Field(description="Newest version number.")
    approved_version: int | None = Field(description="Newest approved version, if any.")
    parent_id: int | None = Field(description="The article it follows up, if any.")
    topics: list[str] = Field(description="Library topic slugs.")
    created_at: dt.datetime = Field(description="First asked (UTC).")
    updated_at: dt.datetime = Field(description="Latest version made (UTC).")
    url: str = Field(description="The article page.")
    api_url: str = Field(description="This article in the API.")


class ArticleOut(_Out):
    """An article version rendered for one audience, with its neighbours."""

    article: ArticleSummary = Field(description="The article.")
    created: bool = Field(default=False, description="True when this request created it.")
    version: int = Field(description="The version shown.")
    version_status: ReviewStatus = Field(description="Review status of the version shown.")
    caution: str | None = Field(description="Pending-review caution (until approved).")
    answer: AnswerOut = Field(description="The answer for the audience asked for.")
    audiences: dict[str, str] = Field(description="Audience -> URL of its rendering.")
    settings_digest: str = Field(description="Digest of the settings that drafted it.")
    evidence_ids: list[str] = Field(description="Passage ids the renderings cite.")
    parent: ArticleSummary | None = Field(description="The article it follows up.")
    follow_ups: list[ArticleSummary] = Field(description="Follow-up questions asked from it.")
    related: list[ArticleSummary] = Field(description="Related questions.")


class AskIn(BaseModel):
    """A question to answer as an article."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="The question (2,000 characters at most by default).")
    audience: Audience = Field(
        default=Audience.CLINICIAN, description="Which rendering to return."
    )
    follow_up_of: int | None = Field(
        default=None, ge=1, description="Id of the article this question follows up."
    )


class ArticleList(_Out):
    """A page of articles, newest first."""

    items: list[ArticleSummary] = Field(description="Articles on this page.")
    limit: int = Field(description="Page size used.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")
    next: str | None = Field(description="URL of the next page, if any.")


class SourceBrief(_Out):
    """What a search result says about its source."""

    id: str = Field(description="Source id.")
    kind: str = Field(description="Reference kind.")
    title: str = Field(description="Title.")
    container: str | None = Field(description="Journal or publisher.")
    year: int | None = Field(description="Publication year.")
    url: str = Field(description="The source's page.")


class SearchResult(_Out):
    """One passage found by the search."""

    rank: int = Field(description="1 is best.")
    score: float = Field(description="Fused retrieval score.")
    passage_id: str = Field(description="Passage id.")
    section: str = Field(description="Section heading of the passage.")
    text: str = Field(description="The passage text.")
    source: SourceBrief = Field(description="The passage's source.")


class SearchOut(_Out):
    """Passages matching a query, best first."""

    query: str = Field(description="The query as received.")
    results: list[SearchResult] = Field(description="Results, best first.")


class SourceOut(_Out):
    """A stored source and its passages."""

    source: Source = Field(description="The source's metadata.")
    passages: list[Passage] = Field(description="Its passages in reading order.")
    url: str = Field(description="The source's page.")


class FeedbackIn(BaseModel):
    """A reader's vote ("Was this page helpful?") or error report on an article."""

    model_config = ConfigDict(extra="forbid")

    article_id: int = Field(ge=1, description="The article.")
    version: int | None = Field(
        default=None, ge=1, description="The version read (default: the one shown now)."
    )
    audience: Audience = Field(default=Audience.CLINICIAN, description="The rendering read.")
    kind: FeedbackKind = Field(description="'helpful' (with helpful) or 'error' (with comment).")
    helpful: bool | None = Field(default=None, description="The vote, for kind 'helpful'.")
    comment: str | None = Field(default=None, description="Optional comment; error: required.")


class FeedbackOut(_Out):
    """What was stored (nothing identifies the sender)."""

    id: int = Field(description="Feedback id.")
    article_id: int = Field(description="The article.")
    version: int = Field(description="The version.")
    kind: FeedbackKind = Field(description="Vote or error report.")
    status: str = Field(description="Editorial status: 'open' until an editor handles it.")


class TopicOut(_Out):
    """A library topic and its articles."""

    topic: Topic = Field(description="The topic.")
    url: str = Field(description="The topic page.")
    articles: list[ArticleSummary] = Field(description="Articles citing its documents.")
