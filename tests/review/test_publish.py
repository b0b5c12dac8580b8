"""Publishing answers as articles: find-or-draft, both audiences from one retrieval, follow-ups,
related questions, topics, the visibility rule and feedback limits.

Drafts are read here as whoever asked them reads them: with the draft's key (R-SEC-11)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from live_server import copy_store
from medcite.errors import ArticleNotFoundError, EmptyQuestionError, InputTooLargeError
from medcite.review.board import decide_version
from medcite.review.publish import (
    Library,
    get_or_create_article,
    is_listed,
    normalise_question,
    question_key,
    read_article,
    readable_articles,
    readable_version,
    related_articles,
    send_feedback,
    slugify,
)
from medcite.review.topics import build_topics, topic_slug
from medcite.settings import Settings, WebSettings
from medcite.store import Store
from medcite.types import (
    Actor,
    Article,
    Audience,
    Feedback,
    FeedbackKind,
    ReviewStatus,
    Role,
    User,
    Viewer,
)

SPASM = "How should muscle spasms be evaluated and managed?"


@pytest.fixture(scope="module")
def library(
    starter_store: Store, starter_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Library]:
    """A writable copy of the starter library, with the real retriever and MiniLM model."""
    copied = copy_store(starter_settings, tmp_path_factory.mktemp("publish"))
    opened = Library.open(copied.model_copy(update={"web": WebSettings(max_comment_chars=50)}))
    yield opened
    opened.store.close()


def _article(**changes: object) -> Article:
    now = dt.datetime.now(dt.UTC)
    base = Article(id=1, slug="q", question="Q?", status=ReviewStatus.SUBMITTED,
                   latest_version=1, answered=True, created_at=now, updated_at=now,
                   preview_key="k" * 32)
    return base.model_copy(update=changes)


def asker(article: Article) -> Viewer:
    """Whoever asked the article's question: an anonymous reader holding the draft's key."""
    return Viewer(key=article.preview_key)


def approve(library: Library, article: Article) -> Article:
    """A reviewer of the board starts the review of version 1 and approves it."""
    ana = Actor(id="ana", role=Role.REVIEWER)
    for status in (ReviewStatus.UNDER_REVIEW, ReviewStatus.APPROVED):
        decide_version(library.store, library.settings, article.id, 1, status, ana)
    return library.store.get_article(article.id)


def test_asking_drafts_a_submitted_article_for_both_audiences(library: Library) -> None:
    article, created = get_or_create_article(library, SPASM)
    assert created
    assert (article.status, article.latest_version, article.slug) == (
        ReviewStatus.SUBMITTED, 1, "how-should-muscle-spasms-be-evaluated-and-managed")
    _, version = read_article(library.store, article.id, viewer=asker(article))
    assert version.settings_digest == library.settings.digest
    assert not version.clinician.abstained and not version.patient.abstained
    cited = {pid for answer in (version.clinician, version.patient)
             for c in answer.citations for pid in c.passage_ids}
    assert set(version.evidence_ids) == cited
    assert "muscle-spasm" in article.topics


def test_both_audiences_answer_from_the_same_retrieval(library: Library) -> None:
    article, _ = get_or_create_article(library, SPASM)
    _, version = read_article(library.store, article.id, viewer=asker(article))
    retrieved_sources = {pid.split("#")[0] for pid in version.retrieved_ids}
    for answer in (version.clinician, version.patient):
        assert {c.source.id for c in answer.citations} <= retrieved_sources
    assert any(c.source.audience is Audience.PATIENT for c in version.patient.citations)


def test_asking_again_in_other_case_and_spacing_finds_the_article(library: Library) -> None:
    first, _ = get_or_create_article(library, SPASM)
    again, created = get_or_create_article(
        library, "  how SHOULD muscle   spasms be evaluated and managed  ")
    assert not created
    assert again.id == first.id


def test_a_follow_up_keeps_its_parent_context_and_is_linked_to_it(library: Library) -> None:
    parent, _ = get_or_create_article(library, "How is migraine treated?")
    child, created = get_or_create_article(library, "What about in pregnancy?",
                                           follow_up_of=parent.id, viewer=asker(parent))
    assert created and child.parent_id == parent.id
    _, version = read_article(library.store, child.id, viewer=asker(child))
    assert version.clinician.analysis is not None
    assert version.clinician.analysis.inherited_from == parent.question
    assert readable_articles(library.store, parent_id=parent.id) == []  # listed once approved
    other, _ = get_or_create_article(library, "How is gout treated?")
    elsewhere, _ = get_or_create_article(library, "What about in pregnancy?",
                                         follow_up_of=other.id, viewer=asker(other))
    assert elsewhere.id != child.id  # the same words after another question mean another thing


def test_a_follow_up_of_an_unknown_or_hidden_article_is_not_found(library: Library) -> None:
    with pytest.raises(ArticleNotFoundError):
        get_or_create_article(library, "And the dose?", follow_up_of=99_999)
    draft, _ = get_or_create_article(library, SPASM)
    with pytest.raises(ArticleNotFoundError):  # a draft, without its key
        get_or_create_article(library, "And the dose?", follow_up_of=draft.id)


def test_bad_questions_are_refused_before_anything_is_stored(library: Library) -> None:
    before = len(library.store.list_articles(limit=1000))
    with pytest.raises(EmptyQuestionError):
        get_or_create_article(library, " ?! ")
    with pytest.raises(InputTooLargeError):
        get_or_create_article(library, "why " * 1000)
    assert len(library.store.list_articles(limit=1000)) == before


def test_related_questions_are_the_nearest_by_meaning(library: Library) -> None:
    migraine, _ = get_or_create_article(library, "How is migraine treated?")
    acute, _ = get_or_create_article(library, "What medicines stop a migraine attack?")
    pressure, _ = get_or_create_article(
        library, "What is the first-line treatment for hypertension?")
    assert related_articles(library, migraine) == []  # drafts are never related questions
    for article in (acute, pressure):
        approve(library, article)
    related = related_articles(library, migraine)
    assert related and related[0].id == acute.id
    assert migraine.id not in [a.id for a in related]


def test_an_unanswerable_question_is_stored_but_never_listed(library: Library) -> None:
    article, _ = get_or_create_article(library, "What is the best treatment for zebra fever?")
    assert not article.answered and not is_listed(article)
    assert article.id not in [a.id for a in readable_articles(library.store, limit=1000)]
    assert read_article(library.store, article.id, viewer=asker(article))[1].clinician.abstained


def test_R_SEC_11_readers_see_approved_versions_askers_their_draft_staff_everything() -> None:
    now = dt.datetime.now(dt.UTC)
    editor = Viewer(user=User(id=1, username="eve", role=Role.EDITOR, created_at=now))
    reader = Viewer(user=User(id=2, username="rita", role=Role.READER, created_at=now))
    draft = _article()
    assert readable_version(draft) is None and readable_version(draft, reader) is None
    assert readable_version(draft, Viewer(key="x" * 32)) is None  # someone else's key
    assert readable_version(draft, asker(draft)) == 1
    assert readable_version(draft, editor) == 1
    rejected = _article(status=ReviewStatus.REJECTED)
    assert readable_version(rejected, asker(rejected)) is None
    assert readable_version(rejected, editor) == 1
    newer_draft = _article(latest_version=3, approved_version=2)
    assert readable_version(newer_draft) == 2 and readable_version(newer_draft, editor) == 2


def test_feedback_needs_a_readable_version_and_a_short_comment(library: Library) -> None:
    article, _ = get_or_create_article(library, SPASM)
    vote = Feedback(article_id=article.id, version=1, audience=Audience.CLINICIAN,
                    kind=FeedbackKind.HELPFUL, helpful=True, comment="  clear  ")
    me = asker(article)
    assert send_feedback(library.store, library.settings, vote, me).comment == "clear"
    with pytest.raises(InputTooLargeError):
        send_feedback(library.store, library.settings,
                      vote.model_copy(update={"comment": "x" * 51}), me)
    with pytest.raises(ArticleNotFoundError):
        send_feedback(library.store, library.settings, vote.model_copy(update={"version": 2}),
                      me)
    with pytest.raises(ArticleNotFoundError):  # a draft is not found without its key
        send_feedback(library.store, library.settings, vote)


def test_questions_normalise_to_one_key_and_a_url_slug() -> None:
    assert normalise_question("  How is GOUT\ttreated?? ") == "how is gout treated"
    assert question_key("How is gout treated?") == question_key("how is gout treated")
    assert question_key("And the dose?", 1) != question_key("And the dose?", 2)
    assert slugify("Où est l'hôpital? Ça va!") == "ou-est-l-hopital-ca-va"
    assert slugify("???") == "article"
    assert len(slugify("word " * 50)) <= 80


def test_topics_group_the_starter_documents_by_name(library: Library) -> None:
    topics = build_topics(library.store.topic_documents())
    assert len(topics) == 37
    spasm = next(t for t in topics if t.slug == "muscle-spasm")
    assert spasm.name == "Muscle spasms"
    assert spasm.source_ids == ["doc:muscle-spasm-clinician", "doc:muscle-spasm-patient"]
    assert topic_slug("doc:gout-patient") == "gout"
    assert topic_slug("pmid:123") is None
