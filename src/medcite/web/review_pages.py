"""The board's pages: review queue, article review view, version history with diffs.

All need a signed-in editor, reviewer or admin (anonymous: sent to /login; readers: 403);
which move or edit an account may make is decided by the workflow, and a refusal shows the
review view again with the reason (409, 403 or 422). Every post needs its CSRF token and
redirects (303) back to the review view; GET never changes anything.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from medcite.errors import InputError, InvalidEditError, MedciteError, ReviewNotFoundError
from medcite.review import audit, board, editing, history, workflow
from medcite.review.publish import Library
from medcite.types import (
    Audience,
    ContentEdit,
    EditKind,
    FeedbackStatus,
    ReviewStatus,
    User,
    Viewer,
)
from medcite.web.auth import StaffDep, require_staff
from medcite.web.deps import CsrfChecked, LibraryDep
from medcite.web.pages import page
from medcite.web.review_views import (
    STATUS_FILTERS,
    WAITING,
    audience_of,
    may_edit,
    moves,
    reviewed_sections,
    version_content,
    version_or_latest,
)
from medcite.web.views import AUDIENCE_LABELS, article_url, draft_url

NoteField = Annotated[str, Form(max_length=workflow.MAX_COMMENT_CHARS)]
AUDIT_SHOWN = 200


def review_url(article_id: int, version: int | None = None,
               audience: Audience = Audience.CLINICIAN) -> str:
    """The review view of an article (a version, a rendering)."""
    query = [f"version={version}"] if version is not None else []
    if audience is not Audience.CLINICIAN:
        query.append(f"audience={audience.value}")
    return f"/review/articles/{article_id}" + (f"?{'&'.join(query)}" if query else "")


def review_router() -> APIRouter:
    """The review pages."""
    router = APIRouter(include_in_schema=False, dependencies=[Depends(require_staff)])
    _queue_routes(router)
    _article_routes(router)
    _action_routes(router)
    _note_routes(router)
    return router


def _queue_routes(router: APIRouter) -> None:
    @router.get("/review", response_class=HTMLResponse)
    def queue(
        request: Request, library: LibraryDep, user: StaffDep,
        status: Annotated[str, Query(pattern="^[a-z_]+$", max_length=20)] = WAITING,
        topic: Annotated[str | None, Query(pattern="^[a-z0-9-]*$", max_length=100)] = None,
    ) -> HTMLResponse:
        """Versions waiting on the board, public articles to review again, reader feedback."""
        statuses = STATUS_FILTERS.get(status)
        if statuses is None:
            raise InputError(f"unknown status filter {status!r}",
                             hint="use one of: " + ", ".join(STATUS_FILTERS))
        found = board.review_queue(library.store, library.settings, statuses=statuses,
                                   topic=topic or None, limit=200)
        return page(request, "review_queue.html", {
            "viewer": Viewer(user=user), "queue": found, "status": status, "topic": topic or "",
            "filters": list(STATUS_FILTERS), "topics": library.topics.topics(),
            "feedback_statuses": [FeedbackStatus.ADDRESSED, FeedbackStatus.REJECTED],
        })

    @router.post("/review/feedback/{feedback_id}", dependencies=[CsrfChecked])
    def triage(
        feedback_id: int, library: LibraryDep, user: StaffDep,
        status: Annotated[FeedbackStatus, Form()], comment: NoteField = "",
    ) -> Response:
        """Mark a reader's feedback addressed or rejected (or open again)."""
        board.set_feedback_status(library.store, feedback_id, status, user.actor,
                                  comment=comment)
        return RedirectResponse("/review#feedback", status_code=303)


def _review_context(library: Library, user: User, article_id: int, version: int | None,
                    audience: Audience) -> dict[str, Any]:
    states = workflow.versions(library.store, article_id)
    state = version_or_latest(states, version)
    if state is None:
        raise ReviewNotFoundError(f"article {article_id} has no version {version} in review")
    content = version_content(library, state)
    article = library.store.get_article(article_id)
    newest = state.version == max(s.version for s in states)
    return {
        "viewer": Viewer(user=user), "article": article, "states": states, "state": state,
        "content": content, "audience": audience, "audience_labels": AUDIENCE_LABELS,
        "sections": reviewed_sections(library, content.answer(audience)),
        "moves": moves(state, user), "may_edit": may_edit(state, user.role, newest=newest),
        "newest": newest, "records": audit.records(library.store, article_id=article_id,
                                                   limit=AUDIT_SHOWN),
        "public_url": article_url(article) if article.approved_version else None,
        "draft_url": draft_url(article) if not article.approved_version else None,
        "error": None, "note": "",
    }


def _review_page(request: Request, library: Library, user: User, article_id: int,
                 version: int | None, audience: Audience, *,
                 error: MedciteError | None = None, note: str = "") -> HTMLResponse:
    context = _review_context(library, user, article_id, version, audience)
    context.update(error=error, note=note)
    return page(request, "review_article.html", context,
                status=error.status if error is not None else 200)


def _article_routes(router: APIRouter) -> None:
    @router.get("/review/articles/{article_id}", response_class=HTMLResponse)
    def review_article(
        request: Request, article_id: int, library: LibraryDep, user: StaffDep,
        version: Annotated[int | None, Query(ge=1)] = None,
        audience: Annotated[str | None, Query(max_length=20)] = None,
    ) -> HTMLResponse:
        """One version: its statements beside their evidence, edits, notes and decisions."""
        return _review_page(request, library, user, article_id, version,
                            audience_of(audience))

    @router.get("/review/articles/{article_id}/history", response_class=HTMLResponse)
    def article_history(
        request: Request, article_id: int, library: LibraryDep, user: StaffDep,
        before: Annotated[str | None, Query(alias="from", pattern=r"^v\d+(\.\d+)?$")] = None,
        after: Annotated[str | None, Query(alias="to", pattern=r"^v\d+(\.\d+)?$")] = None,
        audience: Annotated[str | None, Query(max_length=20)] = None,
    ) -> HTMLResponse:
        """Every version and edit of an article, and a readable diff between two of them."""
        article = library.store.get_article(article_id)
        states = history.content_history(library.store, article_id)
        shown = audience_of(audience)
        old = history.find_state(states, before, max(0, len(states) - 2))
        new = history.find_state(states, after, len(states) - 1)
        return page(request, "history.html", {
            "viewer": Viewer(user=user), "article": article, "states": states,
            "old": old, "new": new, "audience": shown, "audience_labels": AUDIENCE_LABELS,
            "lines": history.diff(old.answer(shown), new.answer(shown)),
            "review_states": {s.version: s for s in workflow.versions(library.store,
                                                                       article_id)},
        })


def _action_routes(router: APIRouter) -> None:
    base = "/review/articles/{article_id}/versions/{version}"

    @router.post(base + "/transition", dependencies=[CsrfChecked])
    async def transition(
        request: Request, article_id: int, version: int, library: LibraryDep, user: StaffDep,
        to: Annotated[ReviewStatus, Form()], comment: NoteField = "",
    ) -> Response:
        """Start review, approve, request changes, reject or resubmit, with a note."""
        return await _act(request, library, user, article_id, version, Audience.CLINICIAN,
                          comment, lambda: board.decide_version(
                              library.store, library.settings, article_id, version, to,
                              user.actor, comment=comment).version)

    @router.post(base + "/edit", dependencies=[CsrfChecked])
    async def edit(
        request: Request, article_id: int, version: int, library: LibraryDep, user: StaffDep,
        kind: Annotated[EditKind, Form()], audience: Annotated[Audience, Form()],
        section: Annotated[int, Form(ge=1)], base_hash: Annotated[str, Form(max_length=64)],
        statement: Annotated[int | None, Form(ge=1)] = None,
        text: Annotated[str | None, Form(max_length=editing.MAX_STATEMENT_CHARS * 2)] = None,
        comment: NoteField = "",
    ) -> Response:
        """Change a statement's text, or remove a statement or a section."""

        def work() -> int:
            try:
                change = ContentEdit(kind=kind, audience=audience, section=section,
                                     statement=statement, text=text, base_hash=base_hash)
            except ValueError as exc:
                raise InvalidEditError(str(exc).splitlines()[-1].strip()) from exc
            return editing.edit_article(library.store, article_id, version, change,
                                        user.actor, comment=comment).version

        return await _act(request, library, user, article_id, version, audience, comment, work)


def _note_routes(router: APIRouter) -> None:
    @router.post("/review/articles/{article_id}/versions/{version}/notes",
                 dependencies=[CsrfChecked])
    async def note(
        request: Request, article_id: int, version: int, library: LibraryDep, user: StaffDep,
        comment: NoteField = "",
    ) -> Response:
        """Add a note to the version's trail without moving it."""

        def work() -> int:
            if not comment.strip():
                raise InputError("write the note first")
            library.store.get_article_version(article_id, version)
            workflow.add_note(library.store, article_id, version, user.actor, comment.strip())
            return version

        return await _act(request, library, user, article_id, version, Audience.CLINICIAN,
                          comment, work)


async def _act(request: Request, library: Library, user: User, article_id: int, version: int,
               audience: Audience, note: str, work: Callable[[], int]) -> Response:
    """Run ``work`` (returns the version to show next); a refusal re-shows the review view."""
    try:
        shown = await run_in_threadpool(work)
    except MedciteError as exc:
        if exc.status == 404 or exc.status >= 500:
            raise
        refused = exc
        return await run_in_threadpool(lambda: _review_page(
            request, library, user, article_id, version, audience, error=refused, note=note))
    return RedirectResponse(review_url(article_id, shown, audience), status_code=303)
