"""Articles, their versions and reader feedback: rows <-> types at the store's boundary.

Every function takes an open session; ``medcite.store.Store`` wraps them in transactions.
Timestamps are stored and returned in UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Collection, Sequence

from sqlalchemy import String, cast, func, or_, select, update
from sqlalchemy.orm import Session

from medcite.store.sources import to_source
from medcite.store.tables import (
    ArticleRow,
    ArticleVersionRow,
    FeedbackRow,
    SourceRow,
)
from medcite.types import (
    Answer,
    Article,
    ArticleDraft,
    ArticleReading,
    ArticleVersion,
    Audience,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    ReviewStatus,
    Source,
    SourceKind,
    content_hash,
)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


def to_article(row: ArticleRow) -> Article:
    """An article row as the ``Article`` type."""
    return Article(
        id=row.id,
        slug=row.slug,
        question=row.question,
        status=ReviewStatus(row.status),
        latest_version=row.latest_version,
        approved_version=row.approved_version,
        parent_id=row.parent_id,
        answered=row.answered,
        topics=list(row.topics),
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        preview_key=row.preview_key,
    )


def new_preview_key() -> str:
    """A random key for a draft's unlisted address (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def to_version(row: ArticleVersionRow) -> ArticleVersion:
    """A version row as the ``ArticleVersion`` type (both renderings re-validated)."""
    return ArticleVersion(
        article_id=row.article_id,
        version=row.version,
        status=ReviewStatus(row.status),
        clinician=Answer.model_validate(row.clinician),
        patient=Answer.model_validate(row.patient),
        retrieved_ids=list(row.retrieved_ids),
        evidence_ids=list(row.evidence_ids),
        settings_digest=row.settings_digest,
        content_hash=row.content_hash,
        created_at=_utc(row.created_at),
        created_by=row.created_by,
    )


def renderings_hash(clinician: Answer, patient: Answer) -> str:
    """Content hash of a version's two renderings."""
    body = json.dumps(
        [clinician.model_dump(mode="json"), patient.model_dump(mode="json")], sort_keys=True
    )
    return content_hash(body)


def find(session: Session, question_key: str) -> Article | None:
    """The article with this question key, if any."""
    row = session.scalars(select(ArticleRow).where(ArticleRow.question_key == question_key)).first()
    return None if row is None else to_article(row)


def get(session: Session, article_id: int) -> Article | None:
    """The article with this id, if any."""
    row = session.get(ArticleRow, article_id)
    return None if row is None else to_article(row)


def many(session: Session, ids: Sequence[int]) -> list[Article]:
    """The articles among ``ids``, in the order given (unknown ids left out)."""
    if not ids:
        return []
    rows = {r.id: r for r in session.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids)))}
    return [to_article(rows[i]) for i in ids if i in rows]


def create(session: Session, draft: ArticleDraft) -> Article:
    """Insert a new article with its first version (Submitted).

    Raises:
        sqlalchemy.exc.IntegrityError: An article with the same question key exists.
    """
    when = now()
    row = ArticleRow(
        question_key=draft.question_key, slug=draft.slug, question=draft.question,
        status=ReviewStatus.SUBMITTED.value, latest_version=1, approved_version=None,
        parent_id=draft.parent_id, answered=draft.answered, topics=list(draft.topics),
        created_at=when, updated_at=when, preview_key=new_preview_key(),
    )
    session.add(row)
    session.flush()
    session.add(_version_row(row.id, 1, draft.clinician, draft.patient, draft.retrieved_ids,
                             draft.evidence_ids, draft.settings_digest, draft.created_by, when))
    session.flush()
    return to_article(row)


def _version_row(
    article_id: int, version: int, clinician: Answer, patient: Answer,
    retrieved_ids: Sequence[str], evidence_ids: Sequence[str], settings_digest: str,
    created_by: str | None, when: dt.datetime,
) -> ArticleVersionRow:
    return ArticleVersionRow(
        article_id=article_id, version=version, status=ReviewStatus.SUBMITTED.value,
        clinician=clinician.model_dump(mode="json"), patient=patient.model_dump(mode="json"),
        retrieved_ids=list(retrieved_ids), evidence_ids=list(evidence_ids),
        settings_digest=settings_digest, content_hash=renderings_hash(clinician, patient),
        created_at=when, created_by=created_by,
    )


def add_version(
    session: Session, article_id: int, clinician: Answer, patient: Answer, *,
    retrieved_ids: Sequence[str], evidence_ids: Sequence[str], settings_digest: str,
    created_by: str | None,
) -> ArticleVersion | None:
    """Append a new Submitted version (an edit); None when the article does not exist."""
    row = session.get(ArticleRow, article_id, with_for_update=True)
    if row is None:
        return None
    when = now()
    version = _version_row(article_id, row.latest_version + 1, clinician, patient,
                           retrieved_ids, evidence_ids, settings_digest, created_by, when)
    session.add(version)
    row.latest_version = version.version
    row.status = ReviewStatus.SUBMITTED.value
    row.answered = not (clinician.abstained and patient.abstained)
    row.updated_at = when
    session.flush()
    return to_version(version)


def by_preview_key(session: Session, key: str) -> Article | None:
    """The article whose draft address has this key, if any."""
    row = session.scalars(select(ArticleRow).where(ArticleRow.preview_key == key)).first()
    return None if row is None else to_article(row)


def cited_ids(clinician: Answer, patient: Answer) -> list[str]:
    """Passage ids the two renderings cite, clinician first, each once."""
    return list(dict.fromkeys(
        pid for answer in (clinician, patient) for c in answer.citations for pid in c.passage_ids
    ))


def set_feedback_status(
    session: Session, feedback_id: int, status: FeedbackStatus
) -> Feedback | None:
    """Set a feedback item's editorial status (open, addressed, rejected); None if unknown."""
    row = session.get(FeedbackRow, feedback_id)
    if row is None:
        return None
    row.status = status.value
    session.flush()
    return _to_feedback(row)


def get_version(session: Session, article_id: int, version: int) -> ArticleVersion | None:
    """One version of an article, if it exists."""
    row = session.get(ArticleVersionRow, (article_id, version))
    return None if row is None else to_version(row)


def version_stamp(
    session: Session, article_id: int, version: int
) -> tuple[ReviewStatus, str] | None:
    """(status, content hash) of a version, without reading its renderings."""
    row = session.execute(
        select(ArticleVersionRow.status, ArticleVersionRow.content_hash).where(
            ArticleVersionRow.article_id == article_id, ArticleVersionRow.version == version
        )
    ).first()
    return None if row is None else (ReviewStatus(row[0]), row[1])


def reading(
    session: Session, article_id: int, *, shown: Callable[[Article], int | None],
    readable: Collection[ReviewStatus], follow_ups: int,
) -> ArticleReading | None:
    """An article as a reader opens it, read in one session; None when it does not exist.

    Args:
        shown: The visibility rule: which version of an article a reader sees (None: hidden).
        readable: Latest-version statuses that readers may list (for the follow-ups).
        follow_ups: Most follow-ups returned.
    """
    row = session.get(ArticleRow, article_id)
    if row is None:
        return None
    article = to_article(row)
    version = shown(article)
    stamp = version_stamp(session, article_id, version) if version is not None else None
    parent = get(session, article.parent_id) if article.parent_id is not None else None
    children = list_articles(session, readable=readable, answered_only=True,
                             parent_id=article_id, limit=follow_ups)
    return ArticleReading(
        article=article,
        version=version if stamp is not None else None,
        status=stamp[0] if stamp else None,
        content_hash=stamp[1] if stamp else None,
        parent=parent if parent is not None and shown(parent) is not None else None,
        follow_ups=[child for child in children if shown(child) is not None],
    )


def set_status(
    session: Session, article_id: int, version: int, status: ReviewStatus
) -> Article | None:
    """Set a version's review status, keeping the article's summary columns in step.

    The article's ``status`` follows its latest version; approving a version makes it the
    ``approved_version`` readers see. Which moves are allowed is decided by the review
    workflow, not here. None when the version does not exist.
    """
    row = session.get(ArticleRow, article_id, with_for_update=True)
    version_row = session.get(ArticleVersionRow, (article_id, version))
    if row is None or version_row is None:
        return None
    version_row.status = status.value
    if version == row.latest_version:
        row.status = status.value
    if status is ReviewStatus.APPROVED and (row.approved_version or 0) < version:
        row.approved_version = version
    elif status is not ReviewStatus.APPROVED and row.approved_version == version:
        row.approved_version = _newest_approved(session, article_id)
    session.flush()
    return to_article(row)


def _newest_approved(session: Session, article_id: int) -> int | None:
    found: int | None = session.scalar(
        select(func.max(ArticleVersionRow.version)).where(
            ArticleVersionRow.article_id == article_id,
            ArticleVersionRow.status == ReviewStatus.APPROVED.value,
        )
    )
    return found


def list_articles(
    session: Session,
    *,
    readable: Collection[ReviewStatus] | None = None,
    answered_only: bool = False,
    topic: str | None = None,
    parent_id: int | None = None,
    before: int | None = None,
    limit: int = 20,
) -> list[Article]:
    """Articles newest first (by id), for keyset pagination: ``before`` is the last id seen.

    Args:
        readable: Only articles whose latest version has one of these statuses, or that have
            an approved version; None: every article.
        answered_only: Leave out articles where both renderings abstained.
        topic: Only articles tagged with this topic slug.
        parent_id: Only follow-ups of this article.
        before: Only articles with a smaller id.
        limit: Most articles returned.
    """
    query = select(ArticleRow)
    if readable is not None:
        statuses = [s.value for s in readable]
        query = query.where(
            or_(ArticleRow.status.in_(statuses), ArticleRow.approved_version.is_not(None))
        )
    if answered_only:
        query = query.where(ArticleRow.answered.is_(True))
    if topic is not None:
        # Topic slugs are [a-z0-9-]; the quoted form matches one whole JSON list element.
        query = query.where(cast(ArticleRow.topics, String).like(f'%"{topic}"%'))
    if parent_id is not None:
        query = query.where(ArticleRow.parent_id == parent_id)
    if before is not None:
        query = query.where(ArticleRow.id < before)
    rows = session.scalars(query.order_by(ArticleRow.id.desc()).limit(limit))
    return [to_article(row) for row in rows]


def status_counts(session: Session) -> dict[str, int]:
    """How many articles stand at each review status."""
    rows = session.execute(select(ArticleRow.status, func.count()).group_by(ArticleRow.status))
    return {status: count for status, count in rows}


def save_vector(session: Session, article_id: int, model: str, vector: bytes) -> None:
    """Store the embedding of an article's question (float32 bytes) under ``model``."""
    session.execute(
        update(ArticleRow)
        .where(ArticleRow.id == article_id)
        .values(vector_model=model, question_vector=vector)
    )


def vectors(session: Session, model: str) -> list[tuple[int, bytes]]:
    """Every stored ``model`` question embedding, as (article id, float32 bytes), by id."""
    rows = session.execute(
        select(ArticleRow.id, ArticleRow.question_vector)
        .where(ArticleRow.vector_model == model, ArticleRow.question_vector.is_not(None))
        .order_by(ArticleRow.id)
    )
    return [(article_id, blob) for article_id, blob in rows if blob is not None]


def vector_signature(session: Session, model: str) -> tuple[int, int]:
    """(count, highest id) of stored question embeddings: changes whenever one is added."""
    count, top = session.execute(
        select(func.count(), func.coalesce(func.max(ArticleRow.id), 0)).where(
            ArticleRow.vector_model == model
        )
    ).one()
    return int(count), int(top)


def add_feedback(session: Session, feedback: Feedback) -> Feedback | None:
    """Store a feedback item; None when its article version does not exist."""
    if session.get(ArticleVersionRow, (feedback.article_id, feedback.version)) is None:
        return None
    row = FeedbackRow(
        article_id=feedback.article_id, version=feedback.version,
        audience=feedback.audience.value, kind=feedback.kind.value, helpful=feedback.helpful,
        comment=feedback.comment, status=feedback.status.value, created_at=now(),
    )
    session.add(row)
    session.flush()
    return _to_feedback(row)


def _to_feedback(row: FeedbackRow) -> Feedback:
    return Feedback(
        id=row.id, article_id=row.article_id, version=row.version,
        audience=Audience(row.audience),
        kind=FeedbackKind(row.kind), helpful=row.helpful, comment=row.comment,
        status=FeedbackStatus(row.status), created_at=_utc(row.created_at),
    )


def list_feedback(
    session: Session, *, article_id: int | None = None, status: FeedbackStatus | None = None
) -> list[Feedback]:
    """Feedback items oldest first, optionally for one article and/or one status."""
    query = select(FeedbackRow)
    if article_id is not None:
        query = query.where(FeedbackRow.article_id == article_id)
    if status is not None:
        query = query.where(FeedbackRow.status == status.value)
    return [_to_feedback(row) for row in session.scalars(query.order_by(FeedbackRow.id))]


def topic_documents(session: Session) -> list[Source]:
    """Guideline and patient-information documents (``doc:`` ids), by id: the topic library."""
    query = (
        select(SourceRow)
        .where(
            SourceRow.id.like("doc:%"),
            SourceRow.kind.in_([SourceKind.GUIDELINE.value, SourceKind.PATIENT_INFO.value]),
            SourceRow.retracted.is_(False),
        )
        .order_by(SourceRow.id)
    )
    return [to_source(row) for row in session.scalars(query)]


def corpus_currency(session: Session) -> tuple[int | None, dt.datetime | None]:
    """(newest publication year, time of the latest ingest) of the stored sources."""
    year, ingested = session.execute(
        select(func.max(SourceRow.year), func.max(SourceRow.ingested_at))
        .where(SourceRow.retracted.is_(False))
    ).one()
    return year, None if ingested is None else _utc(ingested)
