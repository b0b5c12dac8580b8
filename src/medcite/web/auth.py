"""Who is asking: session cookies for the pages, bearer tokens for the API, roles as dependencies.

- **Pages** sign in with a form (``/login``) that sets a session cookie: ``__Host-medcite_session``
  over https (``Secure``, ``Path=/``, no ``Domain``: bound to this host), and
  ``medcite_session`` over plain http, because the ``__Host-`` prefix requires ``Secure`` and
  browsers refuse such cookies over http (loopback use and the tests). The cookie is
  ``HttpOnly`` and ``SameSite=Lax``: following a link to the review queue keeps you signed in,
  while cross-site posts never carry it; GET never changes anything, and every form post also
  needs its CSRF token (R-SEC-7, R-SEC-9).
- **The API** signs in with ``Authorization: Bearer mct_…`` (``medcite users token``). Cookies
  are ignored under ``/api/``, so no API call rides on a browser's ambient credentials.
- A bearer token works on pages too (scripts reading drafts); a wrong one is 401, never
  silently anonymous. A stale session cookie just means "not signed in".

Example:
    @router.get("/review")
    def queue(user: StaffDep) -> ...: ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Scope

from medcite.errors import AuthError, ForbiddenError, MedciteError
from medcite.review.accounts import authenticate_session, authenticate_token
from medcite.review.publish import Library
from medcite.types import STAFF_ROLES, User, Viewer

API_PREFIX = "/api/"
AUTHENTICATE = 'Bearer realm="medcite"'


def session_cookie_name(scope: Scope) -> str:
    """``__Host-`` prefixed over TLS, plain over http (the prefix needs ``Secure``)."""
    return "__Host-medcite_session" if scope.get("scheme") == "https" else "medcite_session"


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    """Hand the browser its session token (HttpOnly, SameSite=Lax, Secure over https)."""
    response.set_cookie(
        session_cookie_name(request.scope), token, max_age=max_age, path="/", httponly=True,
        samesite="lax", secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    """Tell the browser to forget its session cookie."""
    response.delete_cookie(
        session_cookie_name(request.scope), path="/", httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )


def session_token(request: Request) -> str | None:
    """The session token the browser sent (pages only)."""
    if request.url.path.startswith(API_PREFIX):
        return None
    return request.cookies.get(session_cookie_name(request.scope)) or None


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header; ``AuthError`` for any other scheme."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("use the header Authorization: Bearer <API token>",
                        hint="create a token with `medcite users token USERNAME`")
    return token.strip()


def _signed_in(library: Library, bearer: str | None, session: str | None) -> User | None:
    if bearer is not None:
        return authenticate_token(library.store, bearer)
    if session is not None:
        try:
            return authenticate_session(library.store, session)
        except MedciteError:  # expired or unknown: simply not signed in
            return None
    return None


async def current_user(request: Request) -> User | None:
    """The signed-in account, if any (read once per request)."""
    if hasattr(request.state, "user"):
        found: User | None = request.state.user
        return found
    bearer, session = bearer_token(request), session_token(request)
    user = None
    if bearer is not None or session is not None:
        library: Library = request.app.state.library
        user = await run_in_threadpool(_signed_in, library, bearer, session)
    request.state.user = user
    return user


async def current_viewer(request: Request) -> Viewer:
    """Who is reading (without a draft key: routes that take one add it)."""
    return Viewer(user=await current_user(request))


async def require_staff(request: Request) -> User:
    """The signed-in editor, reviewer or admin; 401 when not signed in, 403 for readers."""
    user = await current_user(request)
    if user is None:
        raise AuthError("sign in to use the review pages", hint="sign in at /login")
    if user.role not in STAFF_ROLES:
        raise ForbiddenError("the review pages are for editors, reviewers and admins")
    return user


UserDep = Annotated[User | None, Depends(current_user)]
ViewerDep = Annotated[Viewer, Depends(current_viewer)]
StaffDep = Annotated[User, Depends(require_staff)]
