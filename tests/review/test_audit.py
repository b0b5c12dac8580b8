"""The audit trail: append-only, hash-chained, tamper-evident, safe against log injection."""

from __future__ import annotations

import logging

import pytest
from review_kit import Team
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from medcite.errors import AuthError
from medcite.review import audit, workflow
from medcite.review.accounts import MEDCITE, login
from medcite.settings import Settings
from medcite.store import Store
from medcite.store.audit import FIELDS, chain_hash
from medcite.types import ReviewStatus, ReviewSubject

FLIP_FIRST_DIGIT = ("CASE WHEN substr(prev_hash, 1, 1) = '0' THEN '1' ELSE '0' END "
                    "|| substr(prev_hash, 2)")
FORGED = "mallory\n#99 2026-01-01T00:00:00Z ana (reviewer) approve article 1 v1"


def _history(store: Store, settings: Settings, team: Team) -> None:
    workflow.submit(store, ReviewSubject(article_id=1, version=1, content_hash="c1"), MEDCITE)
    workflow.transition(store, settings, 1, 1, ReviewStatus.UNDER_REVIEW, team.ana.actor)
    workflow.transition(store, settings, 1, 1, ReviewStatus.APPROVED, team.ana.actor,
                        comment="Checked against the cited passages")


def test_an_intact_chain_verifies(store: Store, review_settings: Settings, team: Team) -> None:
    _history(store, review_settings, team)
    result = audit.verify(store)
    assert result.ok and result.rows == 8  # five accounts, three workflow steps
    assert result.head_hash == audit.records(store, after_seq=7)[0].row_hash


def test_an_empty_trail_verifies(store: Store) -> None:
    result = audit.verify(store)
    assert result.ok and result.rows == 0 and result.head_hash == "0" * 64


def test_R_AUD_3_the_table_refuses_updates_and_deletes(
    store: Store, review_settings: Settings, team: Team
) -> None:
    statements = ["UPDATE audit_log SET comment = 'x' WHERE seq = 1",
                  "DELETE FROM audit_log WHERE seq = 1"]
    if store.engine.dialect.name == "postgresql":  # SQLite has no TRUNCATE
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as db:
            db.execute(text(statement))
    assert audit.verify(store).ok


UNGUARD = {  # the append-only triggers of migration 0005, per database
    "sqlite": ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
    "postgresql": ["ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"],
}


def _tamper(store: Store, *statements: str) -> None:
    """What someone with raw database access could do: drop the guard triggers, then edit."""
    with store.engine.begin() as db:
        for statement in [*UNGUARD[store.engine.dialect.name], *statements]:
            db.execute(text(statement))


@pytest.mark.parametrize(("statement", "bad_row", "reason"), [
    ("UPDATE audit_log SET actor = 'ben' WHERE seq = 8", 8, "does not match its hash"),
    ("UPDATE audit_log SET to_state = 'rejected' WHERE seq = 7", 7, "does not match its hash"),
    ("UPDATE audit_log SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 6", 6, "does not match"),
    ("DELETE FROM audit_log WHERE seq = 6", 7, "missing"),
    (f"UPDATE audit_log SET prev_hash = {FLIP_FIRST_DIGIT} WHERE seq = 3", 3, "does not link"),
], ids=["actor", "status", "time", "deleted-row", "re-linked"])
def test_R_AUD_3_tampering_with_raw_sql_is_found_at_the_first_bad_row(
    store: Store, review_settings: Settings, team: Team, statement: str, bad_row: int,
    reason: str,
) -> None:
    _history(store, review_settings, team)
    _tamper(store, statement)
    result = audit.verify(store)
    assert not result.ok
    assert result.first_bad_seq == bad_row
    assert reason in (result.reason or "")


def test_R_AUD_3_a_row_edited_with_its_own_hash_recomputed_breaks_the_next_link(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _history(store, review_settings, team)
    with store.engine.connect() as db:
        row = db.execute(text("SELECT * FROM audit_log WHERE seq = 7")).mappings().one()
    fields = {name: row[name] for name in FIELDS} | {"to_state": "rejected"}
    forged = chain_hash(row["prev_hash"], fields)
    _tamper(store, f"UPDATE audit_log SET to_state = 'rejected', row_hash = '{forged}' "
                   "WHERE seq = 7")
    result = audit.verify(store)
    assert (result.first_bad_seq, result.reason) == (
        8, "row 8 does not link to row 7 (one of them was altered)")


def test_R_AUD_3_a_username_with_a_newline_cannot_forge_a_log_line(
    store: Store, review_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="medcite.audit"), pytest.raises(AuthError):
        login(store, review_settings, FORGED, "whatever", client="198.51.100.1\r\nX: y")
    record = audit.records(store)[-1]
    assert record.action == "login_failed"
    assert record.actor == FORGED.lower()[:64]  # stored as typed (lowercased, capped)
    line = audit.audit_line(record)
    assert "\n" not in line and "\r" not in line
    assert line.startswith("#1 ") and "mallory\\n#99" in line and "\\r\\nX: y" in line
    messages = [r.getMessage() for r in caplog.records if r.name == "medcite.audit"]
    assert messages == [line]


@pytest.mark.parametrize("sneaky", ["\u2028", "\u2029", "\u0085", "\x1b[2J", "\u202e", "\x00"])
def test_R_AUD_3_other_line_breaking_and_control_characters_are_escaped(sneaky: str) -> None:
    escaped = audit.escape(f"a{sneaky}b")
    assert escaped.isprintable() and sneaky not in escaped


def test_escaping_cannot_itself_be_forged() -> None:
    assert audit.escape('a\\nb "c"') == 'a\\\\nb \\"c\\"'
