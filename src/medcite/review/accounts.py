"""Accounts and roles, login with throttling, login sessions and API tokens.

Readers are anonymous. Editors submit and edit drafts, reviewers (the medical advisory board,
with the name, credentials and specialty shown on pages they approve) review them, admins
manage accounts. Secrets are random (``secrets``), shown once and stored only as SHA-256
digests; passwords are stored as Argon2id hashes (``medcite.review.passwords``). Failed logins
are counted in the store per account and per client, so throttling survives restarts.
Every account change and login outcome is written to the audit trail.

Example:
    add_user(store, settings, username="ana", password=secret, role=Role.REVIEWER,
             name="Ana Silva", credentials="MD", specialty="Neurology")
    issued = login(store, settings, "ana", secret, client="203.0.113.7")
    user = authenticate_session(store, settings, issued.token)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
import unicodedata
from collections.abc import Callable
from typing import TypeVar

from medcite.errors import (
    AuthError,
    ForbiddenError,
    InputError,
    LoginThrottledError,
    UserExistsError,
    UserNotFoundError,
)
from medcite.review import passwords
from medcite.review.audit import emit, event, log, now_utc, retrying
from medcite.settings import ReviewSettings, Settings
from medcite.store import Store
from medcite.store.accounts import AccountTx
from medcite.store.audit import transaction
from medcite.types import Actor, AuditRecord, IssuedSecret, Role, User

OPERATOR = Actor(id="operator", role=Role.ADMIN)
"""Whoever runs the ``medcite`` CLI on the server: an admin by virtue of shell access."""

MEDCITE = Actor(id="medcite", role=Role.EDITOR)
"""medcite itself, as the author of the drafts it writes for anonymous questions."""

RESERVED = frozenset({"medcite", "operator", "anonymous", "system"})
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
PROFILE_CHARS = 200
SESSION_PREFIX, TOKEN_PREFIX = "mcs_", "mct_"
T = TypeVar("T")


def normalise_username(username: str) -> str:
    """A username as stored: trimmed and lowercased.

    Raises:
        InputError: not 1-64 of a-z, 0-9 and ``. _ @ -`` (starting with a letter or digit).
    """
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InputError(
            "a username is 1-64 characters: letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return name


def _profile_text(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    text = " ".join(value.split())
    if len(text) > PROFILE_CHARS or any(unicodedata.category(c).startswith("C") for c in text):
        raise InputError(f"{field}: at most {PROFILE_CHARS} printable characters")
    return text


def _profile(name: str | None, credentials: str | None, specialty: str | None
             ) -> dict[str, str | None]:
    return {"name": _profile_text(name, "name"),
            "credentials": _profile_text(credentials, "credentials"),
            "specialty": _profile_text(specialty, "specialty")}


def _require_profile(role: Role, profile: dict[str, str | None]) -> None:
    if role is Role.REVIEWER and not (profile["name"] and profile["credentials"]):
        raise InputError(
            "a reviewer needs a name and credentials: they are shown on the pages they approve",
            hint="pass --name and --credentials (and --specialty)",
        )


def require_role(actor: Actor, *roles: Role) -> None:
    """Refuse unless ``actor`` has one of ``roles`` (raises ``ForbiddenError``)."""
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise ForbiddenError(f"this needs the role {allowed}; you are {actor.role.value}")


def _audited(store: Store, work: Callable[[AccountTx], tuple[T, AuditRecord]]) -> T:
    """Run ``work`` in one transaction (retried on a race); emit its audit line after commit."""

    def attempt() -> tuple[T, AuditRecord]:
        with transaction(store, AccountTx) as tx:
            return work(tx)

    result, record = retrying(attempt)
    emit(record)
    return result


# --- account management ------------------------------------------------------------------


def add_user(
    store: Store,
    settings: Settings,
    *,
    username: str,
    password: str,
    role: Role,
    name: str | None = None,
    credentials: str | None = None,
    specialty: str | None = None,
    actor: Actor = OPERATOR,
) -> User:
    """Create an account after checking the password policy; audited as ``user_add``."""
    require_role(actor, Role.ADMIN)
    username = normalise_username(username)
    if username in RESERVED:
        raise UserExistsError(f"{username!r} is a reserved name")
    profile = _profile(name, credentials, specialty)
    _require_profile(role, profile)
    passwords.check_password(password, settings.review, username=username)
    digest = passwords.hash_password(password, settings.review)

    def work(tx: AccountTx) -> tuple[User, AuditRecord]:
        now = now_utc()
        user = tx.add_user(username=username, role=role, password_hash=digest, now=now, **profile)
        return user, tx.audit(event(actor, "user_add", to_state=role.value, now=now,
                                    comment=f"account {username}"))

    return _audited(store, work)


def list_users(store: Store) -> list[User]:
    """Every account, by username."""
    with transaction(store, AccountTx) as tx:
        return tx.users()


def get_user(store: Store, username: str) -> User:
    """The account with this username (raises ``UserNotFoundError``)."""
    with transaction(store, AccountTx) as tx:
        user = tx.user(normalise_username(username))
    if user is None:
        raise UserNotFoundError(f"no user named {username!r}", hint="see `medcite users list`")
    return user


def set_role(
    store: Store,
    username: str,
    role: Role,
    *,
    actor: Actor = OPERATOR,
    name: str | None = None,
    credentials: str | None = None,
    specialty: str | None = None,
) -> User:
    """Change an account's role (and optionally its profile); audited as ``role_change``."""
    require_role(actor, Role.ADMIN)
    username = normalise_username(username)
    given = _profile(name, credentials, specialty)

    def work(tx: AccountTx) -> tuple[User, AuditRecord]:
        before = tx.user(username)
        if before is None:
            raise UserNotFoundError(f"no user named {username!r}", hint="see `medcite users list`")
        profile = {k: v if v is not None else getattr(before, k) for k, v in given.items()}
        _require_profile(role, profile)
        user = tx.update_user(username, role=role, profile=profile)
        return user, tx.audit(event(actor, "role_change", from_state=before.role.value,
                                    to_state=role.value, comment=f"account {username}"))

    return _audited(store, work)


def set_password(
    store: Store, settings: Settings, username: str, password: str, *, actor: Actor = OPERATOR
) -> None:
    """Replace an account's password (policy checked) and end its sessions' use of the old one."""
    username = normalise_username(username)
    if actor.id != username:
        require_role(actor, Role.ADMIN)
    passwords.check_password(password, settings.review, username=username)
    digest = passwords.hash_password(password, settings.review)

    def work(tx: AccountTx) -> tuple[None, AuditRecord]:
        tx.update_user(username, password_hash=digest)
        return None, tx.audit(event(actor, "password_change", comment=f"account {username}"))

    _audited(store, work)


# --- API tokens --------------------------------------------------------------------------


def token_digest(token: str) -> str:
    """SHA-256 (hex) of a session or API token: the only form stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def issue_token(store: Store, username: str, *, actor: Actor = OPERATOR) -> IssuedSecret:
    """A new API token for an account: returned once, stored as a hash; audited."""
    username = normalise_username(username)
    if actor.id != username:
        require_role(actor, Role.ADMIN)
    token = _new_token(TOKEN_PREFIX)

    def work(tx: AccountTx) -> tuple[IssuedSecret, AuditRecord]:
        user = tx.user(username)
        if user is None or not user.active:
            raise UserNotFoundError(f"no active user named {username!r}")
        token_id = tx.add_token(user, token_digest(token), now_utc())
        record = tx.audit(event(actor, "token_issue", comment=f"account {username}, token "
                                f"#{token_id}"))
        return IssuedSecret(token=token, user=user), record

    return _audited(store, work)


def revoke_tokens(store: Store, username: str, *, actor: Actor = OPERATOR) -> int:
    """Revoke every API token of an account; returns how many; audited."""
    username = normalise_username(username)
    if actor.id != username:
        require_role(actor, Role.ADMIN)

    def work(tx: AccountTx) -> tuple[int, AuditRecord]:
        user = tx.user(username)
        if user is None:
            raise UserNotFoundError(f"no user named {username!r}")
        count = tx.revoke_tokens(user, now_utc())
        return count, tx.audit(event(actor, "token_revoke", comment=f"account {username}, "
                                     f"{count} tokens"))

    return _audited(store, work)


def authenticate_token(store: Store, token: str) -> User:
    """The account an API token signs in as (raises ``AuthError``)."""
    if not token.startswith(TOKEN_PREFIX):
        raise AuthError("not a valid API token")
    with transaction(store, AccountTx) as tx:
        user = tx.token_user(token_digest(token))
    if user is None:
        raise AuthError("unknown or revoked API token")
    return user


# --- login, sessions, throttling ---------------------------------------------------------


def login(
    store: Store,
    settings: Settings,
    username: str,
    password: str,
    *,
    client: str,
    now: dt.datetime | None = None,
) -> IssuedSecret:
    """Check a password and open a session; the token is returned once, stored hashed.

    Raises:
        LoginThrottledError: too many recent failures for the account or the client (429).
        AuthError: wrong username or password (the same message for both).
    """
    now = now or now_utc()
    policy = settings.review
    name = username.strip().lower()[:64]  # kept as typed (escaped when shown)
    client = client[:100] or "unknown"
    with transaction(store, AccountTx) as tx:
        throttled = throttle(tx, policy, name, client, now)
        stored = None if throttled else tx.login(name)
    if throttled:
        log(store, event(None, "login_throttled", actor_name=name, now=now,
                         comment=f"client {client}"))
        raise throttled
    digest = stored.password_hash if stored else passwords.dummy_hash(policy)
    if not passwords.verify_password(digest, password, policy) or stored is None:
        _record_failure(store, policy, name, client, now)
        raise AuthError("wrong username or password")
    return _open_session(store, settings, stored.user, password, digest, client, now)


def _record_failure(
    store: Store, policy: ReviewSettings, name: str, client: str, now: dt.datetime
) -> None:
    def work(tx: AccountTx) -> tuple[None, AuditRecord]:
        tx.record_attempt(name, client, success=False, now=now, keep_after=_window_start(
            policy, now))
        return None, tx.audit(event(None, "login_failed", actor_name=name, now=now,
                                    comment=f"client {client}"))

    _audited(store, work)


def _open_session(
    store: Store, settings: Settings, user: User, password: str, digest: str, client: str,
    now: dt.datetime,
) -> IssuedSecret:
    policy = settings.review
    token = _new_token(SESSION_PREFIX)
    expires = now + dt.timedelta(hours=policy.session_hours)
    rehash = (passwords.hash_password(password, policy)
              if passwords.needs_rehash(digest, policy) else None)

    def work(tx: AccountTx) -> tuple[None, AuditRecord]:
        tx.record_attempt(user.username, client, success=True, now=now,
                          keep_after=_window_start(policy, now))
        tx.add_session(user, token_digest(token), now, expires)
        if rehash:
            tx.update_user(user.username, password_hash=rehash)
        return None, tx.audit(event(user.actor, "login", now=now, comment=f"client {client}"))

    _audited(store, work)
    return IssuedSecret(token=token, user=user, expires_at=expires)


def _window_start(policy: ReviewSettings, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=policy.login_window_minutes)


def throttle(
    tx: AccountTx, policy: ReviewSettings, username: str, client: str, now: dt.datetime
) -> LoginThrottledError | None:
    """The throttling error to raise, if the account or the client failed too often lately.

    A fixed-length sliding window: the limit lifts when the oldest counted failure leaves it.
    An account's count restarts after a successful login; a client's does not.
    """
    since = _window_start(policy, now)
    window = dt.timedelta(minutes=policy.login_window_minutes)
    checks = (
        (tx.failures_for_user(username, since), policy.login_max_failures, "this account"),
        (tx.failures_for_client(client, since), policy.login_max_failures_per_client,
         "this address"),
    )
    for failures, limit, what in checks:
        if len(failures) >= limit:
            wait = max(1, math.ceil((failures[-limit] + window - now).total_seconds()))
            return LoginThrottledError(
                f"too many failed logins for {what}; try again in {wait} s", retry_after=wait
            )
    return None


def authenticate_session(store: Store, token: str, *, now: dt.datetime | None = None) -> User:
    """The account a session token signs in as (raises ``AuthError`` if unknown or expired)."""
    if not token.startswith(SESSION_PREFIX):
        raise AuthError("not signed in")
    with transaction(store, AccountTx) as tx:
        found = tx.session_user(token_digest(token), now or now_utc())
    if found is None:
        raise AuthError("your session has expired; please sign in again")
    return found[0]


def logout(store: Store, token: str) -> None:
    """End a session (idempotent); audited when there was one."""
    digest = token_digest(token)
    with transaction(store, AccountTx) as tx:
        found = tx.session_user(digest, now_utc())
        ended = tx.end_session(digest)
    if ended and found:
        log(store, event(found[0].actor, "logout"))
