"""The accounts, workflow and audit code on PostgreSQL: same migrations, same outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from review_kit import Team, fast_review, make_team, race_approvals
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from medcite.errors import TransitionError
from medcite.review import audit, workflow
from medcite.review.accounts import MEDCITE, authenticate_session, login
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import ReviewState, ReviewStatus, ReviewSubject

S = ReviewStatus
pytestmark = pytest.mark.pg


@pytest.fixture
def pg_settings(pg_url: str, tmp_path: Path) -> Settings:
    """Settings of a fresh PostgreSQL database, with fast password hashing."""
    return Settings(home=tmp_path, database_url=pg_url, review=fast_review())


@pytest.fixture
def pg_review(pg_settings: Settings) -> Iterator[tuple[Store, Team]]:
    """A PostgreSQL store with the test team's accounts."""
    store = Store.open(pg_settings)
    yield store, make_team(store)
    store.close()


def test_the_workflow_login_and_audit_work_on_postgresql(
    pg_review: tuple[Store, Team], pg_settings: Settings
) -> None:
    store, team = pg_review
    workflow.submit(store, ReviewSubject(article_id=1, version=1, content_hash="c1"), MEDCITE)
    workflow.transition(store, pg_settings, 1, 1, S.UNDER_REVIEW, team.ana.actor)
    with pytest.raises(TransitionError):
        workflow.transition(store, pg_settings, 1, 1, S.SUBMITTED, team.ana.actor)
    approved = workflow.transition(store, pg_settings, 1, 1, S.APPROVED, team.ana.actor)
    assert workflow.review_state(store, 1, 1) == approved
    session = login(store, pg_settings, "ana", "plum orchard at dusk", client="c")
    assert authenticate_session(store, session.token).username == "ana"
    assert audit.verify(store).ok


def test_the_audit_table_is_append_only_and_verified_on_postgresql(
    pg_review: tuple[Store, Team],
) -> None:
    store, _team = pg_review
    for statement in ("UPDATE audit_log SET comment = 'x'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as db:
            db.execute(text(statement))
    with store.engine.begin() as db:
        db.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        db.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    result = audit.verify(store)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_concurrent_approvals_give_one_approval_on_postgresql(
    pg_review: tuple[Store, Team], pg_settings: Settings
) -> None:
    store, team = pg_review
    workflow.submit(store, ReviewSubject(article_id=1, version=1, content_hash="c1"), MEDCITE)
    workflow.transition(store, pg_settings, 1, 1, S.UNDER_REVIEW, team.cai.actor)
    results = race_approvals(pg_settings, [team.ana.actor, team.ben.actor])
    assert sum(isinstance(r, ReviewState) for r in results) == 1
    assert sum(isinstance(r, TransitionError) for r in results) == 1, results
    assert len(workflow.review_state(store, 1, 1).approvals) == 1
    assert audit.verify(store).ok
