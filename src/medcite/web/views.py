"""What pages show, prepared from the use cases' types: citation marks, references, links, URLs.

No HTML here: templates do the markup (autoescaped); this module decides content, such as
which quote a citation reveals and which reference links are safe (``https?://`` only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from medcite.answer.cite import citation_numbers
from medcite.review.access import ANONYMOUS, as_seen_by, holds_key, is_public
from medcite.review.board import approval_note
from medcite.review.publish import (
    PENDING_REVIEW_CAUTION,
    STATUS_LABELS,
    Library,
    read_article_page,
    related_articles,
)
from medcite.types import (
    Answer,
    ApprovalNote,
    Article,
    ArticleVersion,
    Audience,
    Citation,
    ReviewStatus,
    Source,
    Statement,
    Topic,
    Viewer,
)

AUDIENCE_LABELS = {
    Audience.CLINICIAN: "Health professional",
    Audience.PATIENT: "Patient or caregiver",
}
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
_PMID = re.compile(r"^\d{1,9}$")
FOLLOW_UPS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Link:
    """A labelled outbound link."""

    label: str
    href: str


@dataclass(frozen=True, slots=True)
class Mark:
    """One citation mark on a statement: its number and the words it rests on."""

    number: int
    title: str
    quotes: list[str]


@dataclass(frozen=True, slots=True)
class ShownStatement:
    """A statement with its citation marks."""

    text: str
    bold: bool
    marks: list[Mark]


@dataclass(frozen=True, slots=True)
class ShownSection:
    """A headed section of statements."""

    title: str
    statements: list[ShownStatement]


@dataclass(frozen=True, slots=True)
class Reference:
    """One entry of the reference list."""

    number: int
    kind: str
    study_type: str | None
    title: str
    container: str | None
    year: int | None
    links: list[Link]
    source_id: str
    based_on: list[str]
    retracted: bool


def article_url(article: Article, audience: Audience | None = None, **params: str) -> str:
    """The article's canonical path, with the audience when it is not the default."""
    query = dict(params)
    if audience is not None and audience is not Audience.CLINICIAN:
        query = {"audience": audience.value, **query}
    suffix = f"?{urlencode(query)}" if query else ""
    return f"/articles/{article.id}/{article.slug}{suffix}"


def draft_url(article: Article, audience: Audience | None = None, **params: str) -> str:
    """The unlisted address of an article's draft (its random key in the path)."""
    return article_url(article, audience, **params).replace(
        f"/articles/{article.id}/", f"/drafts/{article.preview_key}/", 1)


def reader_url(
    article: Article, viewer: Viewer, audience: Audience | None = None, **params: str
) -> str:
    """Where ``viewer`` reads the article: its public address, or its draft's unlisted one
    for whoever asked it (staff read drafts at the public address)."""
    if is_public(article) or viewer.staff or not holds_key(article, viewer):
        return article_url(article, audience, **params)
    return draft_url(article, audience, **params)


def source_url(source_id: str) -> str:
    """The local page of a stored source (its ids hold ':' and may hold '/')."""
    return f"/sources/{quote(source_id, safe=':/')}"


def topic_url(slug: str) -> str:
    """The page of a library topic."""
    return f"/topics/{quote(slug, safe='')}"


def status_label(status: ReviewStatus) -> str:
    """'Submitted', 'Under review', …"""
    return STATUS_LABELS[status]


def caution(status: ReviewStatus) -> str | None:
    """The pending-review caution, shown until the version shown was approved."""
    return None if status is ReviewStatus.APPROVED else PENDING_REVIEW_CAUTION


def reference_links(source: Source) -> list[Link]:
    """PubMed, DOI and web links of a source; only http(s) addresses become links."""
    links: list[Link] = []
    if source.pmid and _PMID.match(source.pmid):
        links.append(Link(f"PMID {source.pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{source.pmid}/"))
    if source.doi:
        links.append(Link(f"doi:{source.doi}", "https://doi.org/" + quote(source.doi, safe="/")))
    if source.url and _SAFE_URL.match(source.url):
        links.append(Link("Web page", source.url))
    return links


def _marks(statement: Statement, citations: list[Citation]) -> list[Mark]:
    by_number = {c.number: c for c in citations}
    marks = []
    for number in citation_numbers(statement, citations):
        citation = by_number[number]
        quotes = [q.text for q in statement.quotes if q.passage_id in citation.passage_ids]
        marks.append(Mark(number, citation.source.title, quotes or [q.text for q in
                                                                     citation.quotes[:1]]))
    return marks


def sections(answer: Answer) -> list[ShownSection]:
    """The answer's sections with citation marks on every statement."""
    return [
        ShownSection(
            section.title,
            [ShownStatement(s.text, s.bold, _marks(s, answer.citations))
             for s in section.statements],
        )
        for section in answer.sections
    ]


def references(answer: Answer) -> list[Reference]:
    """The numbered reference list."""
    return [
        Reference(
            number=c.number,
            kind=c.label,
            study_type=(c.study_type or "").replace("_", " ") or None,
            title=c.source.title,
            container=c.source.journal or c.source.publisher,
            year=c.source.year,
            links=reference_links(c.source),
            source_id=c.source.id,
            based_on=list(c.source.based_on),
            retracted=c.source.retracted,
        )
        for c in answer.citations
    ]


@dataclass(frozen=True, slots=True)
class ArticleView:
    """Everything an article page (or its JSON twin) shows, for one audience."""

    article: Article
    version: ArticleVersion
    audience: Audience
    answer: Answer
    parent: Article | None
    follow_ups: list[Article]
    related: list[Article]
    topics: list[Topic]
    viewer: Viewer
    approval: ApprovalNote | None
    evidence_through: int | None

    def url(self, audience: Audience | None = None, **params: str) -> str:
        """This page's address for its viewer (a draft keeps its unlisted address)."""
        return reader_url(self.article, self.viewer, audience, **params)


def article_view(
    library: Library, article_id: int, audience: Audience, viewer: Viewer = ANONYMOUS
) -> ArticleView:
    """Read an article for ``viewer``, with its parent, follow-ups, related questions, topics
    and, when the version shown is approved, who approved it.

    Raises:
        ArticleNotFoundError: No such article, or hidden from this viewer.
    """
    reading, version = read_article_page(library.store, article_id, viewer=viewer,
                                         cache=library.versions, follow_ups=FOLLOW_UPS_SHOWN)
    article = as_seen_by(reading.article, viewer)
    shown = {a.id for a in reading.follow_ups}
    related = [a for a in related_articles(library, article) if a.id not in shown]
    answer = version.answer(audience)
    approval = (approval_note(library.store, library.settings, article_id, version.version)
                if version.status is ReviewStatus.APPROVED else None)
    years = [c.source.year for c in answer.citations if c.source.year is not None]
    return ArticleView(
        article=article, version=version, audience=audience, answer=answer,
        parent=reading.parent, follow_ups=reading.follow_ups, related=related,
        topics=library.topics.names(article.topics), viewer=viewer, approval=approval,
        evidence_through=max(years) if years else None,
    )
