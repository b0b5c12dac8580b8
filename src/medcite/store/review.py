"""Review states and approvals of article versions, and the articles they belong to.

The review workflow is the one authority on a version's status: ``ReviewTx.create`` and
``ReviewTx.save`` mirror every status into the article rows (``articles.status``,
``approved_version``, ``article_versions.status``) in the same transaction, so pages and lists
read a status that always agrees with the workflow. Edits replace a version's content in place
and keep what it replaced in ``article_revisions`` (its history).

A state row carries a ``revision`` counter. ``ReviewTx.save`` writes a new state only if the
row still has the revision it was read at (``UPDATE ... WHERE revision = :read``); otherwise it
raises ``ConcurrentUpdateError``. That works the same on SQLite and PostgreSQL; on PostgreSQL
``state(lock=True)`` also takes a row lock (``SELECT ... FOR UPDATE``) so a waiting writer
reads the winner's state instead of failing.

Example:
    with transaction(store, ReviewTx) as tx:
        before = tx.state(7, 1, lock=True)
        tx.save(before, after)
        tx.audit(event)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from medcite.errors import ConcurrentUpdateError
from medcite.store import articles as article_rows
from medcite.store.accounts import AccountTx, utc
from medcite.store.sources import id_chunks
from medcite.store.tables import (
    ApprovalRow,
    ArticleRevisionRow,
    ArticleRow,
    ArticleVersionRow,
    ReviewStateRow,
    SourceRow,
)
from medcite.types import (
    Answer,
    Approval,
    Article,
    ArticleDraft,
    ArticleVersion,
    ContentRevision,
    ContentState,
    Feedback,
    FeedbackStatus,
    ReviewState,
    ReviewStatus,
    SourcePin,
)


class ReviewTx(AccountTx):
    """Review states, articles and accounts inside one transaction, with the audit trail."""

    def state(self, article_id: int, version: int, *, lock: bool = False) -> ReviewState | None:
        """The review state of one article version; ``lock`` locks its row where supported."""
        query = select(ReviewStateRow).where(
            ReviewStateRow.article_id == article_id, ReviewStateRow.version == version
        )
        row = self.session.scalars(query.with_for_update() if lock else query).first()
        return None if row is None else self._state(row)

    def latest_version(self, article_id: int) -> int | None:
        """The highest version of an article that has a review state."""
        return self.session.scalar(
            select(func.max(ReviewStateRow.version)).where(ReviewStateRow.article_id == article_id)
        )

    def create(self, state: ReviewState) -> None:
        """Store the first state of a newly submitted version (mirrored into the article)."""
        self.session.add(ReviewStateRow(**_columns(state), article_id=state.article_id,
                                        version=state.version))
        self.session.flush()
        article_rows.set_status(self.session, state.article_id, state.version, state.status)

    def save(self, before: ReviewState, after: ReviewState) -> None:
        """Write ``after`` over ``before``, failing if the row changed since ``before`` was read.

        Raises:
            ConcurrentUpdateError: someone else saved a newer revision first.
        """
        result = self.session.execute(
            update(ReviewStateRow)
            .where(
                ReviewStateRow.article_id == before.article_id,
                ReviewStateRow.version == before.version,
                ReviewStateRow.revision == before.revision,
            )
            .values(**_columns(after))
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise ConcurrentUpdateError(
                f"article {before.article_id} version {before.version} changed meanwhile"
            )
        state_id = self._state_id(before)
        for approval in after.approvals:
            if approval not in before.approvals:
                self.session.add(ApprovalRow(state_id=state_id, **_approval_columns(approval)))
        self.session.flush()
        if after.status is not before.status:
            article_rows.set_status(self.session, after.article_id, after.version, after.status)

    def states(
        self,
        *,
        statuses: Sequence[ReviewStatus] = (),
        article_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ReviewState]:
        """Review states, oldest submission first, filtered by status and/or article."""
        query = select(ReviewStateRow)
        if statuses:
            query = query.where(ReviewStateRow.status.in_([s.value for s in statuses]))
        if article_id is not None:
            query = query.where(ReviewStateRow.article_id == article_id)
        query = query.order_by(
            ReviewStateRow.submitted_at, ReviewStateRow.article_id, ReviewStateRow.version
        )
        return [self._state(row) for row in self.session.scalars(query.limit(limit).offset(offset))]

    def approved(self) -> list[ReviewState]:
        """The newest approved version of every article that has one (what readers see)."""
        newest = (
            select(ReviewStateRow.article_id, func.max(ReviewStateRow.version).label("version"))
            .where(ReviewStateRow.status == ReviewStatus.APPROVED.value)
            .group_by(ReviewStateRow.article_id)
            .subquery()
        )
        rows = self.session.scalars(
            select(ReviewStateRow)
            .join(newest, (ReviewStateRow.article_id == newest.c.article_id)
                  & (ReviewStateRow.version == newest.c.version))
            .order_by(ReviewStateRow.article_id)
        )
        return [self._state(row) for row in rows]

    def current_sources(self, ids: Sequence[str]) -> dict[str, tuple[SourcePin, bool]]:
        """Each stored source among ``ids`` as a pin of how it is now, and whether retracted."""
        found: dict[str, tuple[SourcePin, bool]] = {}
        for chunk in id_chunks(list(ids)):
            rows = self.session.execute(
                select(SourceRow.id, SourceRow.version, SourceRow.content_hash,
                       SourceRow.retracted).where(SourceRow.id.in_(chunk))
            )
            for row in rows:
                pin = SourcePin(source_id=row.id, version=row.version,
                                content_hash=row.content_hash)
                found[row.id] = (pin, bool(row.retracted))
        return found

    # --- the articles under review ----------------------------------------------------------

    def article(self, article_id: int) -> Article | None:
        """The article with this id, if any."""
        return article_rows.get(self.session, article_id)

    def find_article(self, question_key: str) -> Article | None:
        """The article stored under this question key, if any."""
        return article_rows.find(self.session, question_key)

    def article_by_key(self, key: str) -> Article | None:
        """The article whose draft address has this key, if any."""
        return article_rows.by_preview_key(self.session, key)

    def create_article(self, draft: ArticleDraft) -> Article:
        """Insert an article with its first version (a duplicate question raises
        ``IntegrityError``, which ``transaction`` turns into ``ConcurrentUpdateError``)."""
        return article_rows.create(self.session, draft)

    def version(self, article_id: int, version: int) -> ArticleVersion | None:
        """One version of an article, if it exists."""
        return article_rows.get_version(self.session, article_id, version)

    def add_version(
        self, base: ArticleVersion, clinician: Answer, patient: Answer, *, created_by: str
    ) -> ArticleVersion | None:
        """Append a version made from ``base`` with new renderings (same retrieval)."""
        return article_rows.add_version(
            self.session, base.article_id, clinician, patient, retrieved_ids=base.retrieved_ids,
            evidence_ids=article_rows.cited_ids(clinician, patient),
            settings_digest=base.settings_digest, created_by=created_by,
        )

    def replace_content(
        self, article_id: int, version: int, clinician: Answer, patient: Answer, *, by: str,
        when: dt.datetime,
    ) -> ArticleVersion | None:
        """Replace a version's renderings, keeping the old ones (see ``replace_content``)."""
        return replace_content(self.session, article_id, version, clinician, patient, by=by,
                               when=when)

    def content_states(self, article_id: int) -> list[ContentState]:
        """Every content state of every version of an article, oldest first."""
        return content_states(self.session, article_id)

    def articles(self, ids: Sequence[int]) -> list[Article]:
        """The articles among ``ids``, in the order given."""
        return article_rows.many(self.session, ids)

    def feedback(self, status: FeedbackStatus | None = None) -> list[Feedback]:
        """Feedback items oldest first, optionally of one status."""
        return article_rows.list_feedback(self.session, status=status)

    def set_feedback_status(self, feedback_id: int, status: FeedbackStatus) -> Feedback | None:
        """Set a feedback item's editorial status; None when there is no such item."""
        return article_rows.set_feedback_status(self.session, feedback_id, status)

    def _state_id(self, state: ReviewState) -> int:
        found = self.session.scalar(
            select(ReviewStateRow.id).where(
                ReviewStateRow.article_id == state.article_id,
                ReviewStateRow.version == state.version,
            )
        )
        assert found is not None  # save() just updated this row
        return found

    def _state(self, row: ReviewStateRow) -> ReviewState:
        approvals = self.session.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.state_id == row.id, ApprovalRow.content_hash == row.content_hash)
            .order_by(ApprovalRow.at, ApprovalRow.id)
        )
        return ReviewState(
            article_id=row.article_id, version=row.version, status=ReviewStatus(row.status),
            authors=list(row.authors), content_hash=row.content_hash, revision=row.revision,
            changes_requested_hash=row.changes_requested_hash,
            approvals=[_approval(a) for a in approvals],
            submitted_at=utc(row.submitted_at), updated_at=utc(row.updated_at),
            approved_at=utc(row.approved_at) if row.approved_at else None,
        )


def _columns(state: ReviewState) -> dict[str, Any]:
    return {
        "status": state.status.value, "authors": list(state.authors),
        "content_hash": state.content_hash, "revision": state.revision,
        "changes_requested_hash": state.changes_requested_hash,
        "submitted_at": state.submitted_at, "updated_at": state.updated_at,
        "approved_at": state.approved_at,
    }


def _approval_columns(approval: Approval) -> dict[str, Any]:
    return {
        "reviewer": approval.reviewer, "content_hash": approval.content_hash, "at": approval.at,
        "pins": [pin.model_dump() for pin in approval.pins],
    }


def _approval(row: ApprovalRow) -> Approval:
    return Approval(
        reviewer=row.reviewer, at=utc(row.at), content_hash=row.content_hash,
        pins=[SourcePin.model_validate(pin) for pin in row.pins],
    )



# --- content revisions (edits) ------------------------------------------------------------


def replace_content(
    session: Session, article_id: int, version: int, clinician: Answer, patient: Answer, *,
    by: str, when: dt.datetime,
) -> ArticleVersion | None:
    """Replace a version's renderings in place (an edit), keeping the old ones as a revision.

    None when the version does not exist. Which edits are allowed is the workflow's business.
    """
    row = session.get(ArticleVersionRow, (article_id, version), with_for_update=True)
    article = session.get(ArticleRow, article_id)
    if row is None or article is None:
        return None
    earlier = _revision_rows(session, article_id, version)
    made_at, made_by = ((earlier[-1].replaced_at, earlier[-1].replaced_by) if earlier
                        else (row.created_at, row.created_by))
    session.add(ArticleRevisionRow(
        article_id=article_id, version=version, revision=len(earlier) + 1,
        clinician=row.clinician, patient=row.patient, evidence_ids=list(row.evidence_ids),
        content_hash=row.content_hash, made_at=made_at, made_by=made_by,
        replaced_at=when, replaced_by=by,
    ))
    row.clinician = clinician.model_dump(mode="json")
    row.patient = patient.model_dump(mode="json")
    row.evidence_ids = article_rows.cited_ids(clinician, patient)
    row.content_hash = article_rows.renderings_hash(clinician, patient)
    article.updated_at = when
    article.answered = not (clinician.abstained and patient.abstained)
    session.flush()
    return article_rows.to_version(row)


def _revision_rows(session: Session, article_id: int, version: int) -> list[ArticleRevisionRow]:
    return list(session.scalars(
        select(ArticleRevisionRow)
        .where(ArticleRevisionRow.article_id == article_id, ArticleRevisionRow.version == version)
        .order_by(ArticleRevisionRow.revision)
    ))


def content_states(session: Session, article_id: int) -> list[ContentState]:
    """Every content state of every version of an article, oldest first (current ones last
    within their version)."""
    states: list[ContentState] = []
    versions = session.scalars(select(ArticleVersionRow).where(
        ArticleVersionRow.article_id == article_id).order_by(ArticleVersionRow.version))
    for row in versions:
        earlier = _revision_rows(session, article_id, row.version)
        for old in earlier:
            states.append(_state(old, old.revision, old.made_at, old.made_by, current=False))
        made_at, made_by = ((earlier[-1].replaced_at, earlier[-1].replaced_by) if earlier
                            else (row.created_at, row.created_by))
        states.append(_state(row, len(earlier) + 1, made_at, made_by, current=True))
    return states


def _state(
    row: ArticleVersionRow | ArticleRevisionRow, revision: int, made_at: dt.datetime,
    made_by: str | None, *, current: bool,
) -> ContentState:
    return ContentState(
        revision=ContentRevision(
            article_id=row.article_id, version=row.version, revision=revision,
            content_hash=row.content_hash, made_at=utc(made_at), made_by=made_by,
            current=current,
        ),
        clinician=Answer.model_validate(row.clinician),
        patient=Answer.model_validate(row.patient),
    )
