"""The web application: ``create_app(settings)`` builds everything; nothing exists at import.

One app holds one store, one retriever (with the embedding model, loaded at start-up), the
related-question index, the topic catalog, the rate limiter and the CSRF signer, all in
``app.state``. Middleware, outermost first: security headers (and the last-resort 500), then
body and media-type limits; then FastAPI's routing with medcite's error handlers.

Example:
    app = create_app(Settings(home=Path("medcite-data")))
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.responses import Response
from starlette.types import Scope

from medcite import __version__
from medcite.answer.cite import KIND_LABELS
from medcite.errors import AuthError, MedciteError
from medcite.review.publish import STATUS_LABELS, Library
from medcite.settings import Settings
from medcite.symptoms.checker import prepare as prepare_symptoms
from medcite.web import errors
from medcite.web.api import PREFIX, api_router
from medcite.web.auth import AUTHENTICATE
from medcite.web.auth_pages import auth_router, login_url
from medcite.web.fragments import AnswerFragments
from medcite.web.limits import BodyLimits, RateLimiter
from medcite.web.pages import page_router
from medcite.web.review_api import review_api_router
from medcite.web.review_pages import review_router
from medcite.web.security import CsrfTokens, SecurityHeaders
from medcite.web.symptoms import symptoms_router
from medcite.web.templates import STATIC, Renderer
from medcite.web.views import AUDIENCE_LABELS, source_url, topic_url

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """RFC 9457 problem details, with medcite's ``hint`` (what to do next)."""

    type: str = Field(description="Stable URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    hint: str | None = Field(default=None, description="What to do next.")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Invalid fields (422): loc, msg, type."
    )


def _lifespan(library: Library) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.drafting = anyio.CapacityLimiter(1)  # see medcite.web.deps.drafting
        await anyio.to_thread.run_sync(library.warm_up)
        yield
        library.store.close()

    return lifespan


def create_app(settings: Settings, *, library: Library | None = None) -> FastAPI:
    """Build the medcite web app over the store named by ``settings``.

    Args:
        settings: medcite settings (the ``web`` group sets limits).
        library: Already built store/retriever/indexes to serve (tests share one); default:
            opened from ``settings``.
    """
    prepare_symptoms(settings.symptoms)  # a bad knowledge file fails here, not on a user
    library = library if library is not None else Library.open(settings)
    renderer = Renderer({
        "version": __version__, "settings": settings, "status_labels": STATUS_LABELS,
        "audience_labels": AUDIENCE_LABELS, "kind_labels": KIND_LABELS,
        "source_url": source_url, "topic_url": topic_url,
    })
    app = FastAPI(
        title="medcite API",
        version=__version__,
        summary="Evidence-cited medical answers for clinicians and patients.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # the Swagger and ReDoc pages load scripts from CDNs: not offline, not CSP
        redoc_url=None,
        lifespan=_lifespan(library),
    )
    app.state.settings = settings
    app.state.library = library
    app.state.renderer = renderer
    app.state.fragments = AnswerFragments(renderer)
    app.state.limiter = RateLimiter.from_settings(settings.web)
    key = settings.web.secret_key
    app.state.csrf = CsrfTokens(
        key.get_secret_value().encode() if key is not None else secrets.token_bytes(32)
    )
    errors.install(app, renderer)
    _install_auth_handler(app, renderer)
    app.include_router(api_router(settings))
    app.include_router(review_api_router())
    app.include_router(page_router(settings))
    app.include_router(auth_router())
    app.include_router(review_router())
    app.include_router(symptoms_router(settings))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    def refuse(scope: Scope, error: MedciteError) -> Response:
        return errors.medcite_error_response(scope, renderer, error)

    app.add_middleware(BodyLimits, max_bytes=settings.web.max_body_bytes, on_error=refuse)
    app.add_middleware(
        SecurityHeaders, on_error=lambda scope: errors.internal_error_response(scope, renderer)
    )
    return app


def _install_auth_handler(app: FastAPI, renderer: Renderer) -> None:
    """Not signed in: a browser asking for a page is sent to sign in; anything else gets 401
    with ``WWW-Authenticate`` (RFC 9110 15.5.2)."""

    async def on_auth(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthError)
        if request.method in ("GET", "HEAD") and not errors.wants_json(request.scope):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(login_url(target), status_code=303)
        response = errors.medcite_error_response(request.scope, renderer, exc)
        response.headers["WWW-Authenticate"] = AUTHENTICATE
        return response

    app.add_exception_handler(AuthError, on_auth)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the shared Problem schema the error responses refer to."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                             routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema()
        app.openapi_schema = schema
    return app.openapi_schema
