"""Full-text search over passages and the filters shared by every retriever.

Callers describe a query as *concepts*: each concept is a list of alternative word sequences
(see ``medcite.index.lexical``). SQLite runs it as an FTS5 MATCH expression of quoted phrases
ranked by BM25; PostgreSQL as a ``tsquery`` built from ``plainto_tsquery``/``phraseto_tsquery``
ranked by ``ts_rank_cd`` (``medcite.store.pg_search``). Words are always bound parameters or
quoted FTS5 strings: nothing here interpolates user text into SQL or query syntax.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from medcite.errors import ConfigurationError
from medcite.store.sources import id_chunks, to_passage, to_source
from medcite.store.tables import PassageRow, SourceRow
from medcite.types import Passage, SearchFilters, Source

Row = TypeVar("Row", SourceRow, PassageRow)
T = TypeVar("T")

Concepts = Sequence[Sequence[tuple[str, ...]]]
"""A query: every concept is a list of alternative word sequences (phrases)."""
LexicalMode = Literal["all", "any"]
"""Whether a passage must hold every concept or at least one."""

_FTS_QUERY = text(
    """
    WITH matched AS (
        SELECT rowid, bm25(passages_fts, :title_weight, 1.0) AS rank FROM passages_fts
        WHERE passages_fts MATCH :expr
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


def lexical_search(
    session: Session, concepts: Concepts, *, mode: LexicalMode, depth: int,
    title_weight: float, anchors: Concepts = (), concept_weights: Sequence[float] = (),
) -> list[LexicalRow]:
    """Passages holding all (or any) of the ``concepts``, best first (ties by passage id).

    Args:
        session: An open session on the store.
        concepts: The query, as lists of alternative word sequences; empty ones are ignored.
        mode: ``"all"``: every concept must match; ``"any"``: at least one.
        depth: Most rows returned.
        title_weight: Weight of source-title words relative to passage text (1.0).
        anchors: If given, only passages holding at least one of these concepts are ranked
            (a cheap pre-filter on rare concepts; ranking still uses every concept).
        concept_weights: One weight per concept (its IDF) for PostgreSQL's ranking, which has
            none of its own; SQLite's BM25 computes IDF itself and ignores them.

    Raises:
        ConfigurationError: The store is neither SQLite nor PostgreSQL.
    """
    kept = [i for i, group in enumerate(_clean_each(concepts)) if group]
    weights = [concept_weights[i] for i in kept] if len(concept_weights) == len(concepts) else []
    concepts, anchors = _clean(concepts), _clean(anchors)
    if not concepts or depth <= 0:
        return []
    dialect = _dialect(session)
    if dialect == "postgresql":
        from medcite.store import pg_search  # only PostgreSQL stores need it

        return pg_search.tsquery_search(
            session, concepts, mode=mode, depth=depth, title_weight=title_weight,
            anchors=anchors, concept_weights=weights,
        )
    expr = fts5_expression(concepts, mode)
    if anchors:
        expr = f"({fts5_expression(anchors, 'any')}) AND ({expr})"
    return fts_search(session, expr, depth=depth, title_weight=title_weight)


def count_matches(session: Session, concepts: Concepts) -> int:
    """How many passages hold at least one of the ``concepts`` (no ranking, so cheap)."""
    concepts = _clean(concepts)
    if not concepts:
        return 0
    if _dialect(session) == "postgresql":
        from medcite.store import pg_search

        return pg_search.count_matches(session, concepts)
    found = session.execute(
        text("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH :expr"),
        {"expr": fts5_expression(concepts, "any")},
    ).scalar_one()
    return int(found)


def holding_passages(session: Session, concepts: Concepts, *, limit: int) -> set[str]:
    """Ids of up to ``limit`` passages holding at least one of the ``concepts`` (unranked)."""
    concepts = _clean(concepts)
    if not concepts:
        return set()
    if _dialect(session) == "postgresql":
        from medcite.store import pg_search

        return pg_search.holding_passages(session, concepts, limit=limit)
    rows = session.execute(
        text("SELECT p.id FROM passages_fts JOIN passages p ON p.rowid = passages_fts.rowid "
             "WHERE passages_fts MATCH :expr LIMIT :limit"),
        {"expr": fts5_expression(concepts, "any"), "limit": limit},
    )
    return {r.id for r in rows}


def _clean_each(concepts: Concepts) -> list[list[tuple[str, ...]]]:
    return [[words for words in group if words] for group in concepts]


def _clean(concepts: Concepts) -> list[list[tuple[str, ...]]]:
    return [group for group in _clean_each(concepts) if group]


def _dialect(session: Session) -> str:
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"full-text search is not available on {dialect}",
            hint="use a sqlite:// or postgresql:// database URL",
        )
    return dialect


def _phrase(words: tuple[str, ...]) -> str:
    # Doubling a quote is FTS5's escape: whatever the words hold, the string stays one phrase.
    return '"' + " ".join(words).replace('"', '""') + '"'


def _group(alternatives: Sequence[tuple[str, ...]]) -> str:
    phrases = [_phrase(a) for a in alternatives]
    return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


def fts5_expression(concepts: Concepts, mode: LexicalMode) -> str:
    """The FTS5 MATCH expression of ``concepts``: quoted phrases, OR within a concept,
    AND (``mode="all"``) or OR (``mode="any"``) between concepts."""
    joiner = " AND " if mode == "all" else " OR "
    return joiner.join(_group(alternatives) for alternatives in concepts)


def fts_search(
    session: Session, expr: str, *, depth: int, title_weight: float
) -> list[LexicalRow]:
    """Passages matching an FTS5 expression, best BM25 first (ties by passage id).

    Prefer :func:`lexical_search`, which works on every database.

    Args:
        session: An open session on a SQLite store.
        expr: A MATCH expression whose every term is a quoted string.
        depth: Most rows returned.
        title_weight: BM25 weight of the title column (the text column weighs 1.0).

    Raises:
        ConfigurationError: The store is not SQLite (FTS5 expressions are SQLite's own).
    """
    if session.get_bind().dialect.name != "sqlite":
        raise ConfigurationError(
            "FTS5 expressions only run on the SQLite store",
            hint="pass the query as concepts (Store.lexical_search) to search any database",
        )
    # Both the title weight and the expression are bound parameters, never spliced in.
    # ORDER BY bm25(...) is faster here than FTS5's "rank MATCH" configuration.
    params = {"expr": expr, "title_weight": float(title_weight), "depth": depth}
    try:
        rows = session.execute(_FTS_QUERY, params)
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
    if not ids:
        return {}
    query = _filtered(
        select(SourceRow.id, SourceRow.kind, SourceRow.study_type, SourceRow.year)
        .where(_one_of(session, SourceRow.id, ids), SourceRow.retracted.is_(False)),
        filters,
    )
    # A Core execution on the session's connection: the ORM's per-row work cost more than
    # the query itself (every search runs this over a few hundred sources).
    rows = session.connection().execute(query)
    return {source_id: (kind, study_type, year) for source_id, kind, study_type, year in rows}


def _one_of(session: Session, column: Any, ids: Sequence[str]) -> ColumnElement[bool]:
    """``column`` is one of ``ids``, passed as one parameter (a JSON array on SQLite, an array
    on PostgreSQL): hundreds of ids cost no statement compilation and no parameter limit."""
    unique = sorted(set(ids))
    if session.get_bind().dialect.name == "sqlite":
        values: Select[Any] = select(literal_column("value")).select_from(
            func.json_each(bindparam("ids", json.dumps(unique))))
        return column.in_(values)  # type: ignore[no-any-return]
    return column == any_(bindparam("ids", unique, type_=ARRAY(String)))  # type: ignore[no-any-return]


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


def passage_leads(session: Session, ids: Sequence[str], chars: int) -> dict[str, str]:
    """The first ``chars`` characters of each stored passage among ``ids``, keyed by id."""
    if not ids:
        return {}
    query = select(PassageRow.id, func.substr(PassageRow.text, 1, chars)).where(
        _one_of(session, PassageRow.id, ids))
    return {pid: lead for pid, lead in session.connection().execute(query)}
