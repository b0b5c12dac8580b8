"""The store: all-or-nothing batches, clear not-found errors, every passage indexed; on SQLite,
WAL and foreign keys on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from medcite.errors import SourceNotFoundError, StoreError
from medcite.ingest.pipeline import ingest_paths
from medcite.ingest.split import split_document
from medcite.settings import Settings
from medcite.store import Checkpoint, Store
from medcite.types import DocSection, Document, Passage, Source, SourceKind
from pg_server import PgServer

SMALL = Path(__file__).parent.parent / "data" / "pubmed_small.xml"


def _doc(source_id: str, text_: str = "Some text.") -> tuple[Document, list[Passage]]:
    doc = Document(source=Source(id=source_id, kind=SourceKind.RESEARCH, title="T"),
                   sections=[DocSection(title="", text=text_)])
    return doc, split_document(doc)


@pytest.mark.sqlite_only("reads the PRAGMAs of the SQLite file")
def test_sqlite_store_uses_wal_and_enforces_foreign_keys(store: Store) -> None:
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_failing_batch_writes_nothing(store: Store) -> None:
    good = _doc("pmid:1")
    doc, passages = _doc("pmid:2")
    orphan = passages[0].model_copy(update={"source_id": "pmid:missing", "id": "pmid:missing#0"})
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        store.write_batch([good, (doc, [orphan])],
                          checkpoint=Checkpoint("/x", "f", 2, completed=True))
    assert store.stats().sources == 0
    assert store.checkpoint("/x") is None


def test_missing_source_raises_a_not_found_error_with_a_hint(store: Store) -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        store.get_source("pmid:0")
    assert caught.value.status == 404 and caught.value.hint


def test_stats_count_sources_by_kind_passages_and_retractions(
    store: Store, settings: Settings
) -> None:
    ingest_paths([SMALL], store, settings)
    stats = store.stats()
    assert stats.sources == 5 and stats.by_kind == {"research": 5}
    assert stats.retracted == 2
    assert stats.passages == sum(len(store.passages_of(s.id)) for s in store.list_sources())


def test_list_sources_pages_and_filters(store: Store, settings: Settings) -> None:
    ingest_paths([SMALL], store, settings)
    first, second = store.list_sources(limit=2), store.list_sources(limit=2, offset=2)
    assert len(first) == 2 and not {s.id for s in first} & {s.id for s in second}
    assert store.list_sources(kind="guideline") == []


@pytest.mark.sqlite_only("writes a broken .db file; PostgreSQL: the test below")
def test_a_file_that_is_not_a_database_gives_a_store_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "medcite.db").write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError):
        Store.open(Settings(home=home))


@pytest.mark.pg
def test_a_postgresql_database_that_is_not_there_gives_a_store_error(
    pg_server: PgServer, tmp_path: Path
) -> None:
    with pytest.raises(StoreError):
        Store.open(Settings(home=tmp_path, database_url=pg_server.url("medcite_absent")))


def _bulk_write_then_insert_one_by_hand(store: Store) -> None:
    store.write_batch([_doc(f"pmid:{n}", f"Colchicine dose {n}.") for n in range(1, 51)])
    store.write_batch([_doc("pmid:7", "Allopurinol replaces the old text.")])
    with store.session() as session:
        session.execute(text("INSERT INTO passages(id, source_id, ordinal, section, text, "
                             "char_start, char_end, content_hash) VALUES ('pmid:1#9', "
                             "'pmid:1', 9, '', 'Febuxostat by trigger.', 0, 22, 'h')"))


def test_bulk_batches_and_single_rows_are_all_searchable(store: Store) -> None:
    _bulk_write_then_insert_one_by_hand(store)
    words = [[("febuxostat",)], [("colchicine",)], [("allopurinol",)]]
    assert store.lexical_count(words) == 49 + 1 + 1


@pytest.mark.sqlite_only("checks FTS5's own integrity and the fts_pause switch (migration 0003)")
def test_bulk_batches_are_fully_indexed_and_leave_indexing_unpaused(store: Store) -> None:
    _bulk_write_then_insert_one_by_hand(store)
    with store.session() as session:
        session.execute(text("INSERT INTO passages_fts(passages_fts, rank) "
                             "VALUES ('integrity-check', 1)"))  # raises on any mismatch
        assert session.execute(text("SELECT count(*) FROM fts_pause")).scalar() == 0
        matches = session.execute(
            text("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH :q"),
            {"q": '"febuxostat" OR "colchicine" OR "allopurinol"'}).scalar()
    assert matches == 49 + 1 + 1
