"""Article, version and feedback persistence (SQLite and PostgreSQL): one article per question
key, versions, statuses, paging, feedback and question vectors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from medcite.errors import ArticleNotFoundError
from medcite.store import Store
from medcite.store.tables import Base
from medcite.types import (
    Answer,
    ArticleDraft,
    Audience,
    Feedback,
    FeedbackKind,
    ReviewStatus,
)

ARTICLE_TABLES = {"articles", "article_versions", "article_revisions", "feedback"}


def _answer(audience: Audience, question: str = "How is gout treated?") -> Answer:
    return Answer(question=question, audience=audience, abstained=True,
                  abstain_reason="test", disclaimer="Not medical advice.")


def _draft(key: str, *, question: str = "How is gout treated?", topics: list[str] | None = None,
           parent_id: int | None = None) -> ArticleDraft:
    return ArticleDraft(
        question=question, question_key=key, slug="how-is-gout-treated", parent_id=parent_id,
        topics=topics or [], clinician=_answer(Audience.CLINICIAN, question),
        patient=_answer(Audience.PATIENT, question), retrieved_ids=["doc:gout#0"],
        evidence_ids=[], settings_digest="abc123",
    )


def test_migrations_create_the_article_tables_as_the_rows_declare(backend_store: Store) -> None:
    store = backend_store
    def ours(name: str | None, type_: str, _parent: object) -> bool:
        return type_ != "table" or name in ARTICLE_TABLES

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": ours})
        diff = compare_metadata(context, Base.metadata)
    assert [d for d in diff if any(table in repr(d) for table in ARTICLE_TABLES)] == []


def test_a_new_article_is_submitted_version_one_with_both_renderings(backend_store: Store) -> None:
    store = backend_store
    article, created = store.create_article(_draft("k1"))
    assert created
    assert (article.status, article.latest_version, article.approved_version) == (
        ReviewStatus.SUBMITTED, 1, None)
    version = store.get_article_version(article.id, 1)
    assert version.clinician.audience is Audience.CLINICIAN
    assert version.patient.audience is Audience.PATIENT
    assert version.settings_digest == "abc123"
    assert version.retrieved_ids == ["doc:gout#0"]
    assert len(version.content_hash) == 32
    assert article.created_at.tzinfo is not None


def test_the_same_question_key_gives_back_the_stored_article(backend_store: Store) -> None:
    store = backend_store
    first, _ = store.create_article(_draft("same"))
    second, created = store.create_article(_draft("same"))
    assert not created
    assert second.id == first.id


def test_concurrent_drafts_of_one_question_end_with_one_article(backend_store: Store) -> None:
    store = backend_store
    results: list[int] = []

    def create() -> None:
        results.append(store.create_article(_draft("race"))[0].id)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert len(store.list_articles()) == 1


def test_a_new_version_is_submitted_while_the_approved_one_stays_readable(
    backend_store: Store,
) -> None:
    store = backend_store
    article, _ = store.create_article(_draft("v"))
    approved = store.set_article_status(article.id, 1, ReviewStatus.APPROVED)
    assert approved.approved_version == 1
    store.add_article_version(article.id, _answer(Audience.CLINICIAN), _answer(Audience.PATIENT),
                              retrieved_ids=[], evidence_ids=[], settings_digest="def",
                              created_by="editor")
    now = store.get_article(article.id)
    assert (now.latest_version, now.status, now.approved_version) == (
        2, ReviewStatus.SUBMITTED, 1)
    assert store.get_article_version(article.id, 2).created_by == "editor"


def test_withdrawing_an_approval_falls_back_to_the_previous_approved_version(
    backend_store: Store,
) -> None:
    store = backend_store
    article, _ = store.create_article(_draft("w"))
    store.set_article_status(article.id, 1, ReviewStatus.APPROVED)
    store.add_article_version(article.id, _answer(Audience.CLINICIAN), _answer(Audience.PATIENT),
                              retrieved_ids=[], evidence_ids=[], settings_digest="def")
    assert store.set_article_status(article.id, 2, ReviewStatus.APPROVED).approved_version == 2
    assert store.set_article_status(article.id, 2, ReviewStatus.REJECTED).approved_version == 1


def test_missing_articles_and_versions_are_not_found(backend_store: Store) -> None:
    store = backend_store
    with pytest.raises(ArticleNotFoundError):
        store.get_article(404)
    article, _ = store.create_article(_draft("m"))
    with pytest.raises(ArticleNotFoundError):
        store.get_article_version(article.id, 2)


def test_keyset_pages_list_every_article_once_even_when_new_ones_arrive(
    backend_store: Store,
) -> None:
    store = backend_store
    for n in range(5):
        store.create_article(_draft(f"page{n}"))
    seen: list[int] = []
    before = None
    while True:
        page = store.list_articles(before=before, limit=2)
        if not page:
            break
        seen.extend(a.id for a in page)
        before = page[-1].id
        store.create_article(_draft(f"new-after-{before}"))  # arrives while paging
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 5


def test_articles_are_filtered_by_topic_parent_and_readable_status(backend_store: Store) -> None:
    store = backend_store
    gout, _ = store.create_article(_draft("g", topics=["gout", "colchicine"]))
    child, _ = store.create_article(_draft("c", question="And in kidney disease?",
                                           parent_id=gout.id))
    store.set_article_status(child.id, 1, ReviewStatus.REJECTED)
    assert [a.id for a in store.list_articles(topic="gout")] == [gout.id]
    assert store.list_articles(topic="gou") == []
    assert [a.id for a in store.list_articles(parent_id=gout.id)] == [child.id]
    readable = store.list_articles(readable=[ReviewStatus.SUBMITTED])
    assert [a.id for a in readable] == [gout.id]


def test_feedback_is_stored_with_its_article_version_and_nothing_about_the_sender(
    backend_store: Store,
) -> None:
    store = backend_store
    article, _ = store.create_article(_draft("f"))
    saved = store.add_feedback(Feedback(article_id=article.id, version=1,
                                        audience=Audience.PATIENT, kind=FeedbackKind.HELPFUL,
                                        helpful=False, comment="Too technical"))
    assert saved.id is not None and saved.created_at is not None
    assert store.list_feedback(article_id=article.id) == [saved]
    columns = {c["name"] for c in inspect(store.engine).get_columns("feedback")}
    assert columns == {"id", "article_id", "version", "audience", "kind", "helpful", "comment",
                       "status", "created_at"}


def test_feedback_on_a_version_that_does_not_exist_is_refused(backend_store: Store) -> None:
    store = backend_store
    article, _ = store.create_article(_draft("x"))
    with pytest.raises(ArticleNotFoundError):
        store.add_feedback(Feedback(article_id=article.id, version=9,
                                    audience=Audience.CLINICIAN, kind=FeedbackKind.ERROR,
                                    comment="wrong dose"))


def test_question_vectors_round_trip_and_change_the_signature(backend_store: Store) -> None:
    store = backend_store
    article, _ = store.create_article(_draft("vec"))
    before = store.question_vector_signature("model")
    vector = np.arange(4, dtype=np.float32) / 10
    store.save_question_vector(article.id, "model", vector)
    ids, matrix = store.question_vectors("model", 4)
    assert ids == [article.id]
    np.testing.assert_array_equal(matrix[0], vector)
    assert store.question_vector_signature("model") != before
    assert store.question_vectors("other-model", 4)[0] == []
