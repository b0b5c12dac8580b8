"""PostgreSQL full-text search over ``passages.search_vector`` (migration 0006).

A query's words reach PostgreSQL only as bound parameters of ``plainto_tsquery`` (one word)
or ``phraseto_tsquery`` (a phrase), never through ``to_tsquery``, so no operator in user text
is ever parsed (R-SEC-1). Alternatives of a concept are joined with ``||``; concepts with
``&&`` (all) or ``||`` (any). Words PostgreSQL treats as stop words yield an empty query part,
which the ``&&``/``||`` operators drop.

Ranking is ``ts_rank_cd`` (cover density, Clarke et al. 2000) with the title (weight A) worth
``title_weight`` times the text (weight B), scaled to [0, 1) by normalisation flag 32, over at
most ``MAX_RANKED`` matching passages. ``ts_rank_cd`` knows nothing of how rare a word is, so
"muscle spasms" would weigh "muscle" like "spasms". Given ``concept_weights`` (the searcher's
BM25 inverse document frequencies, from its cached concept counts), the score is instead the
weighted sum of each concept's own ``ts_rank_cd``: the IDF-weighted, saturated term-frequency
sum BM25 computes (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and
Beyond", 2009), without its length normalisation.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import reduce
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    REAL,
    ColumnElement,
    Float,
    Select,
    bindparam,
    cast,
    column,
    func,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG, TSQUERY, TSVECTOR
from sqlalchemy.orm import Session

from medcite.store.search import LexicalRow

if TYPE_CHECKING:
    from medcite.store.search import Concepts, LexicalMode

LANGUAGE = "english"
# ts_rank_cd normalisation: 32 divides the rank by itself + 1, so scores fall in [0, 1).
RANK_NORMALISATION = 32
# Most matching passages one query ranks. Past it, a query whose every concept is common (at
# millions of passages) ranks the first MAX_RANKED matches the index returns, not all: the
# price of a bounded latency. The lexical searcher's anchors keep most queries well below it.
MAX_RANKED = 3000

_PASSAGES = table(
    "passages", column("id"), column("source_id"), column("search_vector", TSVECTOR)
)


def tsquery(concepts: Concepts, mode: LexicalMode) -> ColumnElement[Any]:
    """The ``tsquery`` expression of ``concepts``, every word a bound parameter."""
    joiner = "&&" if mode == "all" else "||"
    groups = [_alternatives(alternatives) for alternatives in concepts]
    return reduce(lambda left, right: left.op(joiner, return_type=TSQUERY)(right), groups)


def _alternatives(alternatives: Sequence[tuple[str, ...]]) -> ColumnElement[Any]:
    parts = [_words(words) for words in alternatives]
    return reduce(lambda left, right: left.op("||", return_type=TSQUERY)(right), parts)


def _words(words: tuple[str, ...]) -> ColumnElement[Any]:
    parser = func.phraseto_tsquery if len(words) > 1 else func.plainto_tsquery
    language = cast(bindparam(None, LANGUAGE), REGCONFIG)
    return parser(language, bindparam(None, " ".join(words)), type_=TSQUERY)


def rank_weights(title_weight: float) -> list[float]:
    """``ts_rank_cd`` weights {D, C, B, A}: text (B) and title (A) in the ratio 1 : title_weight.

    PostgreSQL accepts weights up to 1.0, so the larger of the two is 1.0.
    """
    scale = max(1.0, float(title_weight))
    return [0.0, 0.0, 1.0 / scale, float(title_weight) / scale]


def search_statement(
    concepts: Concepts, *, mode: LexicalMode, depth: int, title_weight: float,
    anchors: Concepts = (), concept_weights: Sequence[float] = (),
) -> Select[str, str, float]:
    """The ranked full-text query: (id, source_id, score) rows, best first, ties by id.

    With ``anchors``, only passages that also hold one of those concepts are ranked. With
    ``concept_weights`` (one per concept), each concept is ranked on its own and weighted.
    """
    weighted = len(concept_weights) == len(concepts) > 0
    columns = [tsquery(concepts, mode).label("q")]
    if anchors:
        columns.append(tsquery(anchors, "any").label("anchor"))
    if weighted:
        columns += [tsquery([c], "any").label(f"c{i}") for i, c in enumerate(concepts)]
    query = select(*columns).cte("query")
    matches: ColumnElement[Any] = _PASSAGES.c.search_vector.bool_op("@@")(query.c.q)
    if anchors:
        matches = _PASSAGES.c.search_vector.bool_op("@@")(query.c.anchor) & matches
    # Ranking reads every candidate's tsvector: at most MAX_RANKED candidates are ranked.
    ranked = [query.c[f"c{i}"] for i in range(len(concepts))] if weighted else [query.c.q]
    matched = (
        select(_PASSAGES.c.id, _PASSAGES.c.source_id, _PASSAGES.c.search_vector, *ranked)
        .select_from(_PASSAGES.join(query, matches))
        .limit(MAX_RANKED)
        .subquery("matched")
    )
    real_array = ARRAY(REAL)  # ts_rank_cd takes real[]; psycopg would send float8[]
    weights = cast(bindparam("weights", rank_weights(title_weight), type_=real_array), real_array)
    parts: list[ColumnElement[Any]] = [
        func.ts_rank_cd(weights, matched.c.search_vector, matched.c[q.name], RANK_NORMALISATION,
                        type_=Float)
        for q in ranked
    ]
    if weighted:
        parts = [part * bindparam(None, float(w), type_=Float)
                 for part, w in zip(parts, concept_weights, strict=True)]
    score = reduce(lambda left, right: left + right, parts).label("score")
    return (
        select(matched.c.id, matched.c.source_id, score)
        .order_by(score.desc(), matched.c.id.collate("C"))  # byte order, as on SQLite
        .limit(depth)
    )


def tsquery_search(
    session: Session, concepts: Concepts, *, mode: LexicalMode, depth: int,
    title_weight: float, anchors: Concepts = (), concept_weights: Sequence[float] = (),
) -> list[LexicalRow]:
    """Passages matching ``concepts``, best ``ts_rank_cd`` first, ties by passage id."""
    statement = search_statement(concepts, mode=mode, depth=depth, title_weight=title_weight,
                                 anchors=anchors, concept_weights=concept_weights)
    return [LexicalRow(r.id, r.source_id, float(r.score)) for r in session.execute(statement)]


def count_matches(session: Session, concepts: Concepts) -> int:
    """How many passages hold at least one of ``concepts`` (the GIN index answers it)."""
    return session.scalar(
        select(func.count()).select_from(_PASSAGES).where(_holds_any(concepts))) or 0


def holding_passages(session: Session, concepts: Concepts, *, limit: int) -> set[str]:
    """Ids of up to ``limit`` passages holding at least one of ``concepts`` (GIN, unranked).

    The limit is applied here, not in SQL: with a LIMIT the planner, which over-estimates how
    many passages hold a rare word, expects a sequential scan to find them early and reads
    most of the table to reach the last one (1.8 s at 1M passages); without, it uses the GIN
    index, as counting the same matches does.
    """
    return set(itertools.islice(session.scalars(select(_PASSAGES.c.id).where(
        _holds_any(concepts))), limit))


def _holds_any(concepts: Concepts) -> ColumnElement[bool]:
    return _PASSAGES.c.search_vector.bool_op("@@")(tsquery(concepts, "any"))
