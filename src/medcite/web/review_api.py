"""The review API, ``/api/v1/review``: the board's queue and actions for automation.

Sign in with ``Authorization: Bearer mct_…`` (``medcite users token``); the routes need an
editor, reviewer or admin (401 without a token, 403 for a reader). A refused move is 409 (R-WF-1)
or 403 (wrong role, self-approval: R-WF-3), an edit that would break the citation invariants
422, an edit of changed content 409; all as RFC 9457 problem documents.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from medcite.errors import AuthError, InputError, InvalidEditError, ReviewNotFoundError
from medcite.review import audit, board, editing, history, workflow
from medcite.types import (
    AuditRecord,
    ContentEdit,
    Feedback,
    ReviewQueue,
    ReviewState,
    User,
)
from medcite.web.auth import StaffDep, UserDep, require_staff
from medcite.web.deps import LibraryDep
from medcite.web.review_schemas import (
    DiffOut,
    EditIn,
    FeedbackStatusIn,
    HistoryOut,
    NoteIn,
    ReviewArticleOut,
    TransitionIn,
)
from medcite.web.review_views import STATUS_FILTERS, WAITING, audience_of, version_or_latest

PREFIX = "/api/v1/review"
_LABEL = r"^v\d+(\.\d+)?$"


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"description": "Problem details (RFC 9457)", "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for status in statuses
    }


def review_api_router() -> APIRouter:
    """The /api/v1/review routes, and /api/v1/me."""
    router = APIRouter(prefix="/api/v1", tags=["review"])

    @router.get("/me", responses=_problems(401))
    def me(user: UserDep) -> User:
        """The account the bearer token signs in as."""
        if user is None:
            raise AuthError("send an API token: Authorization: Bearer mct_…")
        return user

    staff = APIRouter(prefix="/review", dependencies=[Depends(require_staff)],
                      responses=_problems(401, 403))
    _reading(staff)
    _history(staff)
    _actions(staff)
    router.include_router(staff)
    return router


def _reading(router: APIRouter) -> None:
    @router.get("/queue", responses=_problems(400, 422))
    def queue(
        library: LibraryDep,
        status: Annotated[str, Query(pattern="^[a-z_]+$", max_length=20)] = WAITING,
        topic: Annotated[str | None, Query(pattern="^[a-z0-9-]+$", max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> ReviewQueue:
        """Versions waiting (or in ``status``), public articles to review again, feedback."""
        statuses = STATUS_FILTERS.get(status)
        if statuses is None:
            raise InputError(f"unknown status {status!r}",
                             hint="use one of: " + ", ".join(STATUS_FILTERS))
        return board.review_queue(library.store, library.settings, statuses=statuses,
                                  topic=topic, limit=limit, offset=offset)

    @router.get("/articles/{article_id}", responses=_problems(404, 422))
    def article(
        article_id: int, library: LibraryDep,
        version: Annotated[int | None, Query(ge=1)] = None,
    ) -> ReviewArticleOut:
        """An article's review states and one version's content (default: the newest)."""
        found = library.store.get_article(article_id)
        states = workflow.versions(library.store, article_id)
        state = version_or_latest(states, version)
        if state is None:
            raise ReviewNotFoundError(f"article {article_id} has no such version in review")
        content = library.store.get_article_version(article_id, state.version)
        return ReviewArticleOut(article=found, states=states, version=content)


def _history(router: APIRouter) -> None:
    @router.get("/articles/{article_id}/history", responses=_problems(404, 422))
    def article_history(article_id: int, library: LibraryDep) -> HistoryOut:
        """Every content state of the article (versions and edits) and its audit rows."""
        states = history.content_history(library.store, article_id)
        return HistoryOut(article_id=article_id, revisions=[s.revision for s in states],
                          audit=audit.records(library.store, article_id=article_id,
                                              limit=10_000))

    @router.get("/articles/{article_id}/diff", responses=_problems(404, 422))
    def article_diff(
        article_id: int, library: LibraryDep,
        before: Annotated[str | None, Query(alias="from", pattern=_LABEL)] = None,
        after: Annotated[str | None, Query(alias="to", pattern=_LABEL)] = None,
        audience: Annotated[str | None, Query(pattern="^(clinician|patient)$")] = None,
    ) -> DiffOut:
        """What changed between two content states (default: the last two) of a rendering."""
        states = history.content_history(library.store, article_id)
        old = history.find_state(states, before, max(0, len(states) - 2))
        new = history.find_state(states, after, len(states) - 1)
        shown = audience_of(audience)
        return DiffOut(article_id=article_id, audience=shown, old=old.revision.label,
                       new=new.revision.label,
                       lines=history.diff(old.answer(shown), new.answer(shown)))


def _actions(router: APIRouter) -> None:
    base = "/articles/{article_id}/versions/{version}"

    @router.post(base + "/transition", responses=_problems(404, 409, 413, 415, 422))
    async def transition(article_id: int, version: int, body: TransitionIn,
                         library: LibraryDep, user: StaffDep) -> ReviewState:
        """Move a version: start review, approve, request changes, reject or resubmit."""
        return await run_in_threadpool(
            board.decide_version, library.store, library.settings, article_id, version,
            body.to, user.actor, comment=body.comment)

    @router.post(base + "/edit", responses=_problems(404, 409, 413, 415, 422))
    async def edit(article_id: int, version: int, body: EditIn, library: LibraryDep,
                   user: StaffDep) -> ReviewState:
        """Edit a statement's text or remove a statement or section (citations kept)."""
        try:
            change = ContentEdit(**body.model_dump(exclude={"comment"}))
        except ValueError as exc:
            raise InvalidEditError(str(exc).splitlines()[-1].strip()) from exc
        return await run_in_threadpool(editing.edit_article, library.store, article_id,
                                       version, change, user.actor, comment=body.comment)

    @router.post(base + "/notes", status_code=201,
                 responses=_problems(404, 413, 415, 422))
    def note(article_id: int, version: int, body: NoteIn, library: LibraryDep,
             user: StaffDep) -> AuditRecord:
        """Add a note to a version's trail without moving it."""
        library.store.get_article_version(article_id, version)
        return workflow.add_note(library.store, article_id, version, user.actor, body.comment)

    @router.post("/feedback/{feedback_id}", responses=_problems(413, 415, 422))
    def triage(feedback_id: int, body: FeedbackStatusIn, library: LibraryDep,
               user: StaffDep) -> Feedback:
        """Set a reader feedback item's status: open, addressed or rejected (R-ED-2)."""
        return board.set_feedback_status(library.store, feedback_id, body.status, user.actor,
                                         comment=body.comment)
