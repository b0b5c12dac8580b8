"""Accounts: roles and profiles, login throttling, sessions and API tokens (R-SEC-10, ASVS 6.3)."""

from __future__ import annotations

import datetime as dt

import pytest
from review_kit import PASSWORD, Team, fast_review
from sqlalchemy import text

from medcite.errors import (
    AuthError,
    ForbiddenError,
    InputError,
    LoginThrottledError,
    UserExistsError,
    WeakPasswordError,
)
from medcite.review import accounts, audit
from medcite.review.accounts import (
    add_user,
    authenticate_session,
    authenticate_token,
    issue_token,
    login,
    logout,
    set_role,
)
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Actor, Role

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def _fail(store: Store, settings: Settings, username: str, client: str, at: dt.datetime) -> None:
    with pytest.raises(AuthError):
        login(store, settings, username, "wrong password!", client=client, now=at)


def _raw(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as db:
        return [tuple(row) for row in db.execute(text(sql))]


def test_accounts_are_listed_with_roles_and_reviewer_profiles(store: Store, team: Team) -> None:
    users = {u.username: u for u in accounts.list_users(store)}
    assert set(users) == {"eve", "ana", "ben", "cai", "root"}
    assert users["ana"].role is Role.REVIEWER
    assert (users["ana"].name, users["ana"].credentials, users["ana"].specialty) == (
        "Ana", "MD", "Neurology")
    assert users["eve"].name is None


def test_a_reviewer_needs_a_name_and_credentials(
    store: Store, review_settings: Settings
) -> None:
    with pytest.raises(InputError, match="name and credentials"):
        add_user(store, review_settings, username="drno", password=PASSWORD, role=Role.REVIEWER)


@pytest.mark.parametrize("bad", ["", "has space", "tab\there", "new\nline", "-dash", "x" * 65,
                                 "ümlaut"])
def test_usernames_are_plain(store: Store, review_settings: Settings, bad: str) -> None:
    with pytest.raises(InputError):
        add_user(store, review_settings, username=bad, password=PASSWORD, role=Role.EDITOR)


def test_usernames_are_unique_case_insensitively_and_reserved_names_are_refused(
    store: Store, review_settings: Settings, team: Team
) -> None:
    with pytest.raises(UserExistsError):
        add_user(store, review_settings, username="EVE", password=PASSWORD, role=Role.EDITOR)
    with pytest.raises(UserExistsError, match="reserved"):
        add_user(store, review_settings, username="medcite", password=PASSWORD,
                 role=Role.EDITOR)


def test_a_common_password_is_refused_when_adding_a_user(
    store: Store, review_settings: Settings
) -> None:
    with pytest.raises(WeakPasswordError):
        add_user(store, review_settings, username="zed", password="password123",
                 role=Role.EDITOR)
    assert accounts.list_users(store) == []


def test_passwords_are_stored_only_as_argon2id_hashes(store: Store, team: Team) -> None:
    stored = _raw(store, "SELECT password_hash FROM users")
    assert all(str(h).startswith("$argon2id$") and PASSWORD not in str(h) for (h,) in stored)


def test_only_admins_manage_accounts(store: Store, review_settings: Settings, team: Team
                                     ) -> None:
    with pytest.raises(ForbiddenError):
        add_user(store, review_settings, username="zed", password=PASSWORD, role=Role.ADMIN,
                 actor=team.ana.actor)
    with pytest.raises(ForbiddenError):
        set_role(store, "eve", Role.ADMIN, actor=team.editor.actor)
    changed = set_role(store, "eve", Role.REVIEWER, actor=team.admin.actor, name="Eve Adams",
                       credentials="PharmD")
    assert changed.role is Role.REVIEWER and changed.name == "Eve Adams"
    last = audit.records(store)[-1]
    assert (last.action, last.actor, last.from_state, last.to_state) == (
        "role_change", "root", "editor", "reviewer")


def test_login_opens_a_session_whose_token_is_hashed_at_rest(
    store: Store, review_settings: Settings, team: Team
) -> None:
    issued = login(store, review_settings, " Ana ", PASSWORD, client="203.0.113.5", now=T0)
    assert issued.user.username == "ana"
    assert issued.expires_at == T0 + dt.timedelta(hours=review_settings.review.session_hours)
    assert authenticate_session(store, issued.token, now=_minutes(1)).username == "ana"
    (stored,) = _raw(store, "SELECT token_hash FROM login_sessions")[0]
    assert stored == accounts.token_digest(issued.token) and issued.token not in str(stored)
    assert audit.records(store)[-1].action == "login"
    logged = " ".join(str(r) for r in audit.records(store))  # R-AUD-2: no secrets in the log
    assert issued.token not in logged and PASSWORD not in logged


def test_a_session_expires(store: Store, review_settings: Settings, team: Team) -> None:
    issued = login(store, review_settings, "ana", PASSWORD, client="c", now=T0)
    hours = review_settings.review.session_hours
    authenticate_session(store, issued.token, now=T0 + dt.timedelta(hours=hours) -
                         dt.timedelta(seconds=1))
    with pytest.raises(AuthError, match="expired"):
        authenticate_session(store, issued.token, now=T0 + dt.timedelta(hours=hours))


def test_logout_ends_the_session(store: Store, review_settings: Settings, team: Team) -> None:
    issued = login(store, review_settings, "ana", PASSWORD, client="c")
    logout(store, issued.token)
    with pytest.raises(AuthError):
        authenticate_session(store, issued.token)
    assert audit.records(store)[-1].action == "logout"


def test_wrong_password_and_unknown_user_give_the_same_answer(
    store: Store, review_settings: Settings, team: Team
) -> None:
    messages = []
    for username in ("ana", "nobody"):
        with pytest.raises(AuthError) as refused:
            login(store, review_settings, username, "not the password", client="c")
        messages.append(str(refused.value))
    assert messages[0] == messages[1] and refused.value.status == 401


def test_throttling_after_n_failures_per_account(
    store: Store, review_settings: Settings, team: Team
) -> None:
    limit = review_settings.review.login_max_failures
    for i in range(limit):
        _fail(store, review_settings, "ana", f"10.0.0.{i}", _minutes(i))
    with pytest.raises(LoginThrottledError) as throttled:  # even with the right password
        login(store, review_settings, "ana", PASSWORD, client="10.0.0.99", now=_minutes(limit))
    window = review_settings.review.login_window_minutes
    assert throttled.value.status == 429
    assert throttled.value.retry_after == int((window - limit) * 60)  # first failure ages out
    assert audit.records(store)[-1].action == "login_throttled"
    later = _minutes(window + 0.5)  # the first failure has left the window
    assert login(store, review_settings, "ana", PASSWORD, client="10.0.0.99", now=later)


def test_throttling_survives_a_restart(
    store: Store, review_settings: Settings, team: Team
) -> None:
    for i in range(review_settings.review.login_max_failures):
        _fail(store, review_settings, "ben", "10.0.0.1", _minutes(i))
    store.close()
    restarted = Store.open(review_settings)
    with pytest.raises(LoginThrottledError):
        login(restarted, review_settings, "ben", PASSWORD, client="10.0.0.2", now=_minutes(6))
    restarted.close()


def test_throttling_per_client_across_accounts(
    store: Store, review_settings: Settings, team: Team
) -> None:
    strict = review_settings.model_copy(
        update={"review": fast_review(login_max_failures_per_client=3)})
    for i, username in enumerate(["ana", "ben", "nobody"]):
        _fail(store, strict, username, "198.51.100.7", _minutes(i))
    with pytest.raises(LoginThrottledError, match="this address"):
        login(store, strict, "cai", PASSWORD, client="198.51.100.7", now=_minutes(3))
    assert login(store, strict, "cai", PASSWORD, client="198.51.100.8", now=_minutes(3))


def test_a_successful_login_resets_the_account_count(
    store: Store, review_settings: Settings, team: Team
) -> None:
    limit = review_settings.review.login_max_failures
    for i in range(limit - 1):
        _fail(store, review_settings, "cai", "c", _minutes(i))
    login(store, review_settings, "cai", PASSWORD, client="c", now=_minutes(limit))
    for i in range(limit - 1):
        _fail(store, review_settings, "cai", "c", _minutes(limit + 1 + i))
    assert login(store, review_settings, "cai", PASSWORD, client="c", now=_minutes(2 * limit))


def test_api_tokens_are_shown_once_and_stored_hashed(
    store: Store, review_settings: Settings, team: Team
) -> None:
    issued = issue_token(store, "ana")
    assert issued.token.startswith("mct_") and len(issued.token) > 40
    assert authenticate_token(store, issued.token).username == "ana"
    stored = _raw(store, "SELECT token_hash FROM api_tokens")
    assert stored == [(accounts.token_digest(issued.token),)]
    assert issued.token not in str(_raw(store, "SELECT * FROM api_tokens"))
    assert issued.token not in " ".join(audit.audit_line(r) for r in audit.records(store))
    with pytest.raises(AuthError):
        authenticate_token(store, issued.token[:-2] + "xx")


def test_revoked_tokens_and_other_peoples_tokens(
    store: Store, review_settings: Settings, team: Team
) -> None:
    issued = issue_token(store, "ana", actor=team.ana.actor)  # one's own token: allowed
    with pytest.raises(ForbiddenError):
        issue_token(store, "ana", actor=team.ben.actor)
    assert accounts.revoke_tokens(store, "ana") == 1
    with pytest.raises(AuthError, match="revoked"):
        authenticate_token(store, issued.token)


def test_a_changed_password_replaces_the_old_one(
    store: Store, review_settings: Settings, team: Team
) -> None:
    accounts.set_password(store, review_settings, "eve", "a fresh long passphrase",
                          actor=Actor(id="eve", role=Role.EDITOR))
    with pytest.raises(AuthError):
        login(store, review_settings, "eve", PASSWORD, client="c")
    assert login(store, review_settings, "eve", "a fresh long passphrase", client="c")
