"""Full-text search over passages (SQLite FTS5) and the filters shared by every retriever.

Callers pass an FTS5 MATCH expression they built from their own tokens (see
``medcite.index.lexical``); nothing here interpolates user text into SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from medcite.errors import ConfigurationError
from medcite.store.sources import id_chunks, to_passage, to_source
from medcite.store.tables import PassageRow, SourceRow
from medcite.types import Passage, SearchFilters, Source

Row = TypeVar("Row", SourceRow, PassageRow)
T = TypeVar("T")

_FTS_QUERY = text(
    """
    WITH matched AS (
        SELECT rowid, rank FROM passages_fts
        WHERE passages_fts MATCH :expr AND rank MATCH :ranking
        ORDER BY rank LIMIT :depth
    )
    SELECT p.id AS passage_id, p.source_id AS source_id, -matched.rank AS score
    FROM matched JOIN passages p ON p.rowid = matched.rowid
    ORDER BY matched.rank, p.id
    """
)


@dataclass(frozen=True, slots=True)
class LexicalRow:
    """One full-text match: a passage, its source and its BM25 score (higher is better)."""

    passage_id: str
    source_id: str
    score: float


def fts_search(
    session: Session, expr: str, *, depth: int, title_weight: float
) -> list[LexicalRow]:
    """Passages matching an FTS5 expression, best BM25 first (ties by passage id).

    Args:
        session: An open session on a SQLite store.
        expr: A MATCH expression whose every term is a quoted string.
        depth: Most rows returned.
        title_weight: BM25 weight of the title column (the text column weighs 1.0).

    Raises:
        ConfigurationError: The store is not SQLite (PostgreSQL full text is not built yet).
    """
    if session.get_bind().dialect.name != "sqlite":
        raise ConfigurationError(
            "lexical search needs the SQLite store for now",
            hint="PostgreSQL full-text search (tsvector) is planned; use a sqlite:// URL",
        )
    # Both the column weights and the expression are bound parameters, never spliced in.
    ranking = f"bm25({float(title_weight)!r}, 1.0)"
    try:
        rows = session.execute(_FTS_QUERY, {"expr": expr, "ranking": ranking, "depth": depth})
    except OperationalError as exc:  # a malformed expression: a bug in the query builder
        raise ValueError(f"invalid FTS5 expression {expr!r}: {exc.orig}") from exc
    return [LexicalRow(r.passage_id, r.source_id, float(r.score)) for r in rows]


def _by_id(session: Session, row_type: type[Row], ids: Sequence[str],
           convert: Callable[[Row], T]) -> dict[str, T]:
    found: dict[str, T] = {}
    for chunk in id_chunks(sorted(set(ids))):
        query = select(row_type).where(row_type.id.in_(chunk))
        found.update((row.id, convert(row)) for row in session.scalars(query))
    return found


def sources_by_id(session: Session, ids: Sequence[str]) -> dict[str, Source]:
    """Stored sources among ``ids``, keyed by id (unknown ids are left out)."""
    return _by_id(session, SourceRow, ids, to_source)


def passages_by_id(session: Session, ids: Sequence[str]) -> dict[str, Passage]:
    """Stored passages among ``ids``, keyed by id (unknown ids are left out)."""
    return _by_id(session, PassageRow, ids, to_passage)


def allowed_sources(
    session: Session, ids: Sequence[str], filters: SearchFilters | None
) -> dict[str, tuple[str, str | None, int | None]]:
    """Of ``ids``, the sources a search may return, as id -> (kind, study_type, year).

    Retracted sources are never allowed, whatever the filters say.
    """
    found: dict[str, tuple[str, str | None, int | None]] = {}
    for chunk in id_chunks(sorted(set(ids))):
        query = _filtered(
            select(SourceRow.id, SourceRow.kind, SourceRow.study_type, SourceRow.year)
            .where(SourceRow.id.in_(chunk), SourceRow.retracted.is_(False)),
            filters,
        )
        found.update((r.id, (r.kind, r.study_type, r.year)) for r in session.execute(query))
    return found


_SourceMeta = Select[str, str, str | None, int | None]


def _filtered(query: _SourceMeta, filters: SearchFilters | None) -> _SourceMeta:
    if filters is None:
        return query
    if filters.kinds:
        query = query.where(SourceRow.kind.in_([k.value for k in filters.kinds]))
    if filters.study_types:
        query = query.where(SourceRow.study_type.in_(filters.study_types))
    if filters.year_min is not None:
        query = query.where(SourceRow.year >= filters.year_min)
    if filters.year_max is not None:
        query = query.where(SourceRow.year <= filters.year_max)
    if filters.audience is not None:
        query = query.where(
            SourceRow.audience.is_(None) | (SourceRow.audience == filters.audience.value)
        )
    return query
