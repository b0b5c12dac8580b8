"""full-text index over passages (SQLite FTS5) and passage vectors

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00

On SQLite, ``passages_fts`` is an FTS5 external-content table whose content is the view
``passages_fts_content`` (passage text plus its source's title). Triggers keep it in sync with
``passages`` and ``sources``; a source deleted with ``ON DELETE CASCADE`` is handled by a
trigger on ``sources`` because its passages' triggers can no longer read the title.
PostgreSQL gets a ``tsvector`` column in a later migration; nothing is created there yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TITLE = "(SELECT title FROM sources WHERE id = {}.source_id)"

SQLITE_UP = [
    """CREATE VIEW passages_fts_content AS
       SELECT p.rowid AS rowid, s.title AS title, p.text AS text
       FROM passages p JOIN sources s ON s.id = p.source_id""",
    # porter over unicode61: English stemming, Unicode case folding and diacritics removal.
    """CREATE VIRTUAL TABLE passages_fts USING fts5(
       title, text, content='passages_fts_content', content_rowid='rowid',
       tokenize='porter unicode61')""",
    f"""CREATE TRIGGER passages_fts_ai AFTER INSERT ON passages BEGIN
       INSERT INTO passages_fts(rowid, title, text)
       VALUES (new.rowid, {_TITLE.format('new')}, new.text); END""",
    # Only while the source still exists: a cascaded delete is handled by sources_fts_bd.
    f"""CREATE TRIGGER passages_fts_ad AFTER DELETE ON passages
       WHEN EXISTS (SELECT 1 FROM sources WHERE id = old.source_id) BEGIN
       INSERT INTO passages_fts(passages_fts, rowid, title, text)
       VALUES ('delete', old.rowid, {_TITLE.format('old')}, old.text); END""",
    f"""CREATE TRIGGER passages_fts_au AFTER UPDATE OF text, source_id ON passages BEGIN
       INSERT INTO passages_fts(passages_fts, rowid, title, text)
       VALUES ('delete', old.rowid, {_TITLE.format('old')}, old.text);
       INSERT INTO passages_fts(rowid, title, text)
       VALUES (new.rowid, {_TITLE.format('new')}, new.text); END""",
    """CREATE TRIGGER sources_fts_bd BEFORE DELETE ON sources BEGIN
       INSERT INTO passages_fts(passages_fts, rowid, title, text)
       SELECT 'delete', p.rowid, old.title, p.text FROM passages p WHERE p.source_id = old.id;
       END""",
    """CREATE TRIGGER sources_fts_au AFTER UPDATE OF title ON sources BEGIN
       INSERT INTO passages_fts(passages_fts, rowid, title, text)
       SELECT 'delete', p.rowid, old.title, p.text FROM passages p WHERE p.source_id = old.id;
       INSERT INTO passages_fts(rowid, title, text)
       SELECT p.rowid, new.title, p.text FROM passages p WHERE p.source_id = new.id; END""",
    "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS sources_fts_au",
    "DROP TRIGGER IF EXISTS sources_fts_bd",
    "DROP TRIGGER IF EXISTS passages_fts_au",
    "DROP TRIGGER IF EXISTS passages_fts_ad",
    "DROP TRIGGER IF EXISTS passages_fts_ai",
    "DROP TABLE IF EXISTS passages_fts",
    "DROP VIEW IF EXISTS passages_fts_content",
]


def upgrade() -> None:
    op.create_table(
        "passage_vectors",
        sa.Column("passage_id", sa.String(length=220), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["passage_id"], ["passages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("passage_id", "model"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_table("passage_vectors")
