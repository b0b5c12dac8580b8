"""Export a store to a folder of JSON-lines files and import it into an empty store.

The export holds every row of every table medcite keeps (sources, passages, articles and their
versions, review states and approvals, the audit chain, feedback, users and API tokens, ingest
runs and checkpoints), so a SQLite install moves to PostgreSQL and back with nothing lost.
Derived indexes are left out and rebuilt on import (full-text by the database itself); passage
vectors are derived too but costly to recompute, so ``vectors=True`` includes them. Login
sessions and login attempts are short-lived security state and are never exported.

Layout of the folder::

    manifest.json            format, medcite version, schema revisions, rows and SHA-256 per file
    <table>.jsonl.gz         one JSON object per row; dates ISO 8601, bytes base64

Import checks the manifest and every file's digest first, refuses a store that already holds
data, and writes all tables in one transaction: it lands whole or not at all.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, LargeBinary, Table, func, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.types import Date, DateTime, TypeEngine

from medcite.errors import InputError, MalformedSourceError
from medcite.store import vectors
from medcite.store.fts import bulk_indexing
from medcite.store.tables import Base

FORMAT = "medcite-export/1"
NEVER_EXPORTED = frozenset({"login_sessions", "login_attempts"})
DERIVED = frozenset({"passage_vectors"})
_BATCH = 2000


@dataclass(frozen=True)
class TransferReport:
    """Rows moved per table."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        """All rows moved."""
        return sum(self.rows.values())


def exported_tables(*, vectors: bool) -> list[Table]:
    """The tables an export holds, parents before children."""
    skip = NEVER_EXPORTED | (set() if vectors else DERIVED)
    return [t for t in Base.metadata.sorted_tables if t.name not in skip]


def export_store(connection: Connection, folder: Path, *, version: str, vectors: bool = False,
                 on_table: Callable[[str, int], None] | None = None) -> TransferReport:
    """Write every exported table of the store to ``folder`` (created; must be empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise InputError(f"{folder} is not empty", hint="export into a new or empty folder")
    files: dict[str, dict[str, Any]] = {}
    for table in exported_tables(vectors=vectors):
        path = folder / f"{table.name}.jsonl.gz"
        count = 0
        with gzip.open(path, "wt", encoding="utf-8") as out:
            for row in _table_rows(connection, table):
                out.write(json.dumps(_encode(row), ensure_ascii=False) + "\n")
                count += 1
        files[table.name] = {"rows": count, "sha256": _digest(path)}
        if on_table:
            on_table(table.name, count)
    manifest = {"format": FORMAT, "medcite": version, "revisions": _revisions(connection),
                "created": dt.datetime.now(dt.UTC).isoformat(), "tables": files}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return TransferReport({name: info["rows"] for name, info in files.items()})


def import_store(connection: Connection, folder: Path,
                 on_table: Callable[[str, int], None] | None = None) -> TransferReport:
    """Load an export into this (migrated, empty) store in the caller's transaction."""
    manifest = read_manifest(folder)
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    unknown = sorted(set(manifest["tables"]) - set(tables))
    if unknown:
        raise MalformedSourceError(f"the export holds unknown tables {unknown}",
                                   path=str(folder), hint="import with the medcite that made it")
    for name in manifest["tables"]:
        if connection.execute(select(func.count()).select_from(tables[name])).scalar_one():
            raise InputError(f"the store already holds {name}",
                             hint="import into a new store: a fresh MEDCITE_HOME or database")
    rows: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name not in manifest["tables"]:
            continue
        path = folder / f"{table.name}.jsonl.gz"
        if table.name == "passage_vectors":
            rows[table.name] = _load_vectors(connection, table, path)
            continue
        # Passages are indexed for full-text search in one statement, not one trigger per row.
        with bulk_indexing(connection) if table.name == "passages" else nullcontext():
            rows[table.name] = _load_table(connection, table, path)
        if on_table:
            on_table(table.name, rows[table.name])
    return TransferReport(rows)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The export's manifest, after checking its format and every file's digest."""
    path = folder / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise MalformedSourceError(f"cannot read the export manifest ({exc})",
                                   path=str(path)) from None
    if manifest.get("format") != FORMAT:
        raise MalformedSourceError(f"not a {FORMAT} export", path=str(path))
    for name, info in manifest["tables"].items():
        data = folder / f"{name}.jsonl.gz"
        if not data.is_file() or _digest(data) != info["sha256"]:
            raise MalformedSourceError("missing or changed since export (SHA-256 differs)",
                                       path=str(data))
    return manifest


def _load_table(connection: Connection, table: Table, path: Path) -> int:
    count = 0
    batch: list[dict[str, Any]] = []
    for row in _rows(path):
        batch.append(_decode(table, row))
        if len(batch) >= _BATCH:
            connection.execute(insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        connection.execute(insert(table), batch)
        count += len(batch)
    return count


def _table_rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    if table.name == "passage_vectors" and connection.dialect.name == "postgresql":
        from medcite.store import pg_vectors  # vectors live in pgvector's table there

        found = pg_vectors.EMBEDDINGS
        query = select(found.c.passage_id, found.c.model, found.c.dim, found.c.embedding)
        for vector in connection.execute(query.order_by(found.c.passage_id, found.c.model)):
            yield {"passage_id": vector.passage_id, "model": vector.model, "dim": vector.dim,
                   "vector": np.asarray(vector.embedding, dtype="<f4").tobytes()}
        return
    ordering = list(table.primary_key.columns) or list(table.columns)
    for row in connection.execute(select(table).order_by(*ordering)).mappings():
        yield dict(row)


def _load_vectors(connection: Connection, table: Table, path: Path) -> int:
    """Vectors go through the store's own writer: a BLOB table or pgvector's."""
    by_model: dict[str, tuple[list[str], list[bytes]]] = {}
    for row in _rows(path):
        item = _decode(table, row)
        ids, blobs = by_model.setdefault(item["model"], ([], []))
        ids.append(item["passage_id"])
        blobs.append(item["vector"])
    session = Session(bind=connection)
    for model, (ids, blobs) in by_model.items():
        for start in range(0, len(ids), _BATCH):
            chunk = blobs[start:start + _BATCH]
            matrix = np.frombuffer(b"".join(chunk), dtype="<f4").reshape(len(chunk), -1)
            vectors.save(session, model, ids[start:start + _BATCH], matrix)
    session.flush()
    return sum(len(ids) for ids, _ in by_model.values())


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise MalformedSourceError(f"bad JSON ({exc})", path=str(path),
                                           line=number) from None


def _encode(row: dict[str, Any]) -> dict[str, Any]:
    for name, value in row.items():
        if isinstance(value, bytes | bytearray | memoryview):
            row[name] = base64.b64encode(bytes(value)).decode("ascii")
        elif isinstance(value, dt.datetime | dt.date):
            row[name] = value.isoformat()
    return row


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        if value is not None:
            value = _DECODERS.get(_kind(column.type), _same)(value)
        out[column.name] = value
    return out


def _kind(type_: TypeEngine[Any]) -> str:
    if isinstance(type_, LargeBinary):
        return "bytes"
    if isinstance(type_, DateTime):
        return "datetime"
    if isinstance(type_, Date):
        return "date"
    return "other"


def _same(value: Any) -> Any:
    return value


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "bytes": lambda v: base64.b64decode(v),
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
}


def _revisions(connection: Connection) -> list[str]:
    found = connection.execute(text("SELECT version_num FROM alembic_version"))
    return sorted(str(r[0]) for r in found)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
