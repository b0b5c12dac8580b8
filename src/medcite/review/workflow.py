"""The advisory board's review workflow: who may move an article version where (R-WF-1..3).

::

    (new version) --submit--> Submitted --start_review--> Under review --approve--> Approved
                                  ^                         |  |
                                  |                         |  +--reject--> Rejected
                           resubmit (after an edit)          |
                                  |                         |
                                  +---- Changes requested <--+ request_changes

No other move exists. Reviewers (the board) start reviews and decide; editors, reviewers and
admins submit, edit drafts and resubmit; an author or editor of a version never approves it,
and ``review.approvals_required`` distinct reviewers must approve the same content. An edit
makes earlier approvals of the version stale. An approved or rejected version is final:
editing an approved article means submitting a new version, while the approved one stays
public.

The rules are pure functions over ``ReviewState`` (``decide``, ``decide_edit``,
``decide_submit``). The use cases (``submit``, ``submit_article``, ``transition``, ``edit``)
apply them in one transaction with the audit row, guarded by the state's revision number, so
two concurrent decisions on one version give one consistent outcome; the loser re-reads and is
decided again. A refused move raises (409 or 403) and is itself written to the audit trail.

The review states are the one authority on a version's status: the same transaction mirrors
every status into the article rows that pages and lists read (``medcite.store.review``), and
``submit_article`` stores a new article, its first version, its state and its audit row
together.

Example:
    submit(store, ReviewSubject(article_id=7, version=1, content_hash=h), MEDCITE)
    transition(store, settings, 7, 1, ReviewStatus.UNDER_REVIEW, reviewer)
    transition(store, settings, 7, 1, ReviewStatus.APPROVED, reviewer, comment="Checked")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from medcite.errors import (
    ForbiddenError,
    InputTooLargeError,
    MedciteError,
    ReviewNotFoundError,
    SelfApprovalError,
    TransitionError,
)
from medcite.review.audit import emit, event, log, now_utc, retrying
from medcite.settings import Settings
from medcite.store import Store
from medcite.store.audit import transaction
from medcite.store.review import ReviewTx
from medcite.types import (
    Actor,
    Approval,
    Article,
    ArticleDraft,
    AuditEvent,
    AuditRecord,
    ReviewState,
    ReviewStatus,
    ReviewSubject,
    Role,
    SourcePin,
)

S = ReviewStatus
MOVES: dict[ReviewStatus, frozenset[ReviewStatus]] = {
    S.SUBMITTED: frozenset({S.UNDER_REVIEW}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.CHANGES_REQUESTED, S.REJECTED}),
    S.CHANGES_REQUESTED: frozenset({S.SUBMITTED}),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
}
"""Every allowed move: status -> the statuses it may go to next (R-WF-1)."""

ACTIONS: dict[ReviewStatus, str] = {
    S.UNDER_REVIEW: "start_review",
    S.APPROVED: "approve",
    S.CHANGES_REQUESTED: "request_changes",
    S.REJECTED: "reject",
    S.SUBMITTED: "resubmit",
}
"""The action that moves a version to each status (its name in the audit trail)."""

_DRAFTERS = frozenset({Role.EDITOR, Role.REVIEWER, Role.ADMIN})
ROLES: dict[str, frozenset[Role]] = {
    "submit": _DRAFTERS,
    "resubmit": _DRAFTERS,
    "start_review": frozenset({Role.REVIEWER}),
    "approve": frozenset({Role.REVIEWER}),
    "request_changes": frozenset({Role.REVIEWER}),
    "reject": frozenset({Role.REVIEWER}),
}
"""Who may take each action. Review decisions belong to the board (reviewers) alone."""

EDITORS: dict[ReviewStatus, frozenset[Role]] = {
    S.SUBMITTED: _DRAFTERS,
    S.CHANGES_REQUESTED: _DRAFTERS,
    S.UNDER_REVIEW: frozenset({Role.REVIEWER}),
}
"""Who may edit a version in each status; approved and rejected versions are final."""

MAX_COMMENT_CHARS = 10_000


def _require(actor: Actor, action: str) -> None:
    if actor.role not in ROLES[action]:
        allowed = " or ".join(sorted(r.value for r in ROLES[action]))
        raise ForbiddenError(f"{action.replace('_', ' ')} needs the role {allowed}; "
                             f"you are {actor.role.value}")


def decide(
    state: ReviewState,
    to: ReviewStatus,
    actor: Actor,
    *,
    approvals_required: int = 1,
    now: dt.datetime,
    pins: Sequence[SourcePin] = (),
) -> ReviewState:
    """The state after ``actor`` moves ``state`` to ``to``.

    Raises:
        TransitionError: the workflow has no such move, or resubmitting without an edit (409).
        ForbiddenError: the actor's role may not take this action (403).
        SelfApprovalError: an author or editor of the version approving it (403, R-WF-3).
    """
    if to not in MOVES[state.status]:
        raise TransitionError(
            f"{_a(state.status)} version cannot become {_label(to)}",
            hint=_next_hint(state.status),
        )
    action = ACTIONS[to]
    _require(actor, action)
    if action == "approve":
        return _approve(state, actor, approvals_required, now, pins)
    if action == "resubmit" and state.content_hash == state.changes_requested_hash:
        raise TransitionError(
            "nothing was edited since changes were requested", hint="edit the article first"
        )
    update: dict[str, object] = {"status": to, "revision": state.revision + 1, "updated_at": now}
    if to is S.CHANGES_REQUESTED:
        update["changes_requested_hash"] = state.content_hash
    if to is S.SUBMITTED:
        update["submitted_at"] = now
    return state.model_copy(update=update)


def _approve(
    state: ReviewState, actor: Actor, required: int, now: dt.datetime, pins: Sequence[SourcePin]
) -> ReviewState:
    if actor.id in state.authors:
        raise SelfApprovalError(
            "you wrote or edited this version, so another reviewer must approve it"
        )
    if any(a.reviewer == actor.id for a in state.approvals):
        raise TransitionError("you have already approved this version")
    approval = Approval(reviewer=actor.id, at=now, content_hash=state.content_hash,
                        pins=list(pins))
    approvals = [*state.approvals, approval]
    done = len(approvals) >= required
    return state.model_copy(update={
        "approvals": approvals, "revision": state.revision + 1, "updated_at": now,
        "status": S.APPROVED if done else S.UNDER_REVIEW, "approved_at": now if done else None,
    })


def decide_edit(
    state: ReviewState, actor: Actor, content_hash: str, *, now: dt.datetime
) -> ReviewState:
    """The state after ``actor`` changes the version's content to ``content_hash``.

    The editor joins the version's authors (so cannot approve it) and approvals of the old
    content lapse.
    """
    roles = EDITORS.get(state.status)
    if roles is None:
        raise TransitionError(
            f"{_a(state.status)} version cannot be edited",
            hint="submit a new version of the article instead",
        )
    if actor.role not in roles:
        raise ForbiddenError(
            f"{_a(state.status)} version can be edited only by "
            + " or ".join(sorted(r.value for r in roles))
        )
    authors = state.authors if actor.id in state.authors else [*state.authors, actor.id]
    return state.model_copy(update={
        "content_hash": content_hash, "authors": authors, "approvals": [],
        "revision": state.revision + 1, "updated_at": now,
    })


def decide_submit(
    subject: ReviewSubject, actor: Actor, latest: ReviewState | None, *, now: dt.datetime
) -> ReviewState:
    """The first state of a new version; ``latest`` is the article's newest version, if any.

    Raises:
        TransitionError: the version exists already, or an older one is still in review.
    """
    _require(actor, "submit")
    if latest is not None and subject.version <= latest.version:
        raise TransitionError(
            f"version {subject.version} of article {subject.article_id} exists already",
            hint=f"submit version {latest.version + 1}",
        )
    if latest is not None and latest.status not in (S.APPROVED, S.REJECTED):
        raise TransitionError(
            f"version {latest.version} is still {_label(latest.status)}",
            hint="edit that version instead of submitting a new one",
        )
    return ReviewState(
        article_id=subject.article_id, version=subject.version, status=S.SUBMITTED,
        authors=[actor.id], content_hash=subject.content_hash, revision=1,
        submitted_at=now, updated_at=now,
    )


def _label(status: ReviewStatus) -> str:
    return status.value.replace("_", " ")


def _a(status: ReviewStatus) -> str:
    label = _label(status)
    return f"an {label}" if label[0] in "aeiou" else f"a {label}"


def _next_hint(status: ReviewStatus) -> str:
    nexts = sorted(_label(s) for s in MOVES[status])
    return f"from {_label(status)} it can become: {', '.join(nexts)}" if nexts else (
        f"{_a(status)} version is final; submit a new version to change it"
    )


# --- use cases ---------------------------------------------------------------------------


def submit(
    store: Store, subject: ReviewSubject, actor: Actor, *, comment: str = "",
    now: dt.datetime | None = None,
) -> ReviewState:
    """Register a new article version as Submitted (audited as ``submit``; refusals too)."""
    check_comment(comment)

    def attempt() -> tuple[ReviewState, AuditRecord] | MedciteError:
        at = now or now_utc()
        with transaction(store, ReviewTx) as tx:
            newest = tx.latest_version(subject.article_id)
            latest = tx.state(subject.article_id, newest) if newest is not None else None
            try:
                state = decide_submit(subject, actor, latest, now=at)
            except (TransitionError, ForbiddenError) as refused:
                return refused
            tx.create(state)
            return state, tx.audit(audit_event(actor, "submit", None, state, comment, at))

    outcome = retrying(attempt)
    if isinstance(outcome, MedciteError):
        log(store, event(actor, "refused:submit", article_id=subject.article_id,
                         version=subject.version, to_state=S.SUBMITTED.value,
                         content_hash=subject.content_hash, comment=outcome.message))
        raise outcome
    emit(outcome[1])
    return outcome[0]


def submit_article(
    store: Store, draft: ArticleDraft, actor: Actor, *, now: dt.datetime | None = None
) -> tuple[Article, bool]:
    """Store a drafted article as version 1, Submitted, in one transaction with its audit row.

    The article, its first version, its review state and the ``submit`` audit row are written
    together or not at all. If the question is stored already (also when another request
    stored it meanwhile) that article is returned instead. Returns (article, created).
    """
    _require(actor, "submit")

    def attempt() -> tuple[Article, AuditRecord | None]:
        at = now or now_utc()
        with transaction(store, ReviewTx) as tx:
            found = tx.find_article(draft.question_key)
            if found is not None:
                return found, None
            article = tx.create_article(draft)
            version = tx.version(article.id, 1)
            assert version is not None  # just written
            subject = ReviewSubject(article_id=article.id, version=1,
                                    content_hash=version.content_hash)
            state = decide_submit(subject, actor, None, now=at)
            tx.create(state)
            record = tx.audit(audit_event(actor, "submit", None, state, "", at))
            return tx.article(article.id) or article, record

    article, record = retrying(attempt)
    if record is not None:
        emit(record)
    return article, record is not None


def transition(
    store: Store,
    settings: Settings,
    article_id: int,
    version: int,
    to: ReviewStatus,
    actor: Actor,
    *,
    comment: str = "",
    pins: Sequence[SourcePin] = (),
    now: dt.datetime | None = None,
) -> ReviewState:
    """Move a version to ``to`` (see ``decide``); ``pins``: the cited sources, when approving.

    Raises:
        ReviewNotFoundError, TransitionError, ForbiddenError, SelfApprovalError, and
        ConcurrentUpdateError when other writers kept winning the race.
    """
    required = settings.review.approvals_required
    return _apply(
        store, actor, article_id, version, ACTIONS[to], comment, now,
        lambda state, at: decide(state, to, actor, approvals_required=required, now=at,
                                 pins=pins),
    )


def edit(
    store: Store, article_id: int, version: int, content_hash: str, actor: Actor, *,
    comment: str = "", now: dt.datetime | None = None,
    check: Callable[[ReviewState], None] | None = None,
    also: Callable[[ReviewTx, dt.datetime], None] | None = None,
) -> ReviewState:
    """Record that ``actor`` changed the version's content (audited as ``edit``).

    ``check`` may refuse the edit on the state read (e.g. stale content); ``also`` writes the
    new content in the same transaction, after the state is saved.
    """

    def change(state: ReviewState, at: dt.datetime) -> ReviewState:
        if check is not None:
            check(state)
        return decide_edit(state, actor, content_hash, now=at)

    return _apply(store, actor, article_id, version, "edit", comment, now, change, also)


def add_note(
    store: Store, article_id: int, version: int, actor: Actor, comment: str
) -> AuditRecord:
    """Attach a reviewer's or editor's note to a version without moving it (audited)."""
    _require(actor, "resubmit")  # the drafting roles: editors, reviewers, admins
    check_comment(comment)
    state = review_state(store, article_id, version)
    return log(store, event(actor, "note", article_id=article_id, version=version,
                            from_state=state.status.value, to_state=state.status.value,
                            content_hash=state.content_hash, comment=comment))


def _apply(
    store: Store,
    actor: Actor,
    article_id: int,
    version: int,
    action: str,
    comment: str,
    now: dt.datetime | None,
    change: Callable[[ReviewState, dt.datetime], ReviewState],
    also: Callable[[ReviewTx, dt.datetime], None] | None = None,
) -> ReviewState:
    """Read, decide, save and audit in one transaction; audit and raise a refusal."""
    check_comment(comment)

    def attempt() -> tuple[ReviewState, AuditRecord | MedciteError]:
        at = now or now_utc()
        with transaction(store, ReviewTx) as tx:
            before = tx.state(article_id, version, lock=True)
            if before is None:
                raise ReviewNotFoundError(
                    f"article {article_id} version {version} was never submitted for review"
                )
            try:
                after = change(before, at)
            except (TransitionError, ForbiddenError) as refused:
                return before, refused
            tx.save(before, after)
            if also is not None:
                also(tx, at)
            return after, tx.audit(audit_event(actor, action, before, after, comment, at))

    state, outcome = retrying(attempt)
    if isinstance(outcome, MedciteError):
        log(store, event(actor, f"refused:{action}", article_id=article_id, version=version,
                         from_state=state.status.value, content_hash=state.content_hash,
                         to_state=_target(action), comment=outcome.message))
        raise outcome
    emit(outcome)
    return state


def _target(action: str) -> str | None:
    return next((s.value for s, a in ACTIONS.items() if a == action), None)


def audit_event(
    actor: Actor, action: str, before: ReviewState | None, after: ReviewState, comment: str,
    at: dt.datetime,
) -> AuditEvent:
    """The audit event of ``actor`` moving a version from ``before`` (None: new) to ``after``."""
    return event(
        actor, action, article_id=after.article_id, version=after.version,
        from_state=before.status.value if before else None, to_state=after.status.value,
        content_hash=after.content_hash, comment=comment, now=at,
    )


def check_comment(comment: str) -> None:
    """Refuse a note longer than ``MAX_COMMENT_CHARS`` (413)."""
    if len(comment) > MAX_COMMENT_CHARS:
        raise InputTooLargeError(f"a note is at most {MAX_COMMENT_CHARS:,} characters")


# --- reading -----------------------------------------------------------------------------


def review_state(store: Store, article_id: int, version: int) -> ReviewState:
    """The review state of one version (raises ``ReviewNotFoundError``)."""
    with transaction(store, ReviewTx) as tx:
        state = tx.state(article_id, version)
    if state is None:
        raise ReviewNotFoundError(f"article {article_id} version {version} is not in review")
    return state


def versions(store: Store, article_id: int) -> list[ReviewState]:
    """Every reviewed version of an article, oldest submission first."""
    with transaction(store, ReviewTx) as tx:
        return tx.states(article_id=article_id, limit=10_000)


def public_version(store: Store, article_id: int) -> ReviewState | None:
    """The newest approved version of an article: the one readers may see (None: none yet)."""
    approved = [s for s in versions(store, article_id) if s.status is S.APPROVED]
    return max(approved, key=lambda s: s.version) if approved else None


QUEUE = (S.SUBMITTED, S.UNDER_REVIEW, S.CHANGES_REQUESTED)


def queue(
    store: Store,
    statuses: Sequence[ReviewStatus] = QUEUE,
    *,
    limit: int = 50,
    offset: int = 0,
) -> list[ReviewState]:
    """Versions waiting on someone, oldest submission first (the review queue)."""
    with transaction(store, ReviewTx) as tx:
        return tx.states(statuses=statuses, limit=limit, offset=offset)
