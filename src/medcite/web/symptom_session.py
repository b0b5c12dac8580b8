"""A symptom-checker session kept in the page, as a signed, short-lived token.

The web interview stores nothing on the server (R-SC-7): each step's page carries the session
so far (age, sex, duration, findings as ids, questions asked, the question on screen) in one
hidden field, signed with HMAC-SHA256 so it cannot be altered, and refused after
``TOKEN_SECONDS``. It holds finding ids, never the words the user typed. The token travels in
POST bodies only, so it never reaches an access log (R-AUD-2).

Example:
    tokens = SessionTokens(secrets.token_bytes(32))
    token = tokens.issue(SymptomSession(age=30, pending="f:fever"))
    tokens.read(token).answered(True).findings   # -> [("f:fever", True)]
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medcite.errors import InputError
from medcite.types import Finding, Sex, SymptomQuery

TOKEN_SECONDS = 3600.0  # a session left for an hour starts again
_PURPOSE = b"medcite symptom-checker session"


def _expired() -> InputError:
    return InputError("this symptom check has expired or its page was changed",
                      hint="start again: nothing you entered was kept")


class SymptomSession(BaseModel):
    """What the interview knows so far; no free text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age: float | None = Field(default=None, ge=0, le=130, description="Age in years.")
    sex: Sex = Field(default=Sex.UNKNOWN, description="Sex as told.")
    duration_days: float | None = Field(default=None, ge=0, le=36_500, description="Duration.")
    findings: list[tuple[str, bool]] = Field(
        default_factory=list, description="(finding id, present) as read or answered."
    )
    asked: list[str] = Field(default_factory=list, description="Finding ids asked about.")
    pending: str | None = Field(default=None, description="The question on screen.")
    issued: float = Field(default=0.0, description="When the token was issued (Unix time).")

    def query(self, text: str = "") -> SymptomQuery:
        """The use case's query for this session (``text`` on the first step only)."""
        return SymptomQuery(
            text=text, age=self.age, sex=self.sex, duration_days=self.duration_days,
            findings=[Finding(id=i, label=i, present=p) for i, p in self.findings],
            asked=self.asked,
        )

    def answered(self, present: bool | None) -> SymptomSession:
        """The session after the reply to the pending question (None: "not sure")."""
        if self.pending is None:
            return self
        findings = [f for f in self.findings if f[0] != self.pending]
        if present is not None:
            findings.append((self.pending, present))
        asked = [*self.asked, self.pending] if self.pending not in self.asked else self.asked
        return self.model_copy(update={"findings": findings, "asked": asked, "pending": None})


class SessionTokens:
    """Signs sessions into tokens and reads them back.

    Example:
        tokens = SessionTokens.for_key(None)          # a random key per start
        session = tokens.read(tokens.issue(SymptomSession()))
    """

    def __init__(self, secret: bytes, *, max_age: float = TOKEN_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        """Sign with a key derived from ``secret`` (at least 16 bytes)."""
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
        self.max_age = max_age
        self._clock = clock

    @classmethod
    def for_key(cls, secret: bytes | None) -> SessionTokens:
        """Tokens signed with the site's secret key, or a random key when none is set."""
        return cls(secret if secret is not None else secrets.token_bytes(32))

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def issue(self, session: SymptomSession) -> str:
        """A token holding ``session``, stamped now."""
        stamped = session.model_copy(update={"issued": self._clock()})
        payload = base64.urlsafe_b64encode(stamped.model_dump_json().encode()).rstrip(b"=")
        return f"{payload.decode()}.{self._sign(payload)}"

    def read(self, token: str) -> SymptomSession:
        """The session in a token this server issued within ``max_age``.

        Raises:
            InputError: The token is missing, altered or expired.
        """
        payload, _, signature = token.strip().partition(".")
        expected = self._sign(payload.encode()).encode()
        if not payload or not hmac.compare_digest(signature.encode(), expected):
            raise _expired()
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            session = SymptomSession.model_validate_json(raw)
        except (binascii.Error, ValueError, ValidationError) as exc:
            raise _expired() from exc
        if not 0 <= self._clock() - session.issued <= self.max_age:
            raise _expired()
        return session
