"""The versioned JSON API, ``/api/v1``: thin routes over the same use cases as the pages.

Errors are RFC 9457 problem documents (``medcite.web.errors``); lists are paged with an
opaque cursor (keyset on the article id, so new articles never shift a page); costly routes
are rate-limited; write routes accept ``application/json`` only.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route signatures at run
# time, and their Query limits refer to the settings given to ``api_router``.
import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from medcite.answer.cite import KIND_LABELS, to_json
from medcite.errors import InputError, InvalidFeedbackError
from medcite.review.access import ANONYMOUS
from medcite.review.publish import (
    get_or_create_article,
    read_article,
    readable_articles,
    send_feedback,
)
from medcite.settings import Settings
from medcite.types import Article, Audience, Feedback, Topic, Viewer
from medcite.web.auth import ViewerDep
from medcite.web.deps import AskLimit, FeedbackLimit, LibraryDep, drafting
from medcite.web.schemas import (
    AnswerOut,
    ArticleList,
    ArticleOut,
    ArticleSummary,
    AskIn,
    FeedbackIn,
    FeedbackOut,
    SearchOut,
    SearchResult,
    SourceBrief,
    SourceOut,
    TopicOut,
)
from medcite.web.views import (
    ArticleView,
    article_view,
    caution,
    reader_url,
    source_url,
    status_label,
    topic_url,
)

PREFIX = "/api/v1"


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json errors a route can answer."""
    return {
        status: {
            "description": "Problem details (RFC 9457)",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for status in statuses
    }


def api_url(article: Article) -> str:
    """The article's address in the API."""
    return f"{PREFIX}/articles/{article.id}"


def summary(article: Article, viewer: Viewer = ANONYMOUS) -> ArticleSummary:
    """An article as listed by the API; ``url`` is where ``viewer`` reads it."""
    return ArticleSummary(
        id=article.id, slug=article.slug, question=article.question, status=article.status,
        status_label=status_label(article.status), latest_version=article.latest_version,
        approved_version=article.approved_version, parent_id=article.parent_id,
        topics=article.topics, created_at=article.created_at, updated_at=article.updated_at,
        url=reader_url(article, viewer), api_url=api_url(article),
    )


def article_out(view: ArticleView, *, created: bool = False) -> ArticleOut:
    """An article view as the API's JSON (a draft's links: its unlisted address)."""
    return ArticleOut(
        article=summary(view.article, view.viewer),
        created=created,
        version=view.version.version,
        version_status=view.version.status,
        caution=caution(view.version.status),
        answer=AnswerOut.model_validate(to_json(view.answer)),
        audiences={a.value: view.url(a) for a in Audience},
        settings_digest=view.version.settings_digest,
        evidence_ids=view.version.evidence_ids,
        parent=summary(view.parent) if view.parent else None,
        follow_ups=[summary(a) for a in view.follow_ups],
        related=[summary(a) for a in view.related],
    )


def encode_cursor(article_id: int) -> str:
    """An opaque cursor for the page after ``article_id``."""
    return base64.urlsafe_b64encode(f"before:{article_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The article id a cursor points after; raises ``InputError`` for a bad cursor."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "before" or not value.isdigit():
            raise ValueError(text)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InputError("invalid cursor", hint="use next_cursor from the previous page") from exc


def api_router(settings: Settings) -> APIRouter:
    """The /api/v1 routes, with limits taken from ``settings``."""
    router = APIRouter(prefix=PREFIX, tags=["medcite"])
    _article_api(router, settings)
    _feedback_api(router)
    _library_api(router, settings)
    return router


def _article_api(router: APIRouter, settings: Settings) -> None:
    web = settings.web

    @router.post("/ask", status_code=201, dependencies=[AskLimit],
                 responses=_problems(404, 413, 415, 422, 429))
    async def ask(
        body: AskIn, request: Request, library: LibraryDep, response: Response,
        viewer: ViewerDep,
    ) -> ArticleOut:
        """Answer a question as an article (201), or return the stored one (200).

        Until it is approved, the answer is a draft: readers find it only at the unlisted
        address given in ``article.url`` (asking again gives it again).
        """
        article, created = await drafting(
            request, get_or_create_article, library, body.question,
            follow_up_of=body.follow_up_of, viewer=viewer,
        )
        if not created:
            response.status_code = 200
        response.headers["Location"] = api_url(article)
        asker = viewer.model_copy(update={"key": article.preview_key})
        view = await run_in_threadpool(article_view, library, article.id, body.audience, asker)
        return article_out(view, created=created)

    @router.get("/articles", responses=_problems(400, 422))
    def list_articles(
        library: LibraryDep,
        limit: Annotated[int, Query(ge=1, le=web.max_page_size)] = web.page_size,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
        topic: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z0-9-]+$")] = None,
    ) -> ArticleList:
        """Readable articles, newest first, one page at a time."""
        before = decode_cursor(cursor) if cursor else None
        found = readable_articles(library.store, topic=topic, before=before, limit=limit + 1)
        page, more = found[:limit], len(found) > limit
        next_cursor = encode_cursor(page[-1].id) if more and page else None
        next_url = None
        if next_cursor:
            next_url = f"{PREFIX}/articles?limit={limit}&cursor={next_cursor}"
            next_url += f"&topic={topic}" if topic else ""
        return ArticleList(items=[summary(a) for a in page], limit=limit,
                           next_cursor=next_cursor, next=next_url)

    @router.get("/articles/{article_id}", responses=_problems(401, 404, 422))
    def get_article(
        article_id: int, library: LibraryDep, viewer: ViewerDep,
        audience: Audience = Audience.CLINICIAN,
    ) -> ArticleOut:
        """One article, rendered for the audience asked for: its approved version (staff with
        an API token: the newest version while none is approved)."""
        return article_out(article_view(library, article_id, audience, viewer))


def _library_api(router: APIRouter, settings: Settings) -> None:
    web = settings.web
    max_chars = settings.answer.max_question_chars

    @router.get("/search", responses=_problems(422))
    def search(
        library: LibraryDep,
        q: Annotated[str, Query(min_length=1, max_length=max_chars)],
        k: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> SearchOut:
        """Stored passages matching a query, best first (retracted sources never)."""
        hits = library.retriever.search(q, k=k)
        passages = library.store.passages([h.passage_id for h in hits])
        sources = library.store.sources([h.source_id for h in hits])
        results = [
            SearchResult(
                rank=h.rank, score=h.score, passage_id=h.passage_id,
                section=passages[h.passage_id].section, text=passages[h.passage_id].text,
                source=SourceBrief(
                    id=s.id, kind=KIND_LABELS[s.kind], title=s.title,
                    container=s.journal or s.publisher, year=s.year, url=source_url(s.id),
                ),
            )
            for h in hits
            if h.passage_id in passages and (s := sources.get(h.source_id)) is not None
        ]
        return SearchOut(query=q, results=results)

    @router.get("/sources/{source_id:path}", responses=_problems(404))
    def get_source(source_id: str, library: LibraryDep) -> SourceOut:
        """A stored source with its passages."""
        source = library.store.get_source(source_id)
        return SourceOut(source=source, passages=library.store.passages_of(source_id),
                         url=source_url(source_id))

    @router.get("/topics")
    def list_topics(library: LibraryDep) -> list[Topic]:
        """The topic library."""
        return library.topics.topics()

    @router.get("/topics/{slug}", responses=_problems(404))
    def get_topic(slug: str, library: LibraryDep) -> TopicOut:
        """A topic with its articles."""
        topic = library.topics.get(slug)
        found = readable_articles(library.store, topic=topic.slug, limit=web.max_page_size)
        return TopicOut(topic=topic, url=topic_url(slug), articles=[summary(a) for a in found])


def _feedback_api(router: APIRouter) -> None:
    @router.post("/feedback", status_code=201, dependencies=[FeedbackLimit],
                 responses=_problems(404, 413, 415, 422, 429))
    def feedback(body: FeedbackIn, library: LibraryDep, viewer: ViewerDep) -> FeedbackOut:
        """Record "Was this page helpful?" or an error report on an article version."""
        version = body.version or read_article(library.store, body.article_id,
                                               cache=library.versions, viewer=viewer)[1].version
        item = _feedback(body, version)
        saved = send_feedback(library.store, library.settings, item, viewer)
        assert saved.id is not None
        return FeedbackOut(id=saved.id, article_id=saved.article_id, version=saved.version,
                           kind=saved.kind, status=saved.status.value)


def _feedback(body: FeedbackIn, version: int) -> Feedback:
    """The feedback item, or a 422 when it is incomplete."""
    try:
        return Feedback(article_id=body.article_id, version=version, audience=body.audience,
                        kind=body.kind, helpful=body.helpful, comment=body.comment)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise InvalidFeedbackError(str(exc).splitlines()[-1].strip(),
                                      hint="'helpful' needs helpful=true|false; 'error' needs "
                                      "a comment") from exc
