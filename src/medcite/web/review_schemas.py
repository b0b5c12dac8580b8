"""Request and response bodies of the review API (``/api/v1/review``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from medcite.review.workflow import MAX_COMMENT_CHARS
from medcite.types import (
    Article,
    ArticleVersion,
    Audience,
    AuditRecord,
    ContentRevision,
    DiffLine,
    EditKind,
    FeedbackStatus,
    ReviewState,
    ReviewStatus,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TransitionIn(_In):
    """A workflow move of one version, with the reviewer's note."""

    to: ReviewStatus = Field(description="under_review, approved, changes_requested, rejected "
                             "or submitted (resubmit).")
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS, description="Note.")


class EditIn(_In):
    """An edit of one statement or section of one rendering (numbers from 1)."""

    kind: EditKind = Field(description="edit_statement, remove_statement or remove_section.")
    audience: Audience = Field(description="The rendering edited.")
    section: int = Field(ge=1, description="Section number.")
    statement: int | None = Field(default=None, ge=1, description="Statement number.")
    text: str | None = Field(default=None, max_length=4000, description="New statement text.")
    base_hash: str = Field(min_length=1, max_length=64,
                           description="content_hash of the version as read (stale: 409).")
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS, description="Note.")


class NoteIn(_In):
    """A note on a version, without moving it."""

    comment: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS, description="The note.")


class FeedbackStatusIn(_In):
    """A reader feedback item's new editorial status."""

    status: FeedbackStatus = Field(description="open, addressed or rejected.")
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS, description="Note.")


class ReviewArticleOut(_Out):
    """An article under review: every version's state and one version's content."""

    article: Article = Field(description="The article as stored.")
    states: list[ReviewState] = Field(description="Review state of every version.")
    version: ArticleVersion = Field(description="The version asked for (default: newest).")


class HistoryOut(_Out):
    """Every content state of an article, and its audit trail."""

    article_id: int = Field(description="The article.")
    revisions: list[ContentRevision] = Field(description="Content states, oldest first.")
    audit: list[AuditRecord] = Field(description="Audit rows of the article, oldest first.")


class DiffOut(_Out):
    """A readable diff between two content states of one rendering."""

    article_id: int = Field(description="The article.")
    audience: Audience = Field(description="The rendering compared.")
    old: str = Field(description="Label of the older state, e.g. 'v1'.")
    new: str = Field(description="Label of the newer state, e.g. 'v1.2'.")
    lines: list[DiffLine] = Field(description="Headings and statements: same, removed, added.")
