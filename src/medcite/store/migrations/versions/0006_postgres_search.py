"""PostgreSQL full text (tsvector + GIN) and pgvector embeddings (HNSW); nothing on SQLite

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-24 09:00:00

``passages.search_vector`` holds the source title (weight A) and the passage text (weight B),
stemmed with the ``english`` configuration. A BEFORE trigger fills it on every insert and on
updates of the text or source; a trigger on ``sources`` refreshes it when a title changes.

``passage_embeddings`` holds one vector per passage and model. The column has no fixed width so
any model fits; the HNSW index (cosine) covers the 384-wide vectors of the bundled MiniLM model
through an expression and a partial predicate, as the pgvector README suggests for mixed widths.
Vectors already stored as float32 BLOBs in ``passage_vectors`` are moved over.

This is a branch of its own from 0003 (articles and accounts branch from there too); the store
upgrades to every head.
"""

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED_DIM = 384  # all-MiniLM-L6-v2, the bundled embedding model

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    "ALTER TABLE passages ADD COLUMN search_vector tsvector",
    """CREATE FUNCTION medcite_search_vector(title text, body text) RETURNS tsvector
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
       SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
           || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B') $$""",
    """CREATE FUNCTION medcite_passages_search_vector() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
           NEW.search_vector := medcite_search_vector(
               (SELECT title FROM sources WHERE id = NEW.source_id), NEW.text);
           RETURN NEW;
       END $$""",
    """CREATE TRIGGER passages_search_vector
       BEFORE INSERT OR UPDATE OF text, source_id ON passages
       FOR EACH ROW EXECUTE FUNCTION medcite_passages_search_vector()""",
    """CREATE FUNCTION medcite_sources_title_changed() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
           UPDATE passages SET search_vector = medcite_search_vector(NEW.title, text)
           WHERE source_id = NEW.id;
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER sources_title_search_vector AFTER UPDATE OF title ON sources
       FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
       EXECUTE FUNCTION medcite_sources_title_changed()""",
    """UPDATE passages p SET search_vector = medcite_search_vector(s.title, p.text)
       FROM sources s WHERE s.id = p.source_id""",
    "CREATE INDEX ix_passages_search_vector ON passages USING gin (search_vector)",
    """CREATE TABLE passage_embeddings (
           passage_id varchar(220) NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
           model varchar(100) NOT NULL,
           dim integer NOT NULL,
           embedding vector NOT NULL,
           seq bigint GENERATED ALWAYS AS IDENTITY,
           PRIMARY KEY (passage_id, model))""",
    "CREATE INDEX ix_passage_embeddings_model_seq ON passage_embeddings (model, seq)",
    f"""CREATE INDEX ix_passage_embeddings_hnsw_{INDEXED_DIM} ON passage_embeddings
       USING hnsw ((embedding::vector({INDEXED_DIM})) vector_cosine_ops)
       WHERE dim = {INDEXED_DIM}""",
]

POSTGRES_DOWN = [
    "DROP TABLE IF EXISTS passage_embeddings",
    "DROP INDEX IF EXISTS ix_passages_search_vector",
    "DROP TRIGGER IF EXISTS sources_title_search_vector ON sources",
    "DROP TRIGGER IF EXISTS passages_search_vector ON passages",
    "DROP FUNCTION IF EXISTS medcite_sources_title_changed()",
    "DROP FUNCTION IF EXISTS medcite_passages_search_vector()",
    "ALTER TABLE passages DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS medcite_search_vector(text, text)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in POSTGRES_UP:
        op.execute(statement)
    _move_blob_vectors()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in POSTGRES_DOWN:
        op.execute(statement)


def _move_blob_vectors() -> None:
    """Copy float32 BLOB vectors saved before this revision into ``passage_embeddings``."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT passage_id, model, dim, vector FROM passage_vectors")
    ).all()
    if not rows:
        return
    insert = sa.text(
        "INSERT INTO passage_embeddings (passage_id, model, dim, embedding) "
        "VALUES (:passage_id, :model, :dim, CAST(:embedding AS vector))"
    )
    connection.execute(insert, [
        {"passage_id": r.passage_id, "model": r.model, "dim": r.dim,
         "embedding": "[" + ",".join(map(repr, np.frombuffer(r.vector, "<f4").tolist())) + "]"}
        for r in rows
    ])
    connection.execute(sa.text("DELETE FROM passage_vectors"))
