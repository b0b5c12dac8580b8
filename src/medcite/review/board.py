"""What the medical advisory board works from: the review queue, public articles due for
review again, readers' feedback, and the credit an approved page gives its reviewers.

Example:
    queue = review_queue(store, settings, topic="migraine")
    for item in queue.items:
        print(item.article.question, item.state.status, item.age_days)
    note = approval_note(store, settings, 7, 1)   # None unless version 1 is approved
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from medcite.errors import ForbiddenError, InvalidFeedbackError
from medcite.review import due, workflow
from medcite.review.audit import emit, event, now_utc, retrying
from medcite.settings import Settings
from medcite.store import Store
from medcite.store.audit import transaction
from medcite.store.review import ReviewTx
from medcite.types import (
    STAFF_ROLES,
    Actor,
    ApprovalNote,
    AuditRecord,
    Feedback,
    FeedbackItem,
    FeedbackStatus,
    FlaggedArticle,
    QueueItem,
    ReviewerCredit,
    ReviewQueue,
    ReviewState,
    ReviewStatus,
    SourcePin,
    User,
)

QUEUE_SCAN = 1000
"""Most versions read per queue page before the topic filter (a board's queue is short)."""


def review_queue(
    store: Store,
    settings: Settings,
    *,
    statuses: Sequence[ReviewStatus] = workflow.QUEUE,
    topic: str | None = None,
    limit: int = 50,
    offset: int = 0,
    today: dt.date | None = None,
) -> ReviewQueue:
    """Versions in ``statuses`` (oldest submission first, optionally of one topic), public
    articles overdue or with changed sources, and open reader feedback."""
    today = today or now_utc().date()
    states = workflow.queue(store, statuses, limit=QUEUE_SCAN)
    with transaction(store, ReviewTx) as tx:
        articles = {a.id: a for a in tx.articles(sorted({s.article_id for s in states}))}
        open_items = tx.feedback(FeedbackStatus.OPEN)
    counts = Counter((f.article_id, f.version) for f in open_items)
    items = [
        QueueItem(article=articles[s.article_id], state=s, feedback=counts[s.article_id, s.version],
                  age_days=max(0, (today - s.submitted_at.date()).days))
        for s in states
        if s.article_id in articles and (topic is None or topic in articles[s.article_id].topics)
    ]
    return ReviewQueue(items=items[offset:offset + limit],
                       flagged=flagged_articles(store, settings, today=today),
                       feedback=_feedback_items(store, open_items))


def flagged_articles(
    store: Store, settings: Settings, *, today: dt.date | None = None
) -> list[FlaggedArticle]:
    """Public versions overdue for review or citing sources changed since approval."""
    overdue = {(d.article_id, d.version): d for d in due.overdue(store, settings, today=today)}
    changed = {(f.article_id, f.version): f.changes for f in due.rereview_flags(store)}
    keys = sorted(set(overdue) | set(changed))
    with transaction(store, ReviewTx) as tx:
        articles = {a.id: a for a in tx.articles(sorted({k[0] for k in keys}))}
    return [
        FlaggedArticle(article=articles[key[0]], version=key[1], due=overdue.get(key),
                       changes=changed.get(key, []))
        for key in keys if key[0] in articles
    ]


def _feedback_items(store: Store, items: Sequence[Feedback]) -> list[FeedbackItem]:
    with transaction(store, ReviewTx) as tx:
        questions = {a.id: a.question for a in tx.articles(sorted({f.article_id for f in items}))}
    return [FeedbackItem(feedback=f, question=questions[f.article_id])
            for f in items if f.article_id in questions]


def set_feedback_status(
    store: Store, feedback_id: int, status: FeedbackStatus, actor: Actor, *, comment: str = ""
) -> Feedback:
    """Mark a reader's feedback addressed, rejected or open again (R-ED-2); audited.

    Raises:
        ForbiddenError: readers may not triage feedback.
        InvalidFeedbackError: no such feedback item.
    """
    if actor.role not in STAFF_ROLES:
        raise ForbiddenError("triaging feedback needs the role editor, reviewer or admin")
    workflow.check_comment(comment)

    def attempt() -> tuple[Feedback, AuditRecord]:
        with transaction(store, ReviewTx) as tx:
            before = next((f for f in tx.feedback() if f.id == feedback_id), None)
            saved = tx.set_feedback_status(feedback_id, status)
            if before is None or saved is None:
                raise InvalidFeedbackError(f"there is no feedback item {feedback_id}")
            record = tx.audit(event(
                actor, "feedback_status", article_id=saved.article_id, version=saved.version,
                from_state=before.status.value, to_state=status.value,
                comment=f"feedback #{feedback_id}" + (f": {comment}" if comment else "")))
            return saved, record

    saved, record = retrying(attempt)
    emit(record)
    return saved


def approval_note(
    store: Store, settings: Settings, article_id: int, version: int, *,
    today: dt.date | None = None,
) -> ApprovalNote | None:
    """Who approved a version and when, and when it is due again; None unless approved."""
    with transaction(store, ReviewTx) as tx:
        state = tx.state(article_id, version)
        if state is None or state.status is not ReviewStatus.APPROVED:
            return None
        users = {a.reviewer: tx.user(a.reviewer) for a in state.approvals}
    return _note(state, users, settings, today or now_utc().date())


def _note(
    state: ReviewState, users: dict[str, User | None], settings: Settings, today: dt.date
) -> ApprovalNote | None:
    if state.approved_at is None or not state.approvals:
        return None
    credits = []
    for approval in state.approvals:
        user = users.get(approval.reviewer)
        credits.append(ReviewerCredit(
            username=approval.reviewer, approved_at=approval.at,
            name=(user.name if user else None) or approval.reviewer,
            credentials=user.credentials if user else None,
            specialty=user.specialty if user else None,
        ))
    schedule = due.review_due(state, settings.review.review_interval_days, today)
    return ApprovalNote(reviewers=credits, approved_at=state.approved_at,
                        next_review_due=schedule.due, overdue=schedule.overdue)


def decide_version(
    store: Store, settings: Settings, article_id: int, version: int, to: ReviewStatus,
    actor: Actor, *, comment: str = "",
) -> ReviewState:
    """Move an article version to ``to`` (see ``workflow.transition``); an approval pins the
    cited sources as they are now, so a later retraction or replacement flags it again.

    Raises:
        ArticleNotFoundError: no such article version.
        TransitionError, ForbiddenError, SelfApprovalError: refused by the workflow (audited).
    """
    content = store.get_article_version(article_id, version)  # 404 for an unknown version
    pins: list[SourcePin] = []
    if to is ReviewStatus.APPROVED:
        cited = {c.source.id for answer in (content.clinician, content.patient)
                 for c in answer.citations}
        pins = due.pin_sources(store, sorted(cited))
    return workflow.transition(store, settings, article_id, version, to, actor,
                               comment=comment, pins=pins)
