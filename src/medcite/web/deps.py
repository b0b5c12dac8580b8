"""Request dependencies: the app's shared parts, rate limits and CSRF checks.

Everything heavy (store, retriever with its model, related-question index, topic catalog) is
built once in ``create_app`` and kept in ``app.state``; routes reach it through these. The
dependencies are ``async`` because they never block: FastAPI would otherwise send each one to
a worker thread and back.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Form, Request

from medcite.review.publish import Library
from medcite.settings import Settings
from medcite.web.limits import RateLimiter
from medcite.web.security import CsrfTokens, csrf_cookie_name
from medcite.web.templates import Renderer


async def get_library(request: Request) -> Library:
    """The app's library (store, retriever, related questions, topics)."""
    library: Library = request.app.state.library
    return library


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_renderer(request: Request) -> Renderer:
    """The app's template renderer."""
    renderer: Renderer = request.app.state.renderer
    return renderer


LibraryDep = Annotated[Library, Depends(get_library)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RendererDep = Annotated[Renderer, Depends(get_renderer)]


def client_address(request: Request) -> str:
    """The client's address (uvicorn applies X-Forwarded-For from trusted proxies only)."""
    return request.client.host if request.client else "unknown"


def rate_limited(group: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency spending one token of the client's ``group`` bucket (429 when empty)."""

    async def take(request: Request) -> None:
        limiter: RateLimiter = request.app.state.limiter
        limiter.take(group, client_address(request))

    return take


def csrf_token(request: Request) -> str:
    """The client's CSRF token: the valid one from its cookie, or a new one to be set."""
    tokens: CsrfTokens = request.app.state.csrf
    current = request.cookies.get(csrf_cookie_name(request.scope))
    if tokens.valid(current) and current is not None:
        return current
    issued: str = getattr(request.state, "csrf_issued", "") or tokens.issue()
    request.state.csrf_issued = issued
    return issued


async def check_csrf(
    request: Request, csrf_token: Annotated[str | None, Form()] = None
) -> None:
    """Refuse a form post whose hidden token does not match the cookie (403)."""
    tokens: CsrfTokens = request.app.state.csrf
    tokens.check(cookie=request.cookies.get(csrf_cookie_name(request.scope)), field=csrf_token)


T = TypeVar("T")


async def drafting(request: Request, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a use case that may draft an article in a worker thread, one at a time per process.

    Drafting is CPU-bound: one at a time loses no throughput, and askers wait in the event
    loop rather than each holding a thread, so page requests always find a free thread.
    """
    limiter: anyio.CapacityLimiter = request.app.state.drafting
    call = functools.partial(func, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, limiter=limiter)


AskLimit = Depends(rate_limited("ask"))
FeedbackLimit = Depends(rate_limited("feedback"))
CsrfChecked = Depends(check_csrf)
