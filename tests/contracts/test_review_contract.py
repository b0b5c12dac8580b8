"""What every store backend does for the review workflow: articles submitted atomically, moves
mirrored into the article rows, the visibility rule, edits with their history, the
append-only audit chain, and re-review flags. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from contract_corpus import TINY, add, document
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from medcite.answer.cite import cite
from medcite.errors import (
    ArticleNotFoundError,
    InvalidEditError,
    SelfApprovalError,
    TransitionError,
)
from medcite.review import audit, board, editing, history, workflow
from medcite.review.accounts import MEDCITE
from medcite.review.publish import article_by_key, read_article, readable_articles
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import (
    Actor,
    Answer,
    AnswerSection,
    ArticleDraft,
    Audience,
    ContentEdit,
    EditKind,
    Evidence,
    Quote,
    ReviewStatus,
    Role,
    SourceChangeKind,
    Statement,
    User,
    Viewer,
)

S = ReviewStatus
EVE = Actor(id="eve", role=Role.EDITOR)
ANA = Actor(id="ana", role=Role.REVIEWER)
BEN = Actor(id="ben", role=Role.REVIEWER)
STAFF = Viewer(user=User(id=1, username="eve", role=Role.EDITOR,
                         created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))


def _answer(store: Store, audience: Audience, question: str) -> Answer:
    """Two statements, each quoting a stored passage verbatim, cited by first use."""
    evidence = []
    for rank, source_id in enumerate(("pmid:1", "pmid:2"), start=1):
        passage = store.passages_of(source_id)[0]
        evidence.append(Evidence(id=passage.id, passage=passage, score=1.0, rank=rank,
                                 source=store.get_source(source_id)))
    statements = [
        Statement(text=item.passage.text, evidence_ids=[item.id], support=1.0,
                  quotes=[Quote(passage_id=item.id, text=item.passage.text[:40])])
        for item in evidence
    ]
    sections, citations = cite([AnswerSection(title="Bottom line", statements=statements[:1]),
                                AnswerSection(title="Treatment", statements=statements[1:])],
                               evidence)
    return Answer(question=question, audience=audience, sections=sections, citations=citations,
                  abstained=False, disclaimer="Not medical advice.")


def _draft(store: Store, question: str = "Aspirin or statins after a heart attack?"
           ) -> ArticleDraft:
    clinician, patient = (_answer(store, a, question) for a in Audience)
    return ArticleDraft(
        question=question, question_key=question.lower(), slug="after-a-heart-attack",
        clinician=clinician, patient=patient, retrieved_ids=[], evidence_ids=[],
        settings_digest="d")


@pytest.fixture
def corpus(backend_store: Store) -> Store:
    add(backend_store, *TINY)
    return backend_store


def _approve(store: Store, settings: Settings, article_id: int, version: int = 1) -> None:
    for to in (S.UNDER_REVIEW, S.APPROVED):
        board.decide_version(store, settings, article_id, version, to, ANA)


def _edit(store: Store, article_id: int, version: int, actor: Actor, **change: Any) -> Any:
    base = store.get_article_version(article_id, version).content_hash
    return editing.edit_article(store, article_id, version, ContentEdit(
        audience=Audience.CLINICIAN, base_hash=base, **change), actor)


def test_a_new_article_is_stored_and_submitted_in_one_transaction(corpus: Store) -> None:
    article, created = workflow.submit_article(corpus, _draft(corpus), MEDCITE)
    again, created_again = workflow.submit_article(corpus, _draft(corpus), EVE)
    assert created and not created_again and again.id == article.id
    assert (article.status, article.latest_version, article.approved_version) == (
        S.SUBMITTED, 1, None)
    state = workflow.review_state(corpus, article.id, 1)
    assert state.authors == ["medcite"]
    assert state.content_hash == corpus.get_article_version(article.id, 1).content_hash
    assert [r.action for r in audit.records(corpus, article_id=article.id)] == ["submit"]


def test_R_WF_2_a_failure_while_submitting_leaves_neither_article_nor_state(
    corpus: Store,
) -> None:
    def fail(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            raise RuntimeError("power cut")

    draft = _draft(corpus)
    event.listen(corpus.engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            workflow.submit_article(corpus, draft, MEDCITE)
    finally:
        event.remove(corpus.engine, "before_cursor_execute", fail)
    assert corpus.find_article(draft.question_key) is None
    assert workflow.queue(corpus) == []
    assert audit.verify(corpus).ok


def test_moves_are_mirrored_into_the_article_rows_and_refusals_audited(
    corpus: Store, backend_settings: Settings
) -> None:
    article, _ = workflow.submit_article(corpus, _draft(corpus), EVE)
    with pytest.raises(TransitionError):
        board.decide_version(corpus, backend_settings, article.id, 1, S.APPROVED, ANA)
    board.decide_version(corpus, backend_settings, article.id, 1, S.UNDER_REVIEW, ANA)
    assert corpus.get_article(article.id).status is S.UNDER_REVIEW
    assert corpus.article_version_stamp(article.id, 1)[0] is S.UNDER_REVIEW
    with pytest.raises(SelfApprovalError):
        board.decide_version(corpus, backend_settings, article.id, 1, S.APPROVED, EVE.model_copy(
            update={"role": Role.REVIEWER}))
    board.decide_version(corpus, backend_settings, article.id, 1, S.APPROVED, BEN)
    stored = corpus.get_article(article.id)
    assert (stored.status, stored.approved_version) == (S.APPROVED, 1)
    assert corpus.article_version_stamp(article.id, 1)[0] is S.APPROVED
    actions = [r.action for r in audit.records(corpus, article_id=article.id)]
    assert actions == ["submit", "refused:approve", "start_review", "refused:approve",
                       "approve"]
    assert audit.verify(corpus).ok


def test_R_SEC_11_drafts_are_hidden_from_readers_until_approved(
    corpus: Store, backend_settings: Settings
) -> None:
    article, _ = workflow.submit_article(corpus, _draft(corpus), MEDCITE)
    assert article.preview_key and len(article.preview_key) >= 32
    with pytest.raises(ArticleNotFoundError):
        read_article(corpus, article.id)
    assert read_article(corpus, article.id, viewer=Viewer(key=article.preview_key))[1].version == 1
    assert read_article(corpus, article.id, viewer=STAFF)[1].version == 1
    assert article_by_key(corpus, article.preview_key).id == article.id
    with pytest.raises(ArticleNotFoundError):
        article_by_key(corpus, "x" * 32)
    assert readable_articles(corpus) == []
    _approve(corpus, backend_settings, article.id)
    assert read_article(corpus, article.id)[1].version == 1
    assert [a.id for a in readable_articles(corpus)] == [article.id]


def test_edits_keep_their_history_and_editing_an_approved_version_makes_the_next(
    corpus: Store, backend_settings: Settings
) -> None:
    article, _ = workflow.submit_article(corpus, _draft(corpus), EVE)
    _edit(corpus, article.id, 1, EVE, kind=EditKind.EDIT_STATEMENT, section=1, statement=1,
          text="Low-dose aspirin prevents further heart attacks.")
    states = history.content_history(corpus, article.id)
    assert [s.revision.label for s in states] == ["v1", "v1.2"]
    assert [s.revision.made_by for s in states] == [None, "eve"]
    lines = history.diff(states[0].clinician, states[1].clinician)
    assert [(d.change, d.text) for d in lines if d.change != "same"] == [
        ("removed", f"- {states[0].clinician.sections[0].statements[0].text} [1]"),
        ("added", "- Low-dose aspirin prevents further heart attacks. [1]")]
    _approve(corpus, backend_settings, article.id)
    state = _edit(corpus, article.id, 1, EVE, kind=EditKind.REMOVE_SECTION, section=1)
    assert (state.version, state.status) == (2, S.SUBMITTED)
    assert read_article(corpus, article.id)[1].version == 1  # the approved one stays public
    second = corpus.get_article_version(article.id, 2).clinician
    assert [s.title for s in second.sections] == ["Treatment"]
    assert [c.number for c in second.citations] == [1]  # renumbered by first use
    with pytest.raises(InvalidEditError):
        _edit(corpus, article.id, 2, EVE, kind=EditKind.REMOVE_SECTION, section=1)
    assert audit.verify(corpus).ok


def test_the_audit_table_is_append_only(corpus: Store) -> None:
    workflow.submit_article(corpus, _draft(corpus), MEDCITE)
    for statement in ("UPDATE audit_log SET comment = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), corpus.engine.begin() as db:
            db.execute(text(statement))
    assert audit.verify(corpus).ok


def test_a_cited_source_replaced_after_approval_flags_the_article_and_blocks_stale_edits(
    corpus: Store, backend_settings: Settings
) -> None:
    article, _ = workflow.submit_article(corpus, _draft(corpus), MEDCITE)
    _approve(corpus, backend_settings, article.id)
    assert board.flagged_articles(corpus, backend_settings) == []
    add(corpus, document("pmid:2", "Statins for secondary prevention",
                         "High-intensity statins now lower LDL cholesterol further."))
    flagged = board.flagged_articles(corpus, backend_settings)
    assert [(f.article.id, [c.change for c in f.changes]) for f in flagged] == [
        (article.id, [SourceChangeKind.REPLACED])]
    with pytest.raises(InvalidEditError, match="no longer cite a stored passage"):
        _edit(corpus, article.id, 1, EVE, kind=EditKind.EDIT_STATEMENT, section=1,
              statement=1, text="Aspirin helps.")


def test_an_approval_names_its_reviewers_and_the_next_review_date(
    corpus: Store, backend_settings: Settings
) -> None:
    article, _ = workflow.submit_article(corpus, _draft(corpus), MEDCITE)
    assert board.approval_note(corpus, backend_settings, article.id, 1) is None
    _approve(corpus, backend_settings, article.id)
    note = board.approval_note(corpus, backend_settings, article.id, 1)
    assert note is not None and [r.name for r in note.reviewers] == ["ana"]
    interval = backend_settings.review.review_interval_days
    assert (note.next_review_due - note.approved_at.date()).days == interval
    assert not note.overdue


def test_migration_0007_gives_every_stored_version_a_review_state_and_a_draft_key(
    make_settings: Callable[..., Settings], tmp_path: Path,
) -> None:
    """Articles stored before the review workflow existed join it (store upgraded)."""
    from alembic import command

    from medcite.store.engine import make_engine
    from medcite.store.schema import alembic_config

    settings = make_settings(tmp_path / "home", migrated=False)
    engine = make_engine(settings.store_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        for branch in ("0004", "0005", "0006"):
            command.upgrade(config, branch)
        connection.execute(text(
            "INSERT INTO articles (id, question_key, slug, question, status, latest_version, "
            "answered, topics, created_at, updated_at) VALUES (1, 'k', 's', 'Q?', 'approved', "
            "1, TRUE, '[]', '2026-01-02 03:04:05', '2026-01-02 03:04:05')"))
        connection.execute(text(
            "INSERT INTO article_versions (article_id, version, status, clinician, patient, "
            "retrieved_ids, evidence_ids, settings_digest, content_hash, created_at) VALUES "
            "(1, 1, 'approved', '{}', '{}', '[]', '[]', 'd', 'h1', '2026-01-02 03:04:05')"))
        command.upgrade(config, "heads")
    engine.dispose()
    store = Store.open(settings)
    try:
        state = workflow.review_state(store, 1, 1)
        assert (state.status, state.authors, state.content_hash) == (S.APPROVED, ["medcite"],
                                                                     "h1")
        assert state.approved_at is not None and state.approved_at.year == 2026
        assert len(store.get_article(1).preview_key or "") >= 32
    finally:
        store.close()
