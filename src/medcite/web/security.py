"""Security headers on every response, a last-resort 500, and CSRF tokens for forms.

Headers (R-SEC-8, ASVS 3.4): a Content-Security-Policy that allows only this site's own
scripts, styles and images and no plugins, base-URI changes or framing; ``nosniff``; a
same-origin referrer policy; HSTS when served over TLS. They are added by an outermost ASGI
middleware so that error responses (404, 405, 413, 429, 500) carry them too.

CSRF (R-SEC-9): a signed double-submit token. The token lives in an HttpOnly, SameSite=Strict
cookie and in a hidden field of every form; a form post is accepted only when both are present,
equal and signed by this server. JSON API posts need ``Content-Type: application/json``, which
a cross-site form cannot send (see ``medcite.web.limits``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medcite.errors import CsrfError

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "img-src 'self'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"
CSRF_FIELD = "csrf_token"


class SecurityHeaders:
    """ASGI middleware: adds the security headers; turns an uncaught exception into a 500."""

    def __init__(self, app: ASGIApp, *, on_error: Callable[[Scope], Response]) -> None:
        """Wrap ``app``; ``on_error`` builds the 500 response for a request scope."""
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, adding headers to whatever response is sent."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if scope.get("scheme") == "https":
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        try:
            await self.app(scope, receive, send_secured)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for an error page; the server closes the connection
                raise
            await self.on_error(scope)(scope, receive, send_secured)


class CsrfTokens:
    """Issues and checks signed double-submit tokens.

    Example:
        tokens = CsrfTokens(secrets.token_bytes(32))
        token = tokens.issue()
        tokens.check(cookie=token, field=token)   # raises CsrfError on a mismatch
    """

    def __init__(self, secret: bytes) -> None:
        """Sign tokens with ``secret`` (at least 16 bytes)."""
        if len(secret) < 16:
            raise ValueError("the CSRF secret must be at least 16 bytes")
        self._secret = secret

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        """A new token: a random nonce and its signature."""
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}"

    def valid(self, token: str | None) -> bool:
        """Whether ``token`` was issued by this server."""
        if not token or token.count(".") != 1:
            return False
        nonce, signature = token.split(".")
        return hmac.compare_digest(signature, self._sign(nonce))

    def check(self, *, cookie: str | None, field: str | None) -> None:
        """Accept a form post only when cookie and field hold the same valid token."""
        if not (cookie and field and hmac.compare_digest(cookie, field) and self.valid(cookie)):
            raise CsrfError(
                "this form has expired or did not come from this site",
                hint="go back, reload the page and send the form again",
            )


def csrf_cookie_name(scope: Scope) -> str:
    """``__Host-`` prefixed over TLS (bound to this host and path /), plain on http."""
    return "__Host-medcite_csrf" if scope.get("scheme") == "https" else "medcite_csrf"
