"""Sources and passages: rows <-> types, batched writes, reads. Used through ``Store``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from medcite.store.fts import bulk_indexing
from medcite.store.tables import PassageRow, SourceRow
from medcite.types import Audience, Document, Passage, Source, SourceKind, StoreStats

# SQLite allows 32,766 bound parameters per statement; stay far below it.
_ID_CHUNK = 900


@dataclass(frozen=True, slots=True)
class WriteCounts:
    """What a batch write changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    passages: int = 0


def id_chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    """``items`` in slices small enough for one ``IN (...)`` clause."""
    for start in range(0, len(items), _ID_CHUNK):
        yield items[start : start + _ID_CHUNK]


def stored_versions(session: Session, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Map each stored id among ``ids`` to its (version, content_hash)."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in id_chunks(ids):
        rows = session.execute(
            select(SourceRow.id, SourceRow.version, SourceRow.content_hash).where(
                SourceRow.id.in_(chunk)
            )
        )
        found.update({row.id: (row.version, row.content_hash) for row in rows})
    return found


def write_documents(
    session: Session, items: Sequence[tuple[Document, list[Passage]]]
) -> WriteCounts:
    """Insert new sources, replace changed or newer ones, leave unchanged ones alone.

    A record whose version is lower than the stored one is ignored (an older file re-read).
    """
    latest = _latest_per_id(items)
    stored = stored_versions(session, list(latest))
    now = dt.datetime.now(dt.UTC)
    added, replaced, unchanged = [], [], 0
    for source_id, (doc, passages, digest) in latest.items():
        old = stored.get(source_id)
        if old is None:
            added.append((doc, passages, digest))
        elif old[1] == digest or old[0] > doc.source.version:
            unchanged += 1
        else:
            replaced.append((doc, passages, digest))
    delete_sources(session, [doc.source.id for doc, _, _ in replaced])
    todo = added + replaced
    if todo:
        # Core inserts (executemany) rather than ORM bulk inserts: several times faster here.
        connection = session.connection()
        source_rows = [_source_row(d, h, now) for d, _, h in todo]
        connection.execute(insert(SourceRow.__table__), source_rows)  # type: ignore[arg-type]
        rows = [_passage_row(p) for _, ps, _ in todo for p in ps]
        if rows:
            with bulk_indexing(connection):
                connection.execute(insert(PassageRow.__table__), rows)  # type: ignore[arg-type]
    return WriteCounts(
        added=len(added),
        updated=len(replaced),
        unchanged=unchanged,
        passages=sum(len(ps) for _, ps, _ in todo),
    )


def _latest_per_id(
    items: Sequence[tuple[Document, list[Passage]]],
) -> dict[str, tuple[Document, list[Passage], str]]:
    # Within one batch the later record of an id wins unless its version is lower.
    latest: dict[str, tuple[Document, list[Passage], str]] = {}
    for doc, passages in items:
        prior = latest.get(doc.source.id)
        if prior is None or prior[0].source.version <= doc.source.version:
            latest[doc.source.id] = (doc, passages, doc.content_hash)
    return latest


def delete_sources(session: Session, ids: Sequence[str]) -> int:
    """Delete sources and their passages; returns how many sources existed."""
    removed = 0
    for chunk in id_chunks(list(ids)):
        session.execute(delete(PassageRow).where(PassageRow.source_id.in_(chunk)))
        result = session.execute(delete(SourceRow).where(SourceRow.id.in_(chunk)))
        removed += result.rowcount or 0  # type: ignore[attr-defined]
    return removed


def _source_row(doc: Document, digest: str, now: dt.datetime) -> dict[str, Any]:
    data = doc.source.model_dump()
    data["kind"] = doc.source.kind.value
    data["audience"] = doc.source.audience.value if doc.source.audience else None
    data.update(content_hash=digest, origin=doc.origin, ingested_at=now)
    return data


def _passage_row(passage: Passage) -> dict[str, Any]:
    data = passage.model_dump()
    data["content_hash"] = passage.content_hash
    return data


def to_source(row: SourceRow) -> Source:
    """Convert a row to the ``Source`` type."""
    return Source(
        id=row.id,
        kind=SourceKind(row.kind),
        study_type=row.study_type,
        title=row.title,
        authors=row.authors,
        journal=row.journal,
        publisher=row.publisher,
        year=row.year,
        published=row.published,
        pmid=row.pmid,
        doi=row.doi,
        url=row.url,
        publication_types=row.publication_types,
        mesh_terms=row.mesh_terms,
        retracted=row.retracted,
        concern=row.concern,
        audience=Audience(row.audience) if row.audience else None,
        topics=row.topics,
        starter=row.starter,
        based_on=row.based_on,
        version=row.version,
    )


def to_passage(row: PassageRow) -> Passage:
    """Convert a row to the ``Passage`` type."""
    return Passage(
        id=row.id,
        source_id=row.source_id,
        ordinal=row.ordinal,
        section=row.section,
        category=row.category,
        text=row.text,
        char_start=row.char_start,
        char_end=row.char_end,
    )


def get_source(session: Session, source_id: str) -> Source | None:
    """The source with this id, if stored."""
    row = session.get(SourceRow, source_id)
    return to_source(row) if row is not None else None


def list_sources(
    session: Session, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> list[Source]:
    """Sources ordered by id, optionally of one kind."""
    query = select(SourceRow).order_by(SourceRow.id).limit(limit).offset(offset)
    if kind is not None:
        query = query.where(SourceRow.kind == kind)
    return [to_source(row) for row in session.scalars(query)]


def passages_of(session: Session, source_id: str) -> list[Passage]:
    """A source's passages in reading order."""
    return passages_of_sources(session, [source_id])[source_id]


def passages_of_sources(session: Session, ids: Sequence[str]) -> dict[str, list[Passage]]:
    """The passages of each source among ``ids``, in reading order, in one query per chunk.

    Every id asked for is a key; a source that is not stored (or has no passages) maps to [].
    """
    found: dict[str, list[Passage]] = {source_id: [] for source_id in ids}
    for chunk in id_chunks(sorted(found)):
        query = (select(PassageRow).where(PassageRow.source_id.in_(chunk))
                 .order_by(PassageRow.source_id, PassageRow.ordinal))
        for row in session.scalars(query):
            found[row.source_id].append(to_passage(row))
    return found


def stats(session: Session) -> StoreStats:
    """Counts of sources (all and per kind), retracted sources and passages."""
    by_kind: dict[str, int] = {
        kind: count
        for kind, count in session.execute(
            select(SourceRow.kind, func.count()).group_by(SourceRow.kind).order_by(SourceRow.kind)
        )
    }
    return StoreStats(
        sources=sum(by_kind.values()),
        passages=session.scalar(select(func.count()).select_from(PassageRow)) or 0,
        by_kind=by_kind,
        retracted=session.scalar(
            select(func.count()).select_from(SourceRow).where(SourceRow.retracted)
        )
        or 0,
    )
