"""Keeping SQLite's full-text index (``passages_fts``, migrations 0002–0003) in step.

Triggers index single inserts, updates and deletes. Bulk writers wrap their passage inserts in
``bulk_indexing`` so the new rows are indexed by one statement; ``rebuild_fts`` rebuilds all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


def rebuild_fts(session: Session) -> None:
    """Rebuild the full-text index from passages and sources (after a VACUUM, say)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')"))


_INDEX_AFTER = text(
    """INSERT INTO passages_fts(rowid, title, text)
       SELECT p.rowid, s.title, p.text FROM passages p JOIN sources s ON s.id = p.source_id
       WHERE p.rowid > :after"""
)


@contextmanager
def bulk_indexing(connection: Connection) -> Iterator[None]:
    """Index the passages inserted inside the block with one statement instead of a trigger
    per row (SQLite; migration 0003). Use inside a transaction: on error nothing is kept."""
    if connection.dialect.name != "sqlite":
        yield
        return
    # Rowids of a table without AUTOINCREMENT grow from the current maximum.
    after = connection.execute(text("SELECT coalesce(max(rowid), 0) FROM passages")).scalar_one()
    connection.execute(text("INSERT INTO fts_pause(id) VALUES (1)"))
    yield
    connection.execute(_INDEX_AFTER, {"after": after})
    connection.execute(text("DELETE FROM fts_pause"))


def count_matches(session: Session, expr: str) -> int:
    """How many passages match an FTS5 expression (cheap: no ranking); 0 off SQLite."""
    if session.get_bind().dialect.name != "sqlite":
        return 0
    found = session.execute(
        text("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH :expr"), {"expr": expr}
    ).scalar_one()
    return int(found)
