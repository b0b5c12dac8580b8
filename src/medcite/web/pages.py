"""Server-rendered pages: the same use-case calls as the API, rendered with Jinja2.

Every form posts with a CSRF token; a successful post redirects (303) to a page, so reloading
never sends it twice; GET never changes anything. Input errors re-show the form with the
message next to it and the text kept (WCAG 3.3.1).

Readers see approved articles only (``medcite.review.access``). Whoever asks a question is sent
to its draft's unlisted address, ``/drafts/<key>/<slug>``, where the forms carry the key so a
follow-up or feedback from the draft page works too; guessing ids finds nothing (404).
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time, and
# their Query limits refer to the settings given to ``page_router``.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from medcite.errors import InputError, InvalidFeedbackError
from medcite.review.access import is_public
from medcite.review.publish import (
    Library,
    article_by_key,
    get_or_create_article,
    readable_article,
    readable_articles,
    send_feedback,
)
from medcite.settings import Settings
from medcite.types import Article, Audience, Feedback, FeedbackKind, Viewer
from medcite.web.api import decode_cursor, encode_cursor
from medcite.web.auth import ViewerDep, current_user
from medcite.web.deps import (
    AskLimit,
    CsrfChecked,
    FeedbackLimit,
    LibraryDep,
    csrf_token,
    drafting,
)
from medcite.web.fragments import AnswerFragments
from medcite.web.method import method_facts
from medcite.web.security import csrf_cookie_name
from medcite.web.templates import Renderer
from medcite.web.views import (
    AUDIENCE_LABELS,
    ArticleView,
    article_url,
    article_view,
    caution,
    reader_url,
    reference_links,
    source_url,
)

RECENT_ON_HOME = 8
QuestionField = Annotated[str, Form()]
AudienceField = Annotated[Audience, Form()]
KeyField = Annotated[str | None, Form(max_length=64)]


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Render a page with the CSRF token its forms need (setting the cookie when new)."""
    renderer: Renderer = request.app.state.renderer
    token = csrf_token(request)
    signed_in = getattr(request.state, "user", None)
    html = renderer.render(name, {"csrf_token": token, "path": request.url.path,
                                  "signed_in": signed_in, **context})
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    if getattr(request.state, "csrf_issued", None) == token:
        response.set_cookie(
            csrf_cookie_name(request.scope), token, httponly=True, samesite="strict",
            secure=request.url.scheme == "https", path="/",
        )
    return response


def _article_context(request: Request, view: ArticleView, **extra: Any) -> dict[str, Any]:
    fragments: AnswerFragments = request.app.state.fragments
    urgent_html, answer_html = fragments.get(view)
    return {
        "view": view,
        "article": view.article,
        "urgent_html": urgent_html,
        "answer_html": answer_html,
        "caution": caution(view.version.status),
        "audiences": [(a, AUDIENCE_LABELS[a], view.url(a)) for a in Audience],
        "draft_key": view.viewer.key if view.viewer.key and not view.viewer.staff else None,
        "follow_up_error": None,
        "follow_up_text": "",
        "feedback_error": None,
        "feedback_sent": False,
        **extra,
    }


def page_router(settings: Settings) -> APIRouter:
    """The HTML routes."""
    router = APIRouter(include_in_schema=False, dependencies=[Depends(current_user)])
    _home_routes(router)
    _article_routes(router, settings)
    _draft_routes(router)
    _feedback_routes(router)
    _library_routes(router, settings)
    return router


def _home(request: Request, library: Library, *, error: InputError | None = None,
          question: str = "", audience: Audience = Audience.CLINICIAN) -> HTMLResponse:
    return page(request, "home.html", {
        "topics": library.topics.topics(),
        "recent": readable_articles(library.store, limit=RECENT_ON_HOME),
        "error": error, "question": question, "audience": audience,
        "audience_labels": AUDIENCE_LABELS,
    }, status=error.status if error else 200)


def _home_routes(router: APIRouter) -> None:
    @router.get("/", response_class=HTMLResponse)
    def home(request: Request, library: LibraryDep) -> HTMLResponse:
        """The ask box, the topic library and recent questions."""
        return _home(request, library)

    @router.post("/ask", dependencies=[CsrfChecked, AskLimit])
    async def ask(request: Request, library: LibraryDep, viewer: ViewerDep,
                  question: QuestionField = "",
                  audience: AudienceField = Audience.CLINICIAN) -> Response:
        """Find or draft the article for a question, then show it (a draft: at its unlisted
        address, which only whoever asks the question learns)."""
        try:
            article, _ = await drafting(request, get_or_create_article, library, question,
                                        viewer=viewer)
        except InputError as exc:
            return await run_in_threadpool(_home, request, library, error=exc,
                                           question=question, audience=audience)
        return RedirectResponse(_asker_url(article, viewer, audience), status_code=303)


def _asker_url(article: Article, viewer: Viewer, audience: Audience, **params: str) -> str:
    """Where whoever asked (or wrote on) an article reads it: a draft at its unlisted address."""
    asker = viewer.model_copy(update={"key": article.preview_key})
    return reader_url(article, asker, audience, **params)


def _article_routes(router: APIRouter, settings: Settings) -> None:
    web = settings.web

    @router.get("/articles", response_class=HTMLResponse)
    def articles(
        request: Request, library: LibraryDep,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
    ) -> HTMLResponse:
        """Every readable article, newest first, a page at a time."""
        before = decode_cursor(cursor) if cursor else None
        found = readable_articles(library.store, before=before, limit=web.page_size + 1)
        shown = found[: web.page_size]
        more = len(found) > web.page_size and shown
        return page(request, "articles.html", {
            "articles": shown,
            "next_url": f"/articles?cursor={encode_cursor(shown[-1].id)}" if more else None,
        })

    @router.get("/articles/{article_id}")
    def article_by_id(article_id: int, library: LibraryDep, viewer: ViewerDep,
                      audience: Audience = Audience.CLINICIAN) -> Response:
        """Redirect to the article's canonical address."""
        article = readable_article(library.store, article_id, viewer)
        return RedirectResponse(article_url(article, audience), status_code=308)

    @router.get("/articles/{article_id}/{slug}", response_class=HTMLResponse)
    def article(request: Request, article_id: int, slug: str, library: LibraryDep,
                viewer: ViewerDep, audience: Audience = Audience.CLINICIAN,
                feedback: str | None = None) -> Response:
        """The article page for one audience."""
        view = article_view(library, article_id, audience, viewer)
        if slug != view.article.slug:
            return RedirectResponse(article_url(view.article, audience), status_code=301)
        return page(request, "article.html",
                    _article_context(request, view, feedback_sent=feedback == "sent"))

    @router.post("/articles/{article_id}/follow-up", dependencies=[CsrfChecked, AskLimit])
    async def follow_up(request: Request, article_id: int, library: LibraryDep,
                        viewer: ViewerDep, question: QuestionField = "",
                        audience: AudienceField = Audience.CLINICIAN,
                        key: KeyField = None) -> Response:
        """Ask a question in the context of this article (linked to it as a follow-up)."""
        reader = viewer.model_copy(update={"key": key})
        try:
            article, _ = await drafting(request, get_or_create_article, library, question,
                                        follow_up_of=article_id, viewer=reader)
        except InputError as exc:
            view = await run_in_threadpool(article_view, library, article_id, audience, reader)
            return page(request, "article.html", _article_context(
                request, view, follow_up_error=exc, follow_up_text=question), status=exc.status)
        return RedirectResponse(_asker_url(article, viewer, audience), status_code=303)


def _draft_routes(router: APIRouter) -> None:
    @router.get("/drafts/{key}/{slug}", response_class=HTMLResponse)
    def draft(request: Request, key: str, slug: str, library: LibraryDep, viewer: ViewerDep,
              audience: Audience = Audience.CLINICIAN, feedback: str | None = None) -> Response:
        """A draft at its unlisted address (for whoever asked); once approved, its page."""
        found = article_by_key(library.store, key)
        if is_public(found):
            return RedirectResponse(article_url(found, audience), status_code=303)
        reader = viewer.model_copy(update={"key": key})
        view = article_view(library, found.id, audience, reader)
        if slug != view.article.slug:
            return RedirectResponse(view.url(audience), status_code=301)
        context = _article_context(request, view, feedback_sent=feedback == "sent")
        response = page(request, "article.html", context)
        response.headers["X-Robots-Tag"] = "noindex"
        return response


def _feedback_routes(router: APIRouter) -> None:
    @router.post("/articles/{article_id}/feedback", dependencies=[CsrfChecked, FeedbackLimit])
    def feedback(
        request: Request, article_id: int, library: LibraryDep, viewer: ViewerDep,
        kind: Annotated[FeedbackKind, Form()], version: Annotated[int, Form(ge=1)],
        audience: AudienceField = Audience.CLINICIAN,
        helpful: Annotated[str | None, Form(pattern="^(yes|no)$")] = None,
        comment: Annotated[str, Form()] = "", key: KeyField = None,
    ) -> Response:
        """Store a vote or an error report, then thank the reader on the article page."""
        reader = viewer.model_copy(update={"key": key})
        try:
            item = _feedback_item(article_id, version, audience, kind, helpful, comment)
            send_feedback(library.store, library.settings, item, reader)
        except InputError as exc:
            view = article_view(library, article_id, audience, reader)
            context = _article_context(request, view, feedback_error=exc)
            return page(request, "article.html", context, status=exc.status)
        article = readable_article(library.store, article_id, reader)
        target = reader_url(article, reader, audience, feedback="sent") + "#feedback"
        return RedirectResponse(target, status_code=303)


def _library_routes(router: APIRouter, settings: Settings) -> None:
    web = settings.web

    @router.get("/topics", response_class=HTMLResponse)
    def topics(request: Request, library: LibraryDep) -> HTMLResponse:
        """The topic library."""
        return page(request, "topics.html", {"topics": library.topics.topics()})

    @router.get("/topics/{slug}", response_class=HTMLResponse)
    def topic(request: Request, slug: str, library: LibraryDep) -> HTMLResponse:
        """A topic: its documents and the articles that cite them."""
        found = library.topics.get(slug)
        documents = library.store.sources(found.source_ids)
        return page(request, "topic.html", {
            "topic": found,
            "documents": [documents[s] for s in found.source_ids if s in documents],
            "articles": readable_articles(library.store, topic=found.slug,
                                          limit=web.max_page_size),
            "audience_labels": AUDIENCE_LABELS,
        })

    @router.get("/sources/{source_id:path}", response_class=HTMLResponse)
    def source(request: Request, source_id: str, library: LibraryDep) -> HTMLResponse:
        """A stored source with its full text."""
        found = library.store.get_source(source_id)
        return page(request, "source.html", {
            "source": found, "links": reference_links(found),
            "passages": library.store.passages_of(source_id),
        })

    @router.get("/search", response_class=HTMLResponse)
    def search(
        request: Request, library: LibraryDep,
        q: Annotated[str, Query(max_length=settings.answer.max_question_chars)] = "",
    ) -> HTMLResponse:
        """Stored passages matching a query."""
        hits = library.retriever.search(q, k=10) if q.strip() else []
        passages = library.store.passages([h.passage_id for h in hits])
        found = library.store.sources([h.source_id for h in hits])
        results = [(passages[h.passage_id], found[h.source_id]) for h in hits
                   if h.passage_id in passages and h.source_id in found]
        return page(request, "search.html", {"q": q, "results": results,
                                             "source_url": source_url})

    @router.get("/how-it-works", response_class=HTMLResponse)
    def how_it_works(request: Request, library: LibraryDep) -> HTMLResponse:
        """How this answer was made: intended use, corpus, method, limits, measurements."""
        return page(request, "how-it-works.html", {"facts": method_facts(library)})


def _feedback_item(article_id: int, version: int, audience: Audience, kind: FeedbackKind,
                   helpful: str | None, comment: str) -> Feedback:
    try:
        return Feedback(
            article_id=article_id, version=version, audience=audience, kind=kind,
            helpful=None if helpful is None else helpful == "yes", comment=comment or None,
        )
    except ValueError as exc:
        message = ("choose Yes or No" if kind is FeedbackKind.HELPFUL
                   else "describe the error you found")
        raise InvalidFeedbackError(message, hint="then send the form again") from exc
