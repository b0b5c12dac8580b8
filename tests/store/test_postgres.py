"""The PostgreSQL backend: chosen by URL, migrated by the same Alembic scripts, searched with
tsvector/GIN and pgvector/HNSW, and never handing user text to a query parser (R-SEC-1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Select, inspect, text
from sqlalchemy.dialects import postgresql

from medcite.errors import ConfigurationError
from medcite.index.pg_vectors import PgVectorIndex, vector_index
from medcite.index.vectors import NumpyVectorIndex
from medcite.ingest.split import split_document
from medcite.settings import Settings
from medcite.store import Store
from medcite.store.engine import database_url
from medcite.store.pg_search import search_statement
from medcite.store.pg_vectors import nearest_statement
from medcite.store.schema import alembic_config
from medcite.types import DocSection, Document, Source, SourceKind


def _doc(source_id: str, title: str, body: str) -> Document:
    return Document(source=Source(id=source_id, kind=SourceKind.RESEARCH, title=title),
                    sections=[DocSection(title="", text=body)])


def test_a_postgresql_url_selects_psycopg_3() -> None:
    assert database_url("postgresql://u:pw@db.example/medcite").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@h/m").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ConfigurationError):
        database_url("postgresql+psycopg2://u@h/m")


def test_each_database_gets_only_its_own_search_objects(store: Store, backend: str) -> None:
    own, other, index = {
        "sqlite": ("passages_fts", "passage_embeddings", NumpyVectorIndex),
        "postgresql": ("passage_embeddings", "passages_fts", PgVectorIndex),
    }[backend]
    tables = inspect(store.engine).get_table_names()
    assert own in tables and other not in tables
    assert isinstance(vector_index(store, "m", 3), index)


@pytest.fixture
def pg_store(pg_url: str, tmp_path: Path) -> Iterator[Store]:
    """An empty store on PostgreSQL."""
    opened = Store.open(Settings(home=tmp_path, database_url=pg_url))
    yield opened
    opened.close()


@pytest.mark.pg
def test_migrations_create_the_search_column_indexes_and_vector_table(pg_store: Store) -> None:
    assert pg_store.engine.dialect.driver == "psycopg"
    found = inspect(pg_store.engine)
    assert "search_vector" in {c["name"] for c in found.get_columns("passages")}
    assert {"ix_passages_search_vector"} <= {i["name"] for i in found.get_indexes("passages")}
    with pg_store.session() as session:
        version = session.scalar(text("SELECT extversion FROM pg_extension "
                                      "WHERE extname = 'vector'"))
        method = session.scalar(text(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.relname = 'ix_passage_embeddings_hnsw_384'"))
        heads = set(session.scalars(text("SELECT version_num FROM alembic_version")))
    script = ScriptDirectory.from_config(alembic_config())  # 0006, or a merge after it
    applied = {r.revision for head in heads for r in script.walk_revisions("base", head)}
    assert version and method == "hnsw" and "0006" in applied
    assert isinstance(vector_index(pg_store, "m", 384), PgVectorIndex)


@pytest.mark.pg
def test_a_changed_source_title_is_searchable_at_once(pg_store: Store) -> None:
    doc = _doc("pmid:1", "Colchicine in gout", "Low doses work as well as high doses.")
    pg_store.write_batch([(doc, split_document(doc))])
    with pg_store.session() as session:
        session.execute(text("UPDATE sources SET title = 'Febuxostat trial' WHERE id = 'pmid:1'"))
    assert pg_store.lexical_search([[("febuxostat",)]], depth=5)[0].source_id == "pmid:1"
    assert pg_store.lexical_search([[("colchicine",)]], depth=5) == []


def _plan(store: Store, statement: Select[str, str, float]) -> str:
    sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    with store.session() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: force the choice
        return "\n".join(session.scalars(text(f"EXPLAIN {sql}")))


@pytest.mark.pg
def test_full_text_and_vector_queries_can_use_their_indexes(pg_store: Store) -> None:
    lexical = search_statement([[("gout",)], [("colchicine",)]], mode="all", depth=10,
                               title_weight=2.0)
    dense = nearest_statement("m", 384, np.zeros(384, np.float32), 10)
    assert "ix_passages_search_vector" in _plan(pg_store, lexical)
    assert "ix_passage_embeddings_hnsw_384" in _plan(pg_store, dense)


@pytest.mark.pg
def test_user_words_reach_postgresql_only_as_bound_parameters() -> None:
    """R-SEC-1: no to_tsquery, and no user text in the SQL itself."""
    words = [[("drop", "table", "articles")], [("near",)], [("x",)]]
    sql = str(search_statement(words, mode="any", depth=5, title_weight=1.0)
              .compile(dialect=postgresql.dialect()))
    assert "to_tsquery(" not in sql.replace("plainto_tsquery(", "").replace("phraseto_tsquery(", "")
    assert "drop" not in sql.lower() and "near" not in sql.lower()


@pytest.mark.pg
def test_vectors_of_other_widths_are_searched_exactly(pg_store: Store) -> None:
    doc = _doc("pmid:1", "T", "One. Two.")
    pg_store.write_batch([(doc, split_document(doc))])
    pg_store.save_vectors("tiny", ["pmid:1#0"], np.array([[0.6, 0.8, 0.0]], np.float32))
    index = PgVectorIndex(pg_store, "tiny", 3)
    [match] = index.search(np.array([1.0, 0.0, 0.0], np.float32), 5)
    assert (match.passage_id, match.score) == ("pmid:1#0", pytest.approx(0.6))
    assert len(index) == 1


@pytest.mark.pg
@pytest.mark.sqlite_only("compares the SQLite starter store with a PostgreSQL one it loads")
def test_the_starter_library_search_agrees_across_backends(
    starter_store: Store, starter_settings: Settings, pg_store: Store
) -> None:
    """Lexical top sources on the starter library mostly agree between FTS5 and tsvector."""
    from medcite.cli import starter_library
    from medcite.index.retrieve import HybridRetriever
    from medcite.ingest.pipeline import ingest_paths

    pg_settings = Settings(home=starter_settings.home, database_url=str(pg_store.engine.url))
    ingest_paths([starter_library()], pg_store, pg_settings)
    questions = ["gout flare colchicine", "asthma inhaler technique", "migraine triptan",
                 "urinary tract infection antibiotics", "warfarin INR monitoring"]
    for question in questions:
        sqlite_top = {h.source_id for h in HybridRetriever(starter_store, starter_settings)
                      .search(question, k=3)}
        pg_top = {h.source_id for h in HybridRetriever(pg_store, pg_settings)
                  .search(question, k=3)}
        assert sqlite_top & pg_top, question


@pytest.mark.pg
def test_an_ingest_run_leaves_the_planner_statistics_of_its_rows(
    pg_store: Store, tmp_path: Path
) -> None:
    from medcite.cli import starter_library
    from medcite.ingest.pipeline import ingest_paths

    ingest_paths([starter_library()], pg_store, Settings(home=tmp_path))
    with pg_store.session() as session:
        analysed = dict(session.execute(text(
            "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname IN ('sources', 'passages')")).all())
        estimate = session.scalar(text(
            "SELECT reltuples FROM pg_class WHERE relname = 'passages'"))
    assert analysed == {"sources": True, "passages": True}
    assert estimate == pg_store.stats().passages


@pytest.mark.pg
def test_an_embed_run_leaves_the_planner_statistics_of_its_vectors(
    pg_store: Store, tmp_path: Path
) -> None:
    # Without them the planner expects a dozen vectors and scans them all instead of using
    # the HNSW index (docs/benchmarks.md, Scale).
    from medcite.index.embed_pipeline import embed_missing
    from medcite.index.embedder import MiniLMEmbedder

    settings = Settings(home=tmp_path)
    docs = [_doc("pmid:1", "Statins", "Statins lower LDL cholesterol."),
            _doc("pmid:2", "Aspirin", "Aspirin after a stroke.")]
    pg_store.write_batch([(doc, split_document(doc)) for doc in docs])
    assert embed_missing(pg_store, settings, embedder=MiniLMEmbedder()) == 2
    with pg_store.session() as session:
        analysed = session.scalar(text(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname = 'passage_embeddings'"))
        estimate = session.scalar(text(
            "SELECT reltuples FROM pg_class WHERE relname = 'passage_embeddings'"))
    assert analysed is True
    assert estimate == 2
