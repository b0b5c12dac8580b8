"""Input and rate limits: request bodies (413), API media type (415), per-client buckets (429).

The rate limiter is an in-process token bucket per (route group, client address), created by
``create_app`` and kept in the app's state: one ``medcite serve`` process, one set of buckets.
Costly routes (ask, feedback, the symptom checker) each take a token; an empty bucket answers
429 with ``Retry-After`` (R-SEC-6).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medcite.errors import (
    InputTooLargeError,
    MedciteError,
    RateLimitedError,
    UnsupportedFormatError,
)
from medcite.settings import WebSettings

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_CLIENTS = 10_000  # buckets kept per group before full (idle) ones are dropped


@dataclass(frozen=True, slots=True)
class Rate:
    """Refill rate (tokens per second) and bucket size."""

    per_second: float
    burst: int


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per route group and client address; safe across threads.

    Example:
        limiter = RateLimiter({"ask": Rate(per_second=0.5, burst=10)})
        limiter.take("ask", "203.0.113.7")   # raises RateLimitedError when empty
    """

    def __init__(self, rates: dict[str, Rate], *, enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """Limit the named groups at the given rates; ``enabled=False`` lets all through."""
        self.rates = rates
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[str, _Bucket]] = {group: {} for group in rates}

    @classmethod
    def from_settings(cls, web: WebSettings) -> RateLimiter:
        """The limiter configured by the ``web`` settings group."""
        rates = {
            "ask": Rate(web.ask_per_minute / 60, web.ask_burst),
            "feedback": Rate(web.feedback_per_minute / 60, web.feedback_burst),
            "symptoms": Rate(web.symptoms_per_minute / 60, web.symptoms_burst),
        }
        return cls(rates, enabled=web.rate_limits)

    def take(self, group: str, client: str) -> None:
        """Spend one token of ``client`` in ``group``.

        Raises:
            RateLimitedError: The bucket is empty; ``retry_after`` says when one token is back.
        """
        if not self.enabled:
            return
        rate = self.rates[group]
        with self._lock:
            now = self._clock()
            buckets = self._buckets[group]
            bucket = buckets.get(client)
            if bucket is None:
                self._prune(buckets, rate, now)
                bucket = buckets[client] = _Bucket(float(rate.burst), now)
            refill = (now - bucket.updated) * rate.per_second
            bucket.tokens = min(rate.burst, bucket.tokens + refill)
            bucket.updated = now
            if bucket.tokens < 1:
                wait = math.ceil((1 - bucket.tokens) / rate.per_second)
                raise RateLimitedError(
                    f"too many requests of this kind from your address; try again in {wait} s",
                    retry_after=max(1, wait),
                    hint="slow down, or ask the operator to raise MEDCITE_WEB__* rate limits",
                )
            bucket.tokens -= 1

    def _prune(self, buckets: dict[str, _Bucket], rate: Rate, now: float) -> None:
        """Drop buckets that have refilled (idle clients) once the table is large."""
        if len(buckets) < MAX_CLIENTS:
            return
        for client in [c for c, b in buckets.items()
                       if b.tokens + (now - b.updated) * rate.per_second >= rate.burst]:
            del buckets[client]


class BodyLimits:
    """ASGI middleware: refuse bodies over ``max_bytes`` (413) and non-JSON API writes (415).

    The body is read here, up to the limit, and replayed to the app, so a chunked upload
    cannot get past the limit either.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int,
                 on_error: Callable[[Scope, MedciteError], Response]) -> None:
        """Wrap ``app``; ``on_error`` renders the refusal for the request."""
        self.app = app
        self.max_bytes = max_bytes
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check and buffer the request body, then pass the request on."""
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        refusal = self._check_headers(scope)
        body = b""
        if refusal is None:
            body, refusal = await self._read(receive)
        if refusal is not None:
            await self.on_error(scope, refusal)(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> InputTooLargeError:
        return InputTooLargeError(
            f"the request body is larger than {self.max_bytes:,} bytes",
            hint="send less, or raise MEDCITE_WEB__MAX_BODY_BYTES",
        )

    def _check_headers(self, scope: Scope) -> MedciteError | None:
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            return self._too_large()
        if scope["path"].startswith("/api/") and scope["method"] in _JSON_METHODS:
            kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if kind != b"application/json" and not kind.endswith(b"+json"):
                return UnsupportedFormatError(
                    "the API accepts JSON bodies only",
                    hint="send the header Content-Type: application/json",
                )
        return None

    async def _read(self, receive: Receive) -> tuple[bytes, MedciteError | None]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return b"", self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None
