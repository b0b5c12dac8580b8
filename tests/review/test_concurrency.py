"""R-WF-2 and concurrent decisions: one consistent outcome, and no half state after a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from review_kit import Team, fast_review, race_approvals
from sqlalchemy import event

from live_server import store_env
from medcite.errors import TransitionError
from medcite.review import audit, workflow
from medcite.review.accounts import MEDCITE
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import ReviewState, ReviewStatus, ReviewSubject

S = ReviewStatus
HERE = Path(__file__).parent


def _under_review(store: Store, settings: Settings, team: Team) -> None:
    workflow.submit(store, ReviewSubject(article_id=1, version=1, content_hash="c1"), MEDCITE)
    workflow.transition(store, settings, 1, 1, S.UNDER_REVIEW, team.cai.actor)


def _actions(store: Store) -> list[str]:
    return [r.action for r in audit.records(store, article_id=1)]


def test_two_reviewers_approving_at_once_give_one_approval(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _under_review(store, review_settings, team)
    results = race_approvals(review_settings, [team.ana.actor, team.ben.actor])
    won = [r for r in results if isinstance(r, ReviewState)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and won[0].status is S.APPROVED
    assert len(lost) == 1 and isinstance(lost[0], TransitionError), lost
    final = workflow.review_state(store, 1, 1)
    assert final.status is S.APPROVED and len(final.approvals) == 1
    assert final.approvals[0].reviewer == won[0].approvals[0].reviewer
    assert _actions(store)[-2:] == ["approve", "refused:approve"]
    assert audit.verify(store).ok


def test_with_two_approvals_required_both_concurrent_approvals_count(
    store: Store, review_settings: Settings, team: Team
) -> None:
    two = review_settings.model_copy(update={"review": fast_review(approvals_required=2)})
    _under_review(store, two, team)
    results = race_approvals(two, [team.ana.actor, team.ben.actor])
    assert all(isinstance(r, ReviewState) for r in results), results
    final = workflow.review_state(store, 1, 1)
    assert final.status is S.APPROVED
    assert sorted(a.reviewer for a in final.approvals) == ["ana", "ben"]
    records = audit.records(store, article_id=1)[-2:]
    assert [(r.action, r.to_state) for r in records] == [
        ("approve", "under_review"), ("approve", "approved")]
    assert audit.verify(store).ok


def test_R_WF_2_an_error_inside_the_transaction_leaves_no_half_state(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _under_review(store, review_settings, team)
    before = workflow.review_state(store, 1, 1)

    def fail_audit(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            raise RuntimeError("disk unplugged")

    event.listen(store.engine, "before_cursor_execute", fail_audit)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        workflow.transition(store, review_settings, 1, 1, S.APPROVED, team.ana.actor)
    event.remove(store.engine, "before_cursor_execute", fail_audit)
    assert workflow.review_state(store, 1, 1) == before  # state, revision and approvals
    approved = workflow.transition(store, review_settings, 1, 1, S.APPROVED, team.ana.actor)
    assert approved.status is S.APPROVED and audit.verify(store).ok


def test_R_WF_2_a_process_killed_mid_transition_leaves_a_consistent_store(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _under_review(store, review_settings, team)
    before = workflow.review_state(store, 1, 1)
    rows_before = audit.verify(store).rows
    crashed = subprocess.run(
        [sys.executable, str(HERE / "crash_mid_transition.py"), str(review_settings.home), "ana"],
        capture_output=True, text=True, timeout=120, check=False,
        env=store_env(review_settings),
    )
    assert crashed.returncode == -9, crashed.stderr
    reopened = Store.open(review_settings)
    assert workflow.review_state(reopened, 1, 1) == before
    check = audit.verify(reopened)
    assert check.ok and check.rows == rows_before
    after = workflow.transition(reopened, review_settings, 1, 1, S.APPROVED, team.ana.actor)
    assert after.status is S.APPROVED
    reopened.close()
