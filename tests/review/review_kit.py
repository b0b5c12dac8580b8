"""Helpers shared by the accounts, workflow and audit tests."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from medcite.review import passwords, workflow
from medcite.review.accounts import OPERATOR
from medcite.review.audit import event as audit_event
from medcite.review.audit import now_utc
from medcite.settings import ReviewSettings, Settings
from medcite.store import Store
from medcite.store.accounts import AccountTx
from medcite.store.audit import transaction
from medcite.types import Actor, ReviewState, ReviewStatus, Role, User

PASSWORD = "plum orchard at dusk"


def fast_review(**changes: object) -> ReviewSettings:
    """Review settings with Argon2id at OWASP's minimum cost (19 MiB, t=2): fast, still real."""
    return ReviewSettings(**{"password_time_cost": 2, "password_memory_kib": 19_456, **changes})


@dataclass(frozen=True)
class Team:
    """An editor, three reviewers of the board and an admin."""

    editor: User
    ana: User
    ben: User
    cai: User
    admin: User


@functools.cache
def _password_hash() -> str:
    return passwords.hash_password(PASSWORD, fast_review())


def make_team(store: Store) -> Team:
    """Accounts for the workflow tests, all with the password ``PASSWORD``.

    Written as ``add_user`` writes them (account row plus ``user_add`` audit row), but with
    one Argon2id hash computed once per test session: hashing dominated the setup time.
    """

    def add(tx: AccountTx, username: str, role: Role) -> User:
        profile = {"name": username.title(), "credentials": "MD", "specialty": "Neurology"}
        user = tx.add_user(username=username, role=role, password_hash=_password_hash(),
                           now=now_utc(), **(profile if role is Role.REVIEWER else {}))
        tx.audit(audit_event(OPERATOR, "user_add", to_state=role.value,
                             comment=f"account {username}"))
        return user

    with transaction(store, AccountTx) as tx:
        return Team(
            editor=add(tx, "eve", Role.EDITOR), ana=add(tx, "ana", Role.REVIEWER),
            ben=add(tx, "ben", Role.REVIEWER), cai=add(tx, "cai", Role.REVIEWER),
            admin=add(tx, "root", Role.ADMIN),
        )


def race_approvals(settings: Settings, actors: list[Actor]) -> list[ReviewState | Exception]:
    """Each actor approves article 1 v1 from its own thread and its own engine (connection).

    The threads are held until all have got this far, so the race really happens. On SQLite
    they are held just before the state UPDATE, having read the same revision: one UPDATE
    must miss and its thread decide again. On PostgreSQL they are held before the locking
    read (``SELECT ... FOR UPDATE``): one waits for the other's commit, then reads its state.
    """
    gate = threading.Barrier(len(actors), timeout=30)
    results: list[ReviewState | Exception] = [TimeoutError()] * len(actors)

    def run(index: int, actor: Actor) -> None:
        store = Store.open(settings, migrate=False)
        held = threading.local()
        locking = store.engine.dialect.name == "postgresql"

        def _is_gate(statement: str) -> bool:
            sql = " ".join(statement.upper().split())
            if locking:
                return sql.startswith("SELECT") and "REVIEW_STATES" in sql and "FOR UPDATE" in sql
            return sql.startswith("UPDATE REVIEW_STATES")

        def hold(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            if _is_gate(statement) and not getattr(held, "done", False):
                held.done = True
                gate.wait()

        event.listen(store.engine, "before_cursor_execute", hold)
        try:
            results[index] = workflow.transition(
                store, settings, 1, 1, ReviewStatus.APPROVED, actor
            )
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = exc
        finally:
            store.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
