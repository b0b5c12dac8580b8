"""The sign-in and sign-out pages: ``GET/POST /login``, ``POST /logout``.

A failed sign-in shows the form again with one message for a wrong name or password (401);
too many failures for the account or the address answer 429 with ``Retry-After`` (the
throttling of ``medcite.review.accounts``). Both posts need the form's CSRF token, so another
site can neither sign a browser in to an account of its choosing nor sign it out.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from medcite.errors import AuthError, LoginThrottledError
from medcite.review.accounts import login, logout
from medcite.web.auth import (
    AUTHENTICATE,
    clear_session_cookie,
    current_user,
    current_viewer,
    session_token,
    set_session_cookie,
)
from medcite.web.deps import CsrfChecked, LibraryDep, client_address
from medcite.web.pages import page

DEFAULT_NEXT = "/review"
MAX_FIELD = 1024


def safe_next(target: str | None) -> str:
    """A same-site path to go to after signing in (anything else: the review queue)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    if any(ord(c) < 0x21 for c in target):
        return DEFAULT_NEXT
    return target


def login_url(target: str) -> str:
    """The sign-in page that comes back to ``target``."""
    return f"/login?next={quote(target, safe='/')}"


async def _form(request: Request, next_path: str, *, username: str = "",
                error: str | None = None, status: int = 200) -> HTMLResponse:
    viewer = await current_viewer(request)
    return page(request, "login.html", {
        "viewer": viewer, "next": next_path, "username": username, "error": error,
    }, status=status)


def auth_router() -> APIRouter:
    """The sign-in routes."""
    router = APIRouter(include_in_schema=False, dependencies=[Depends(current_user)])
    _login_routes(router)

    @router.post("/logout", dependencies=[CsrfChecked])
    async def sign_out(request: Request, library: LibraryDep) -> Response:
        """End the session (if any) and go home."""
        token = session_token(request)
        if token is not None:
            await run_in_threadpool(logout, library.store, token)
        redirect = RedirectResponse("/", status_code=303)
        clear_session_cookie(redirect, request)
        return redirect

    return router


def _login_routes(router: APIRouter) -> None:
    @router.get("/login", response_class=HTMLResponse)
    async def login_page(
        request: Request, next: Annotated[str | None, Query(max_length=MAX_FIELD)] = None,
    ) -> HTMLResponse:
        """The sign-in form."""
        return await _form(request, safe_next(next))

    @router.post("/login", dependencies=[CsrfChecked])
    async def sign_in(
        request: Request, library: LibraryDep,
        username: Annotated[str, Form(max_length=MAX_FIELD)] = "",
        password: Annotated[str, Form(max_length=MAX_FIELD)] = "",
        next: Annotated[str, Form(max_length=MAX_FIELD)] = DEFAULT_NEXT,
    ) -> Response:
        """Check the password, open a session and go on to ``next``."""
        target = safe_next(next)
        try:
            issued = await run_in_threadpool(
                login, library.store, library.settings, username, password,
                client=client_address(request))
        except LoginThrottledError as exc:
            response = await _form(request, target, username=username, error=exc.message,
                                   status=429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except AuthError as exc:
            response = await _form(request, target, username=username, error=exc.message,
                                   status=401)
            response.headers["WWW-Authenticate"] = AUTHENTICATE
            return response
        redirect = RedirectResponse(target, status_code=303)
        hours = library.settings.review.session_hours
        set_session_cookie(redirect, request, issued.token, int(hours * 3600))
        return redirect
