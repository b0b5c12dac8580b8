"""Keeping approved articles current: review due dates, overdue flags, changed cited sources."""

from __future__ import annotations

import datetime as dt

from review_kit import Team

from medcite.ingest.split import split_document
from medcite.review import workflow
from medcite.review.accounts import MEDCITE
from medcite.review.due import (
    changed_sources,
    next_review_due,
    overdue,
    pin_sources,
    rereview_flags,
    schedule,
)
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import (
    DocSection,
    Document,
    ReviewStatus,
    ReviewSubject,
    Source,
    SourceChangeKind,
    SourceKind,
)

S = ReviewStatus
APPROVED_AT = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)


def _source(store: Store, source_id: str, *, version: int = 1, text: str = "Rest helps.",
            retracted: bool = False) -> None:
    doc = Document(
        source=Source(id=source_id, kind=SourceKind.RESEARCH, title=f"Study {source_id}",
                      version=version, retracted=retracted),
        sections=[DocSection(title="Results", text=text)],
    )
    store.write_batch([(doc, split_document(doc))])


def _approve(store: Store, settings: Settings, team: Team, article_id: int, cited: list[str],
             at: dt.datetime = APPROVED_AT) -> None:
    subject = ReviewSubject(article_id=article_id, version=1, content_hash=f"a{article_id}")
    workflow.submit(store, subject, MEDCITE, now=at)
    workflow.transition(store, settings, article_id, 1, S.UNDER_REVIEW, team.ana.actor, now=at)
    workflow.transition(store, settings, article_id, 1, S.APPROVED, team.ana.actor, now=at,
                        pins=pin_sources(store, cited))


def test_next_review_due_is_the_interval_after_approval_in_utc() -> None:
    assert next_review_due(APPROVED_AT, 365) == dt.date(2027, 1, 31)
    late_evening_in_new_york = dt.datetime(2026, 1, 31, 20, 0,
                                           tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert next_review_due(late_evening_in_new_york, 1) == dt.date(2026, 2, 2)


def test_overdue_articles_are_flagged_the_day_after_they_fall_due(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _approve(store, review_settings, team, 1, [])
    _approve(store, review_settings, team, 2, [], at=APPROVED_AT + dt.timedelta(days=30))
    workflow.submit(store, ReviewSubject(article_id=3, version=1, content_hash="x"), MEDCITE)
    due = schedule(store, review_settings, today=dt.date(2027, 1, 31))
    assert [(d.article_id, d.due, d.overdue) for d in due] == [
        (1, dt.date(2027, 1, 31), False), (2, dt.date(2027, 3, 2), False)]
    assert [d.article_id for d in overdue(store, review_settings, today=dt.date(2027, 2, 1))
            ] == [1]


def test_a_new_version_in_review_keeps_the_public_versions_due_date(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _approve(store, review_settings, team, 1, [])
    workflow.submit(store, ReviewSubject(article_id=1, version=2, content_hash="b"), MEDCITE)
    (due,) = schedule(store, review_settings, today=dt.date(2026, 6, 1))
    assert (due.version, due.approved_at) == (1, APPROVED_AT)


def test_retracted_replaced_and_removed_sources_flag_articles_for_re_review(
    store: Store, review_settings: Settings, team: Team
) -> None:
    for source_id in ("pmid:1", "pmid:2", "pmid:3", "pmid:4", "doc:guide"):
        _source(store, source_id)
    _approve(store, review_settings, team, 1, ["pmid:1", "pmid:2", "pmid:3", "doc:guide"])
    _approve(store, review_settings, team, 2, ["pmid:4"])
    assert rereview_flags(store) == []

    _source(store, "pmid:1", retracted=True)
    _source(store, "pmid:2", version=2)
    store.write_batch([], delete_ids=["pmid:3"])
    _source(store, "doc:guide", text="Rest helps; new advice on stretching.")
    expected = {
        "pmid:1": SourceChangeKind.RETRACTED, "pmid:2": SourceChangeKind.REPLACED,
        "pmid:3": SourceChangeKind.REMOVED, "doc:guide": SourceChangeKind.REPLACED,
    }
    (flag,) = rereview_flags(store)
    assert (flag.article_id, flag.version) == (1, 1)
    assert {c.source_id: c.change for c in flag.changes} == expected
    assert {c.source_id: c.change for c in changed_sources(store, 1, 1)} == expected
    assert changed_sources(store, 2, 1) == []
