"""One place that turns failures into responses: RFC 9457 problem+json or an HTML error page.

The API (``/api/...``, or a client that asks for JSON) gets ``application/problem+json`` with
``type``, ``title``, ``status``, ``detail`` and medcite's ``hint``; browsers get an error
page. Unexpected exceptions become a generic 500 without any traceback text (R-SEC-12); the
traceback goes to the server log only.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Scope

from medcite.errors import InputError, MedciteError, RateLimitedError
from medcite.web.templates import Renderer

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:medcite:problem:"
_WORDS = re.compile(r"(?<!^)(?=[A-Z])")
_HTTP_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 413: "Content too large",
    415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests",
    500: "Internal server error", 503: "Service unavailable",
}
_HTTP_HINTS = {
    404: "check the address; start again from the home page or /api/v1/openapi.json",
    405: "see the Allow header for the methods this address accepts",
}


def problem_type(error: type[MedciteError] | str) -> str:
    """A stable problem ``type`` URI per error class (or per HTTP status name)."""
    name = error if isinstance(error, str) else error.__name__.removesuffix("Error")
    return PROBLEM_BASE + _WORDS.sub("-", name).lower()


def wants_json(scope: Scope) -> bool:
    """JSON for the API and for clients that ask for it; HTML for browsers."""
    path: str = scope.get("path", "")
    if path.startswith("/api/"):
        return True
    accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
    return "json" in accept and "html" not in accept


def problem_response(
    status: int, title: str, detail: str, *, type_: str, hint: str | None = None,
    headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if hint:
        body["hint"] = hint
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def error_response(
    scope: Scope, renderer: Renderer, status: int, title: str, detail: str, *,
    type_: str, hint: str | None = None, headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A problem document or an error page, whichever the client wants."""
    if wants_json(scope):
        return problem_response(status, title, detail, type_=type_, hint=hint,
                                headers=headers, extra=extra)
    html = renderer.render("error.html", {"status": status, "title": title, "detail": detail,
                                          "hint": hint, "errors": (extra or {}).get("errors")})
    return HTMLResponse(html, status_code=status, headers=headers)


def medcite_error_response(scope: Scope, renderer: Renderer, error: MedciteError) -> Response:
    """The response for one of medcite's own errors."""
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimitedError) \
        else None
    return error_response(scope, renderer, error.status, error.title, error.message,
                          type_=problem_type(type(error)), hint=error.hint, headers=headers)


def internal_error_response(scope: Scope, renderer: Renderer) -> Response:
    """The generic 500: says what happened, never how (no exception text)."""
    return error_response(
        scope, renderer, 500, "Internal server error",
        "Something went wrong on our side while handling this request.",
        type_=problem_type("InternalServer"),
        hint="try again; if it keeps happening, tell the operator of this medcite site",
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """The invalid fields, without echoing the submitted values back."""
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", ""),
         "type": err.get("type", "")}
        for err in exc.errors()
    ]


def install(app: FastAPI, renderer: Renderer) -> None:
    """Register the handlers for medcite errors, HTTP errors and validation errors."""

    async def on_medcite(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, MedciteError)
        if exc.status >= 500:
            log.error("%s on %s %s: %s", type(exc).__name__, request.method,
                      request.url.path, exc)
        return medcite_error_response(request.scope, renderer, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        title = _HTTP_TITLES.get(status, "Error")
        own = isinstance(exc.detail, str) and exc.detail.lower() != title.lower()
        detail = str(exc.detail) if own else {
            404: "Nothing is published at this address.",
            405: f"{request.method} is not allowed at this address.",
        }.get(status, title)
        return error_response(request.scope, renderer, status, title, detail,
                              type_=problem_type(title.title().replace(" ", "")),
                              hint=_HTTP_HINTS.get(status), headers=dict(exc.headers or {}))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        fields = ", ".join(".".join(e["loc"][1:] or e["loc"]) for e in errors) or "the request"
        return error_response(
            request.scope, renderer, 422, "Invalid input", f"invalid value for {fields}",
            type_=problem_type(InputError), hint="see 'errors' and /api/v1/openapi.json",
            extra={"errors": errors},
        )

    app.add_exception_handler(MedciteError, on_medcite)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
