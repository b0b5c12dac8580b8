"""pgvector storage and search of passage embeddings (``passage_embeddings``, migration 0006).

On PostgreSQL every embedding lives in a ``vector`` column instead of a float32 BLOB, so the
database itself finds nearest neighbours: an HNSW index with cosine distance for the bundled
384-wide model (``INDEXED_DIM``), an exact scan for other widths. Query vectors are bound
parameters; widths are integers from code, written into the SQL so that the planner can match
the partial, expression-based HNSW index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pgvector.sqlalchemy import VECTOR
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from medcite.store.tables import PassageRow

INDEXED_DIM = 384  # the width the HNSW index of migration 0006 covers
# hnsw.ef_search: the candidate list of an index scan; it bounds how many rows one scan returns.
MIN_EF_SEARCH = 40
MAX_EF_SEARCH = 1000
COPY_EMBEDDINGS = "COPY passage_embeddings (passage_id, model, dim, embedding) FROM STDIN " \
    "(FORMAT BINARY)"
HNSW_INDEX = f"ix_passage_embeddings_hnsw_{INDEXED_DIM}"
# The index of migration 0006. Building it once over loaded rows is far faster than keeping it
# up to date through millions of inserts (pgvector's README: "create the index after loading").
HNSW_DDL = f"""CREATE INDEX IF NOT EXISTS {HNSW_INDEX} ON passage_embeddings
    USING hnsw ((embedding::vector({INDEXED_DIM})) vector_cosine_ops) WHERE dim = {INDEXED_DIM}"""

EMBEDDINGS = Table(
    "passage_embeddings",
    MetaData(),  # not Base.metadata: this table exists on PostgreSQL only
    Column("passage_id", String(220), primary_key=True),
    Column("model", String(100), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("embedding", VECTOR(), nullable=False),
    Column("seq", BigInteger),
)


def save(session: Session, model: str, ids: Sequence[str], data: npt.NDArray[np.float32]) -> None:
    """Insert or replace the vectors of ``ids`` (row ``i`` for ``ids[i]``)."""
    session.execute(
        EMBEDDINGS.delete().where(
            EMBEDDINGS.c.model == model, EMBEDDINGS.c.passage_id.in_(list(ids))
        )
    )
    # Binary COPY: far faster than INSERTs for the millions of rows of a bulk embed.
    from pgvector import Vector  # noqa: PLC0415 - PostgreSQL only

    raw = session.connection().connection.driver_connection
    assert raw is not None  # a checked-out connection always has its psycopg connection
    dim = int(data.shape[1])
    with raw.cursor() as cursor, cursor.copy(COPY_EMBEDDINGS) as copy:
        copy.set_types(["varchar", "varchar", "int4", "bytea"])
        for pid, row in zip(ids, data, strict=True):
            copy.write_row((pid, model, dim, Vector(row).to_binary()))


def signature(session: Session, model: str) -> tuple[int, int]:
    """(count, newest sequence number) of the model's vectors."""
    row = session.execute(
        select(func.count(), func.coalesce(func.max(EMBEDDINGS.c.seq), 0))
        .where(EMBEDDINGS.c.model == model)
    ).one()
    return int(row[0]), int(row[1])


def count(session: Session, model: str) -> int:
    """How many passages have a ``model`` vector."""
    return session.scalar(select(func.count()).where(EMBEDDINGS.c.model == model)) or 0


def load_rows(session: Session, model: str, dim: int) -> list[tuple[str, str, Any]]:
    """(passage id, source id, vector) of every ``model`` vector of width ``dim``, by id."""
    rows = session.execute(
        select(EMBEDDINGS.c.passage_id, PassageRow.source_id, EMBEDDINGS.c.embedding)
        .join(PassageRow, PassageRow.id == EMBEDDINGS.c.passage_id)
        .where(EMBEDDINGS.c.model == model, EMBEDDINGS.c.dim == dim)
        .order_by(EMBEDDINGS.c.passage_id.collate("C"))  # byte order, as Python sorts
    )
    return [(r.passage_id, r.source_id, r.embedding) for r in rows]


def nearest_statement(
    model: str, dim: int, vector: npt.NDArray[np.float32], depth: int
) -> Select[str, str, float]:
    """The nearest-neighbour query: (passage_id, source_id, score) rows, nearest first.

    The distance expression is exactly the HNSW index's, ``embedding::vector(<dim>)``, and
    the width is a literal, so the planner can match the partial index.
    """
    width = int(dim)
    embedding: ColumnElement[Any] = literal_column(
        f"passage_embeddings.embedding::vector({width})"
    )
    query = cast(bindparam("query", vector, type_=VECTOR()), VECTOR(width))
    distance = embedding.op("<=>", return_type=Float)(query)
    return (
        select(EMBEDDINGS.c.passage_id, PassageRow.source_id, (1 - distance).label("score"))
        .join(PassageRow, PassageRow.id == EMBEDDINGS.c.passage_id)
        .where(EMBEDDINGS.c.model == model, EMBEDDINGS.c.dim == literal_column(str(width)))
        .order_by(distance)
        .limit(depth)
    )


def nearest(
    session: Session, model: str, dim: int, vector: npt.NDArray[np.float32], depth: int
) -> list[tuple[str, str, float]]:
    """The ``depth`` passages nearest to ``vector`` by cosine: (passage id, source id, cosine).

    Uses the HNSW index when ``dim`` is the indexed width (approximate, as every HNSW search
    is), an exact scan otherwise.
    """
    if depth <= 0:
        return []
    ef_search = str(min(MAX_EF_SEARCH, max(MIN_EF_SEARCH, depth)))
    # strict_order: keep scanning the index past filtered-out rows (other models), in order.
    session.execute(select(func.set_config("hnsw.ef_search", ef_search, True),
                           func.set_config("hnsw.iterative_scan", "strict_order", True)))
    rows = session.execute(nearest_statement(model, dim, vector, depth))
    return [(r.passage_id, r.source_id, float(r.score)) for r in rows]


def inner_products(
    session: Session, model: str, vector: npt.NDArray[np.float32], ids: Sequence[str]
) -> dict[str, float]:
    """Inner product of ``vector`` with each listed passage's ``model`` vector."""
    if not ids:
        return {}
    query = bindparam("query", vector, type_=VECTOR())
    # <#> is the negative inner product (so that smaller is nearer, like every distance).
    product = -EMBEDDINGS.c.embedding.op("<#>", return_type=Float)(query)
    rows = session.execute(
        select(EMBEDDINGS.c.passage_id, product.label("score"))
        .where(EMBEDDINGS.c.model == model, EMBEDDINGS.c.passage_id.in_(list(ids)))
    )
    return {r.passage_id: float(r.score) for r in rows}


def vectors_of(session: Session, model: str, ids: Sequence[str]) -> dict[str, Any]:
    """The ``model`` vectors of the listed passages that have one, keyed by passage id."""
    if not ids:
        return {}
    rows = session.execute(
        select(EMBEDDINGS.c.passage_id, EMBEDDINGS.c.embedding)
        .where(EMBEDDINGS.c.model == model, EMBEDDINGS.c.passage_id.in_(list(ids)))
    )
    return {r.passage_id: r.embedding for r in rows}


def drop_hnsw(session: Session) -> None:
    """Drop the HNSW index before a bulk load (searches scan exactly until it is rebuilt)."""
    session.execute(text(f"DROP INDEX IF EXISTS {HNSW_INDEX}"))


def build_hnsw(session: Session, memory: str = "4GB") -> None:
    """(Re)build the HNSW index; ``memory`` (maintenance_work_mem) should hold the graph."""
    session.execute(select(func.set_config("maintenance_work_mem", memory, True)))
    session.execute(text(HNSW_DDL))
