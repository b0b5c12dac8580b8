"""Accounts, API tokens, login sessions and login attempts: their persistence.

Secrets never reach this module in the clear: passwords arrive as Argon2id hashes, tokens as
SHA-256 digests. The rules (policy, throttling, expiry) live in ``medcite.review.accounts``.

Example:
    with transaction(store, AccountTx) as tx:
        user = tx.add_user(username="ana", role=Role.REVIEWER, password_hash=digest, now=now)
        tx.audit(event)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError

from medcite.errors import UserExistsError, UserNotFoundError
from medcite.store.audit import AuditTx
from medcite.store.tables import ApiTokenRow, LoginAttemptRow, SessionRow, UserRow
from medcite.types import Role, User


@dataclass(frozen=True, slots=True)
class StoredLogin:
    """An account with its password hash, for checking a login (never leaves the review layer)."""

    user: User
    password_hash: str


def utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def to_user(row: UserRow) -> User:
    """An account row as a ``User``."""
    return User(
        id=row.id, username=row.username, role=Role(row.role), name=row.name,
        credentials=row.credentials, specialty=row.specialty, active=row.active,
        created_at=utc(row.created_at),
    )


class AccountTx(AuditTx):
    """Account reads and writes inside one transaction, with the audit trail beside them."""

    # --- users ---------------------------------------------------------------------------

    def add_user(
        self,
        *,
        username: str,
        role: Role,
        password_hash: str,
        now: dt.datetime,
        name: str | None = None,
        credentials: str | None = None,
        specialty: str | None = None,
    ) -> User:
        """Create an account; raises ``UserExistsError`` when the username is taken."""
        if self._row(username) is not None:
            raise UserExistsError(f"a user named {username!r} already exists")
        row = UserRow(
            username=username, role=role.value, password_hash=password_hash, name=name,
            credentials=credentials, specialty=specialty, active=True, created_at=now,
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise UserExistsError(f"a user named {username!r} already exists") from exc
        return to_user(row)

    def user(self, username: str) -> User | None:
        """The account with this username, if any."""
        row = self._row(username)
        return None if row is None else to_user(row)

    def login(self, username: str) -> StoredLogin | None:
        """An active account with its password hash, if any."""
        row = self._row(username)
        if row is None or not row.active:
            return None
        return StoredLogin(to_user(row), row.password_hash)

    def users(self) -> list[User]:
        """Every account, by username."""
        rows = self.session.scalars(select(UserRow).order_by(UserRow.username))
        return [to_user(row) for row in rows]

    def update_user(
        self,
        username: str,
        *,
        role: Role | None = None,
        password_hash: str | None = None,
        profile: dict[str, str | None] | None = None,
    ) -> User:
        """Change an account's role, password hash or profile fields (name, credentials...)."""
        row = self._row(username)
        if row is None:
            raise UserNotFoundError(f"no user named {username!r}", hint="see `medcite users list`")
        if role is not None:
            row.role = role.value
        if password_hash is not None:
            row.password_hash = password_hash
        for field, value in (profile or {}).items():
            if field not in ("name", "credentials", "specialty"):
                raise ValueError(f"not a profile field: {field}")
            setattr(row, field, value)
        self.session.flush()
        return to_user(row)

    def _row(self, username: str) -> UserRow | None:
        return self.session.scalars(select(UserRow).where(UserRow.username == username)).first()

    # --- API tokens and sessions -------------------------------------------------------------

    def add_token(self, user: User, token_hash: str, now: dt.datetime) -> int:
        """Store a new API token's hash; returns the token's id."""
        row = ApiTokenRow(user_id=user.id, token_hash=token_hash, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row.id

    def token_user(self, token_hash: str) -> User | None:
        """The active account an unrevoked API token belongs to."""
        row = self.session.scalars(
            select(UserRow).join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id).where(
                ApiTokenRow.token_hash == token_hash,
                ApiTokenRow.revoked_at.is_(None),
                UserRow.active.is_(True),
            )
        ).first()
        return None if row is None else to_user(row)

    def revoke_tokens(self, user: User, now: dt.datetime) -> int:
        """Revoke every live API token of an account; returns how many."""
        rows = self.session.scalars(
            select(ApiTokenRow).where(
                ApiTokenRow.user_id == user.id, ApiTokenRow.revoked_at.is_(None)
            )
        ).all()
        for row in rows:
            row.revoked_at = now
        return len(rows)

    def add_session(
        self, user: User, token_hash: str, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        """Store a new login session's hash, and forget sessions that have expired."""
        self.session.execute(delete(SessionRow).where(SessionRow.expires_at <= now))
        self.session.add(SessionRow(
            user_id=user.id, token_hash=token_hash, created_at=now, expires_at=expires_at
        ))

    def session_user(self, token_hash: str, now: dt.datetime) -> tuple[User, dt.datetime] | None:
        """The active account of an unexpired session, with the session's expiry."""
        found = self.session.execute(
            select(UserRow, SessionRow.expires_at)
            .join(SessionRow, SessionRow.user_id == UserRow.id)
            .where(SessionRow.token_hash == token_hash, UserRow.active.is_(True))
        ).first()
        if found is None or utc(found.expires_at) <= now:
            return None
        return to_user(found.UserRow), utc(found.expires_at)

    def end_session(self, token_hash: str) -> bool:
        """Delete a session (logout); True when there was one."""
        result = self.session.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash))
        return bool(getattr(result, "rowcount", 0))

    # --- login attempts ----------------------------------------------------------------------

    def record_attempt(
        self,
        username: str,
        client: str,
        *,
        success: bool,
        now: dt.datetime,
        keep_after: dt.datetime,
    ) -> None:
        """Record a login attempt and drop attempts older than ``keep_after``."""
        self.session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < keep_after))
        self.session.add(
            LoginAttemptRow(at=now, username=username, client=client, success=success)
        )

    def failures_for_user(self, username: str, since: dt.datetime) -> list[dt.datetime]:
        """Times of failed logins to ``username`` after ``since`` and after its last success."""
        last_ok = self.session.scalar(
            select(func.max(LoginAttemptRow.at)).where(
                LoginAttemptRow.username == username, LoginAttemptRow.success.is_(True)
            )
        )
        start = max(since, utc(last_ok)) if last_ok is not None else since
        return self._failure_times(LoginAttemptRow.username == username, start)

    def failures_for_client(self, client: str, since: dt.datetime) -> list[dt.datetime]:
        """Times of failed logins from ``client`` after ``since``."""
        return self._failure_times(LoginAttemptRow.client == client, since)

    def _failure_times(
        self, condition: ColumnElement[bool], since: dt.datetime
    ) -> list[dt.datetime]:
        times = self.session.scalars(
            select(LoginAttemptRow.at)
            .where(condition, LoginAttemptRow.success.is_(False), LoginAttemptRow.at > since)
            .order_by(LoginAttemptRow.at)
        )
        return [utc(t) for t in times]
