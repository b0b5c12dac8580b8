"""Publishing answers as articles: find or draft an article for a question, read it, list it.

An article is a question answered once from the stored evidence and rendered for both
audiences from the same retrieval, so the audience selector re-renders the same evidence. A
new article is version 1, status Submitted, with the settings digest and the passage ids it
rests on. Asking the same question again (any case or spacing) finds the stored article.

A new article is stored and submitted for review in one transaction
(``medcite.review.workflow.submit_article``): its author is the editor who asked, or medcite
itself for an anonymous question. Who may read what is decided in one place,
``medcite.review.access``: readers see approved versions; whoever asked sees the draft through
its unlisted address; staff see everything.

Example:
    library = Library.open(settings)
    article, created = get_or_create_article(library, "How is gout treated?")
    article, version = read_article(library.store, article.id)
"""

from __future__ import annotations

import gc
import hashlib
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field

from medcite.answer.ask import ask_each, validate_question
from medcite.answer.evidence import Retriever
from medcite.answer.question import analyse
from medcite.answer.related import RelatedQuestions, SharedEmbedder
from medcite.errors import ArticleNotFoundError, InputTooLargeError, MedciteError
from medcite.index.embedder import Embedder, MiniLMEmbedder
from medcite.index.retrieve import HybridRetriever
from medcite.review.access import ANONYMOUS, is_listed, may_read, public_face, shown_version
from medcite.review.accounts import MEDCITE
from medcite.review.topics import TopicCatalog, topics_of
from medcite.review.workflow import submit_article
from medcite.settings import Settings
from medcite.store import Store
from medcite.store.audit import transaction
from medcite.store.review import ReviewTx
from medcite.types import (
    Article,
    ArticleDraft,
    ArticleReading,
    ArticleVersion,
    Audience,
    Feedback,
    ReviewStatus,
    Viewer,
)

log = logging.getLogger(__name__)

PENDING_REVIEW_CAUTION = (
    "This answer was drafted by medcite from the sources below and has not yet been reviewed "
    "by the medical advisory board."
)
STATUS_LABELS = {
    ReviewStatus.SUBMITTED: "Submitted",
    ReviewStatus.UNDER_REVIEW: "Under review",
    ReviewStatus.CHANGES_REQUESTED: "Changes requested",
    ReviewStatus.APPROVED: "Approved",
    ReviewStatus.REJECTED: "Rejected",
}
# Latest-version statuses that make an unapproved article listable: none (R-SEC-11).
READER_STATUSES: frozenset[ReviewStatus] = frozenset()
SLUG_CHARS = 80
WARM_UP_QUESTION = "How is high blood pressure treated?"
_TRAILING = "?!.,;: \t"
_NON_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Library:
    """What the article use cases need; build it once per process (it holds the model)."""

    store: Store
    retriever: Retriever
    settings: Settings
    related: RelatedQuestions
    topics: TopicCatalog
    versions: VersionCache
    # One drafting at a time per process: drafting is CPU-bound, so running several at once
    # only interleaves them (and their model threads and database writes); queued askers of
    # a question being drafted get the stored article instead of drafting it again.
    desk: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Settings, *, store: Store | None = None,
             embedder: Embedder | None = None) -> Library:
        """Open the store (migrated) and build the retriever, related index and topic catalog."""
        store = store if store is not None else Store.open(settings)
        embedder = SharedEmbedder(embedder if embedder is not None else MiniLMEmbedder(
            threads=settings.index.embed_threads))
        return cls(
            store=store,
            retriever=HybridRetriever(store, settings, embedder=embedder),
            settings=settings,
            related=RelatedQuestions(store, embedder),
            topics=TopicCatalog(store),
            versions=VersionCache(),
        )

    def warm_up(self) -> None:
        """Load the model, rule files and indexes now, not during the first reader's request.

        Answers one fixed question for both audiences (nothing is stored); failures are
        logged, never raised: a cold start is slow, not broken. What is loaded then lives as
        long as the process, so it is moved out of the garbage collector's way
        (``gc.freeze``): a full collection otherwise scans it all (~430,000 objects with the
        model and indexes, ~0.2 s on this 2-core machine) in the middle of some request.
        """
        try:
            ask_each(WARM_UP_QUESTION, list(Audience), store=self.store,
                     retriever=self.retriever, settings=self.settings)
            self.related.embed(WARM_UP_QUESTION)
        except MedciteError as exc:
            log.warning("warm-up incomplete: %s", exc)
        gc.collect()
        gc.freeze()


# --- the one visibility rule (medcite.review.access) -------------------------------------------


def readable_version(article: Article, viewer: Viewer = ANONYMOUS) -> int | None:
    """The version of ``article`` that ``viewer`` may see, or None: hidden (404, not 403)."""
    return shown_version(article, viewer)


# --- questions, keys and slugs ----------------------------------------------------------------


def normalise_question(question: str) -> str:
    """Case-, width- and spacing-insensitive form of a question, without final punctuation."""
    text = unicodedata.normalize("NFKC", question).casefold()
    return " ".join(text.split()).rstrip(_TRAILING).strip()


def question_key(question: str, parent_id: int | None = None) -> str:
    """The lookup key of a question; a follow-up that inherits context includes its parent."""
    scope = "" if parent_id is None else str(parent_id)
    body = f"{normalise_question(question)}\x1f{scope}"
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def slugify(text: str, max_chars: int = SLUG_CHARS) -> str:
    """URL words of a text: ASCII, lower case, hyphenated, cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_chars:
        slug = slug[:max_chars].rsplit("-", 1)[0]
    return slug or "article"


# --- use cases --------------------------------------------------------------------------------


def get_or_create_article(
    library: Library,
    question: str,
    *,
    follow_up_of: int | None = None,
    viewer: Viewer = ANONYMOUS,
) -> tuple[Article, bool]:
    """The article answering ``question``: the stored one, or a new Submitted draft.

    Args:
        library: Store, retriever, settings, related index and topics.
        question: The question as typed.
        follow_up_of: Id of the article the question was asked from (keeps its context); it
            must be readable by ``viewer``.
        viewer: Who asks: a staff account becomes the draft's author, anyone else leaves
            medcite as its author.

    Returns:
        The article and whether it was created now.

    Raises:
        EmptyQuestionError: The question has no words.
        InputTooLargeError: The question is over the configured length.
        ArticleNotFoundError: ``follow_up_of`` names no readable article.
    """
    text = validate_question(question, library.settings)
    parent = (readable_article(library.store, follow_up_of, viewer)
              if follow_up_of is not None else None)
    analysis = analyse(text, follow_up_of=parent.question if parent else None)
    inherits = parent is not None and analysis.inherited_from is not None
    key = question_key(text, parent.id if inherits and parent else None)
    found = library.store.find_article(key)
    if found is not None:
        return found, False
    with library.desk:
        found = library.store.find_article(key)  # drafted while this request waited?
        if found is not None:
            return found, False
        author = viewer.actor if viewer.staff and viewer.actor is not None else MEDCITE
        created_by = author.id if author is not MEDCITE else None
        draft = draft_article(library, text, key, parent=parent, created_by=created_by)
        article, created = submit_article(library.store, draft, author)
        if created:
            library.related.remember(article)
            library.versions.put(_first_version(library.store, article, draft))
    return article, created


def _first_version(store: Store, article: Article, draft: ArticleDraft) -> ArticleVersion:
    """The version 1 just stored from ``draft``, built from the draft itself rather than read
    back and parsed again (its status and content hash are read, so the cache checks hold)."""
    status, digest = store.article_version_stamp(article.id, 1)
    return ArticleVersion(
        article_id=article.id, version=1, status=status, clinician=draft.clinician,
        patient=draft.patient, retrieved_ids=draft.retrieved_ids,
        evidence_ids=draft.evidence_ids, settings_digest=draft.settings_digest,
        content_hash=digest, created_at=article.created_at, created_by=draft.created_by,
    )


def draft_article(
    library: Library, text: str, key: str, *, parent: Article | None = None,
    created_by: str | None = None,
) -> ArticleDraft:
    """Answer a question for both audiences from one retrieval and one read of its evidence
    (``medcite.answer.ask.ask_each``), as an article draft."""
    answers = ask_each(
        text, [Audience.CLINICIAN, Audience.PATIENT], store=library.store,
        retriever=library.retriever, settings=library.settings,
        follow_up_of=parent.question if parent is not None else None,
    )
    clinician = answers.by_audience[Audience.CLINICIAN]
    patient = answers.by_audience[Audience.PATIENT]
    cited = [c for answer in (clinician, patient) for c in answer.citations]
    return ArticleDraft(
        question=text,
        question_key=key,
        slug=slugify(text),
        parent_id=parent.id if parent is not None else None,
        topics=topics_of(c.source.id for c in cited),
        clinician=clinician,
        patient=patient,
        retrieved_ids=answers.retrieved_ids,
        evidence_ids=list(dict.fromkeys(pid for c in cited for pid in c.passage_ids)),
        settings_digest=library.settings.digest,
        created_by=created_by,
    )


class VersionCache:
    """Parsed article versions, remembered by content hash (their renderings never change).

    A lookup still reads the version's status and hash, so a status change or a different
    version is seen at once; only the parsing of both renderings is saved. Thread-safe.
    """

    def __init__(self, size: int = 256) -> None:
        """Remember up to ``size`` versions."""
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[int, int], ArticleVersion] = OrderedDict()

    def get(
        self, store: Store, article_id: int, version: int,
        stamp: tuple[ReviewStatus, str] | None = None,
    ) -> ArticleVersion:
        """The version, parsed once per content; raises ``ArticleNotFoundError``.

        ``stamp`` is the version's (status, content hash) when already read.
        """
        status, digest = stamp or store.article_version_stamp(article_id, version)
        key = (article_id, version)
        with self._lock:
            cached = self._items.get(key)
            if cached is not None:
                self._items.move_to_end(key)
        if cached is None or cached.content_hash != digest:
            cached = store.get_article_version(article_id, version)
            with self._lock:
                self._items[key] = cached
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return cached if cached.status is status else cached.model_copy(update={"status": status})

    def put(self, version: ArticleVersion) -> None:
        """Remember a version already in hand (one just stored), so it is not read back."""
        key = (version.article_id, version.version)
        with self._lock:
            self._items[key] = version
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def readable_article(store: Store, article_id: int, viewer: Viewer = ANONYMOUS) -> Article:
    """An article ``viewer`` may see (without reading its content).

    Raises:
        ArticleNotFoundError: No such article, or hidden from this viewer.
    """
    article = store.get_article(article_id)
    if shown_version(article, viewer) is None:
        raise ArticleNotFoundError(f"no article with id {article_id}")
    return article


def article_by_key(store: Store, key: str) -> Article:
    """The article behind a draft's unlisted address (raises ``ArticleNotFoundError``)."""
    found = None
    if 16 <= len(key) <= 64:
        with transaction(store, ReviewTx) as tx:
            found = tx.article_by_key(key)
    if found is None:
        raise ArticleNotFoundError("no draft at this address",
                                   hint="ask the question again from the home page")
    if shown_version(found, Viewer(key=key)) is None:
        raise ArticleNotFoundError(
            "the medical advisory board reviewed the answer medcite drafted for this question "
            "and withdrew it", hint="ask your doctor, nurse or pharmacist")
    return found


def read_article(
    store: Store, article_id: int, *, version: int | None = None,
    cache: VersionCache | None = None, viewer: Viewer = ANONYMOUS,
) -> tuple[Article, ArticleVersion]:
    """An article with the version ``viewer`` is shown (or the one asked for, if readable).

    Raises:
        ArticleNotFoundError: No such article or version, or hidden from this viewer.
    """
    article = store.get_article(article_id)
    shown = shown_version(article, viewer) if version is None else version
    if shown is None or not may_read(article, shown, viewer):
        raise ArticleNotFoundError(f"no article with id {article_id}")
    if cache is not None:
        return article, cache.get(store, article_id, shown)
    return article, store.get_article_version(article_id, shown)


def read_article_page(
    store: Store, article_id: int, *, viewer: Viewer = ANONYMOUS,
    cache: VersionCache | None = None, follow_ups: int = 10,
) -> tuple[ArticleReading, ArticleVersion]:
    """What ``viewer`` sees of an article: the version shown, parent and follow-ups.

    Raises:
        ArticleNotFoundError: No such article, or hidden from this viewer.
    """
    reading = store.read_article_page(
        article_id, shown=lambda article: shown_version(article, viewer),
        readable=READER_STATUSES, follow_ups=follow_ups,
    )
    if reading.version is None or reading.status is None or reading.content_hash is None:
        raise ArticleNotFoundError(f"no article with id {article_id}")
    stamp = (reading.status, reading.content_hash)
    version = (cache.get(store, article_id, reading.version, stamp) if cache is not None
               else store.get_article_version(article_id, reading.version))
    return reading, version


def readable_articles(
    store: Store, *, topic: str | None = None, parent_id: int | None = None,
    before: int | None = None, limit: int = 20,
) -> list[Article]:
    """Listed articles (approved and answered), newest first, after the id ``before``, as
    readers know them."""
    found = store.list_articles(
        readable=READER_STATUSES, answered_only=True, topic=topic, parent_id=parent_id,
        before=before, limit=limit,
    )
    return [public_face(article) for article in found if is_listed(article)]


def related_articles(library: Library, article: Article) -> list[Article]:
    """Listed articles whose questions are nearest to this one's (follow-ups left out)."""
    exclude = [article.parent_id] if article.parent_id is not None else []
    return library.related.related(
        article, k=library.settings.web.related_questions, keep=is_listed, exclude=exclude
    )


def send_feedback(
    store: Store, settings: Settings, feedback: Feedback, viewer: Viewer = ANONYMOUS
) -> Feedback:
    """Store a reader's vote or error report on an article version they can read.

    Raises:
        ArticleNotFoundError: The article or version is not readable.
        InputTooLargeError: The comment is longer than ``web.max_comment_chars``.
    """
    read_article(store, feedback.article_id, version=feedback.version, viewer=viewer)
    comment = (feedback.comment or "").strip()
    limit = settings.web.max_comment_chars
    if len(comment) > limit:
        raise InputTooLargeError(
            f"the comment has {len(comment):,} characters; the limit is {limit:,}",
            hint="shorten the comment",
        )
    return store.add_feedback(feedback.model_copy(update={"comment": comment or None}))
