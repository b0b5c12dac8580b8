"""Keeping approved articles current: next review due, overdue flags, and re-review flags.

An approved version is due for review ``review.review_interval_days`` after its approval and
is overdue the day after that. It is also flagged for re-review when a source it cites was
retracted, replaced (a newer record version or changed content) or removed since approval;
approvals store each cited source as a ``SourcePin`` (id, version, content hash) for this.

Example:
    pins = pin_sources(store, ["doc:gout-clinician", "pmid:123"])
    transition(store, settings, 7, 1, ReviewStatus.APPROVED, reviewer, pins=pins)
    ...
    for flag in rereview_flags(store):
        print(flag.article_id, [c.change for c in flag.changes])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from medcite.review.audit import now_utc
from medcite.settings import Settings
from medcite.store import Store
from medcite.store.audit import transaction
from medcite.store.review import ReviewTx
from medcite.types import (
    ReReviewFlag,
    ReviewDue,
    ReviewState,
    ReviewStatus,
    SourceChange,
    SourceChangeKind,
    SourcePin,
)


def next_review_due(approved_at: dt.datetime, interval_days: int) -> dt.date:
    """The UTC date an article approved at ``approved_at`` is next due for review."""
    return (approved_at.astimezone(dt.UTC) + dt.timedelta(days=interval_days)).date()


def review_due(state: ReviewState, interval_days: int, today: dt.date) -> ReviewDue:
    """When an approved version is due again, and whether that date has passed."""
    if state.status is not ReviewStatus.APPROVED or state.approved_at is None:
        raise ValueError("only an approved version has a review due date")
    due = next_review_due(state.approved_at, interval_days)
    return ReviewDue(article_id=state.article_id, version=state.version,
                     approved_at=state.approved_at, due=due, overdue=today > due)


def schedule(store: Store, settings: Settings, *, today: dt.date | None = None) -> list[ReviewDue]:
    """Every public (newest approved) version with its due date, soonest due first."""
    today = today or now_utc().date()
    with transaction(store, ReviewTx) as tx:
        approved = tx.approved()
    interval = settings.review.review_interval_days
    dues = [review_due(state, interval, today) for state in approved]
    return sorted(dues, key=lambda d: (d.due, d.article_id))


def overdue(store: Store, settings: Settings, *, today: dt.date | None = None) -> list[ReviewDue]:
    """Public versions whose review is overdue, most overdue first."""
    return [due for due in schedule(store, settings, today=today) if due.overdue]


def pin_sources(store: Store, source_ids: Sequence[str]) -> list[SourcePin]:
    """The cited sources as they are now, to store with an approval (unknown ids left out)."""
    with transaction(store, ReviewTx) as tx:
        current = tx.current_sources(sorted(set(source_ids)))
    return [pin for pin, _retracted in current.values()]


def source_changes(
    pins: Sequence[SourcePin], current: Mapping[str, tuple[SourcePin, bool]]
) -> list[SourceChange]:
    """How each pinned source differs from ``current`` (id -> (pin now, retracted))."""
    changes = []
    for pin in pins:
        now = current.get(pin.source_id)
        if now is None:
            kind: SourceChangeKind | None = SourceChangeKind.REMOVED
        elif now[1]:
            kind = SourceChangeKind.RETRACTED
        elif (now[0].version, now[0].content_hash) != (pin.version, pin.content_hash):
            kind = SourceChangeKind.REPLACED
        else:
            kind = None
        if kind is not None:
            changes.append(SourceChange(source_id=pin.source_id, change=kind))
    return changes


def _pins(state: ReviewState) -> list[SourcePin]:
    """The sources cited by an approved version, as first pinned by its approvals."""
    pinned: dict[str, SourcePin] = {}
    for approval in state.approvals:
        for pin in approval.pins:
            pinned.setdefault(pin.source_id, pin)
    return list(pinned.values())


def changed_sources(store: Store, article_id: int, version: int) -> list[SourceChange]:
    """Cited sources of an approved version retracted, replaced or removed since approval."""
    with transaction(store, ReviewTx) as tx:
        state = tx.state(article_id, version)
        pins = _pins(state) if state else []
        current = tx.current_sources([p.source_id for p in pins])
    return source_changes(pins, current)


def rereview_flags(store: Store) -> list[ReReviewFlag]:
    """Every public version whose cited sources changed since approval: review it again."""
    with transaction(store, ReviewTx) as tx:
        approved = tx.approved()
        pinned = {(s.article_id, s.version): _pins(s) for s in approved}
        ids = sorted({p.source_id for pins in pinned.values() for p in pins})
        current = tx.current_sources(ids)
    flags = []
    for (article_id, version), pins in pinned.items():
        changes = source_changes(pins, current)
        if changes:
            flags.append(ReReviewFlag(article_id=article_id, version=version, changes=changes))
    return flags
