"""Persistence of accounts, review states and the audit trail (migration 0005)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from medcite.errors import ConcurrentUpdateError, UserExistsError
from medcite.store import Store
from medcite.store.accounts import AccountTx
from medcite.store.audit import AuditTx, transaction
from medcite.store.review import ReviewTx
from medcite.store.tables import Base
from medcite.types import AuditEvent, ReviewState, ReviewStatus, Role

MINE = {"users", "api_tokens", "login_sessions", "login_attempts", "audit_log",
        "review_states", "review_approvals"}
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _state() -> ReviewState:
    return ReviewState(article_id=4, version=1, status=ReviewStatus.SUBMITTED, authors=["eve"],
                       content_hash="c", revision=1, submitted_at=T0, updated_at=T0)


def _mine(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in MINE


def test_the_migration_creates_the_tables_the_orm_describes(store: Store) -> None:
    assert MINE <= set(inspect(store.engine).get_table_names())
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": _mine})
        assert compare_metadata(context, Base.metadata) == []


def test_a_state_saved_over_a_stale_revision_is_refused(store: Store) -> None:
    with transaction(store, ReviewTx) as tx:
        tx.create(_state())
    first = _state().model_copy(update={"status": ReviewStatus.UNDER_REVIEW, "revision": 2})
    with transaction(store, ReviewTx) as tx:
        tx.save(_state(), first)
    stale = _state().model_copy(update={"status": ReviewStatus.UNDER_REVIEW, "revision": 2})
    with pytest.raises(ConcurrentUpdateError), transaction(store, ReviewTx) as tx:
        tx.save(_state(), stale)
    with transaction(store, ReviewTx) as tx:
        assert tx.state(4, 1) == first


def test_a_duplicate_username_is_a_conflict(store: Store) -> None:
    for _ in range(2):
        with transaction(store, AccountTx) as tx:
            if tx.user("ana") is not None:
                with pytest.raises(UserExistsError):
                    tx.add_user(username="ana", role=Role.EDITOR, password_hash="h", now=T0)
            else:
                tx.add_user(username="ana", role=Role.EDITOR, password_hash="h", now=T0)


def test_failures_count_inside_the_window_and_after_the_last_success(store: Store) -> None:
    keep = T0 - dt.timedelta(days=1)
    with transaction(store, AccountTx) as tx:
        for minute, ok in ((0, False), (1, True), (2, False), (3, False)):
            tx.record_attempt("ana", "c1", success=ok, now=T0 + dt.timedelta(minutes=minute),
                              keep_after=keep)
    with transaction(store, AccountTx) as tx:
        assert len(tx.failures_for_user("ana", T0 - dt.timedelta(minutes=5))) == 2
        assert len(tx.failures_for_client("c1", T0 - dt.timedelta(minutes=5))) == 3
        assert len(tx.failures_for_client("c1", T0 + dt.timedelta(minutes=2, seconds=30))) == 1


def test_old_login_attempts_are_pruned(store: Store) -> None:
    with transaction(store, AccountTx) as tx:
        tx.record_attempt("ana", "c", success=False, now=T0, keep_after=T0)
        tx.record_attempt("ana", "c", success=False, now=T0 + dt.timedelta(hours=2),
                          keep_after=T0 + dt.timedelta(hours=1))
    with transaction(store, AccountTx) as tx:
        assert len(tx.failures_for_client("c", T0 - dt.timedelta(days=1))) == 1


def test_audit_rows_chain_in_order_and_round_trip(store: Store) -> None:
    events = [AuditEvent(at=T0 + dt.timedelta(seconds=i), actor="ana", role="reviewer",
                         action="edit", article_id=1, version=1, comment=f"note {i}\nline 2")
              for i in range(3)]
    with transaction(store, AuditTx) as tx:
        written = [tx.audit(e) for e in events]
    assert [r.seq for r in written] == [1, 2, 3]
    assert written[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in written[1:]] == [r.row_hash for r in written[:-1]]
    with transaction(store, AuditTx) as tx:
        assert tx.records(article_id=1) == written
