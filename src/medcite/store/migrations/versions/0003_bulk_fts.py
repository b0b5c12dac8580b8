"""bulk loading of the full-text index (SQLite)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:30:00

Indexing each inserted passage from its own trigger costs a correlated title lookup and an
FTS5 insert per row. A bulk writer instead sets the one-row ``fts_pause`` flag, inserts its
passages, indexes them with one ``INSERT ... SELECT`` and clears the flag, all in the same
transaction, so the index never misses a committed passage. Deletes and updates keep their
triggers unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INSERT_TRIGGER = """CREATE TRIGGER passages_fts_ai AFTER INSERT ON passages {when} BEGIN
   INSERT INTO passages_fts(rowid, title, text)
   VALUES (new.rowid, (SELECT title FROM sources WHERE id = new.source_id), new.text); END"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE fts_pause (id INTEGER PRIMARY KEY CHECK (id = 1))")
    op.execute("DROP TRIGGER passages_fts_ai")
    op.execute(_INSERT_TRIGGER.format(when="WHEN NOT EXISTS (SELECT 1 FROM fts_pause)"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER passages_fts_ai")
    op.execute(_INSERT_TRIGGER.format(when=""))
    op.execute("DROP TABLE fts_pause")
