"""medcite export / import: a round trip loses nothing; bad or partial imports change nothing."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from medcite.cli import app
from medcite.errors import InputError, MalformedSourceError
from medcite.ingest.pipeline import ingest_paths
from medcite.settings import Settings
from medcite.store import Store
from medcite.store.transfer import exported_tables

DATA = Path(__file__).parent.parent / "data"


def every_row(store: Store, *, vectors: bool = True) -> dict[str, list[Any]]:
    """All rows of every exported table, in primary-key order (vectors as stored, any table)."""
    with store.engine.connect() as connection:
        rows = {
            table.name: [tuple(r) for r in connection.execute(
                select(table).order_by(*(table.primary_key.columns or table.columns)))]
            for table in exported_tables(vectors=vectors)
        }
    if vectors:
        found = store.load_vectors("m", 384)
        rows["passage_vectors"] = list(zip(found.passage_ids, found.matrix.tolist(), strict=True))
    return rows


@pytest.fixture
def filled(store: Store, settings: Settings) -> Store:
    report = ingest_paths([DATA / "pubmed_small.xml"], store, settings)
    assert report.records
    with store.session() as session:
        ids = [r[0] for r in session.execute(text("SELECT id FROM passages ORDER BY id"))]
    store.save_vectors("m", ids, np.eye(len(ids), 384, dtype=np.float32))
    return store


def test_a_round_trip_keeps_every_row_and_the_full_text_index(
    filled: Store, make_settings: Callable[..., Settings], backend: str, tmp_path: Path
) -> None:
    filled.export_to(tmp_path / "export", version="test", vectors=True)
    copy = Store.open(make_settings(tmp_path / "copy"))
    report = copy.import_from(tmp_path / "export")
    assert report.total > 0
    assert every_row(copy) == every_row(filled)
    metformin = [[("metformin",)]]
    assert copy.lexical_count(metformin) == filled.lexical_count(metformin) > 0
    if backend == "sqlite":  # FTS5's own consistency check of the rebuilt index
        with copy.session() as session:
            session.execute(text("INSERT INTO passages_fts(passages_fts, rank) "
                                 "VALUES ('integrity-check', 1)"))
    copy.close()


def test_vectors_stay_out_unless_asked_and_sessions_never_leave(
    filled: Store, tmp_path: Path
) -> None:
    filled.export_to(tmp_path / "export", version="test")
    names = {p.name for p in (tmp_path / "export").iterdir()}
    assert "passage_vectors.jsonl.gz" not in names and "sources.jsonl.gz" in names
    assert "login_sessions.jsonl.gz" not in names


def test_importing_into_a_store_with_data_is_refused(filled: Store, tmp_path: Path) -> None:
    filled.export_to(tmp_path / "export", version="test")
    with pytest.raises(InputError, match="already holds"):
        filled.import_from(tmp_path / "export")


def test_a_changed_or_broken_export_is_refused_and_writes_nothing(
    filled: Store, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    filled.export_to(folder, version="test")
    passages = folder / "passages.jsonl.gz"
    lines = gzip.decompress(passages.read_bytes()).decode().splitlines()
    passages.write_bytes(gzip.compress("\n".join(lines[:-1]).encode()))  # one row lost
    copy = Store.open(make_settings(tmp_path / "copy"))
    with pytest.raises(MalformedSourceError, match="SHA-256"):
        copy.import_from(folder)
    assert copy.stats().sources == 0
    copy.close()


def test_the_cli_exports_and_imports(
    filled: Store, settings: Settings, make_settings: Callable[..., Settings],
    runner: CliRunner, tmp_path: Path,
) -> None:
    out = runner.invoke(app, ["export", str(tmp_path / "x"), "--home", str(settings.home)])
    assert out.exit_code == 0, out.output
    into = make_settings(tmp_path / "new-home")
    env = {"MEDCITE_DATABASE_URL": into.database_url}
    back = runner.invoke(app, ["import", str(tmp_path / "x"), "--home", str(into.home)], env=env)
    assert back.exit_code == 0, back.output
    assert "imported" in back.output
    again = runner.invoke(app, ["import", str(tmp_path / "x"), "--home", str(into.home)], env=env)
    assert again.exit_code != 0 and "already holds" in again.output


@pytest.mark.pg
def test_a_move_to_the_other_backend_and_back_loses_nothing(
    filled: Store, make_settings: Callable[..., Settings], backend: str, tmp_path: Path
) -> None:
    """SQLite -> PostgreSQL -> SQLite, and PostgreSQL -> SQLite -> PostgreSQL."""
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[backend]
    filled.export_to(tmp_path / "out", version="test", vectors=True)
    moved = Store.open(make_settings(tmp_path / "moved", on=other))
    moved.import_from(tmp_path / "out")
    assert moved.stats() == filled.stats()
    assert moved.vector_count("m") == len(every_row(filled)["passage_vectors"]) > 0
    moved.export_to(tmp_path / "back-out", version="test", vectors=True)
    moved.close()
    back = Store.open(make_settings(tmp_path / "back"))
    back.import_from(tmp_path / "back-out")
    assert every_row(back) == every_row(filled)
    back.close()
