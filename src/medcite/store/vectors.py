"""Passage embeddings: what is missing, saving, and loading all at once.

SQLite keeps them as float32 BLOBs in ``passage_vectors``; PostgreSQL in the pgvector table
``passage_embeddings`` (``medcite.store.pg_vectors``), where the database can search them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Table, delete, func, insert, literal_column, select
from sqlalchemy.orm import Session

from medcite.errors import ConfigurationError
from medcite.store.tables import PassageRow, PassageVectorRow, SourceRow


@dataclass(frozen=True, slots=True)
class PendingPassage:
    """A passage still lacking a vector: its id (the resume cursor), source title and text."""

    passage_id: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class VectorMatrix:
    """Every stored vector of one model: row ``i`` belongs to ``passage_ids[i]``."""

    passage_ids: list[str]
    source_ids: list[str]
    matrix: npt.NDArray[np.float32]


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _table(session: Session) -> Table:
    """The table holding vectors in this database (both have passage_id, model and dim)."""
    if _postgres(session):
        from medcite.store import pg_vectors  # needs the optional pgvector package

        return pg_vectors.EMBEDDINGS
    table: Table = PassageVectorRow.__table__  # type: ignore[assignment]
    return table


def missing(session: Session, model: str, *, after: str, limit: int) -> list[PendingPassage]:
    """Passages without a ``model`` vector, in id order, starting after passage id ``after``."""
    vectors = _table(session)
    query = (
        select(PassageRow.id, SourceRow.title, PassageRow.text)
        .join(SourceRow, SourceRow.id == PassageRow.source_id)
        .outerjoin(
            vectors, (vectors.c.passage_id == PassageRow.id) & (vectors.c.model == model)
        )
        .where(vectors.c.passage_id.is_(None), PassageRow.id > after)
        .order_by(PassageRow.id)
        .limit(limit)
    )
    return [PendingPassage(r.id, r.title, r.text) for r in session.execute(query)]


def count_missing(session: Session, model: str) -> int:
    """How many passages lack a ``model`` vector."""
    vectors = _table(session)
    have = select(vectors.c.passage_id).where(vectors.c.model == model)
    return session.scalar(
        select(func.count()).select_from(PassageRow).where(PassageRow.id.not_in(have))
    ) or 0


def save(
    session: Session, model: str, ids: Sequence[str], vectors: npt.NDArray[np.float32]
) -> None:
    """Store (or replace) the vectors of ``ids``, row ``i`` of ``vectors`` for ``ids[i]``."""
    if not len(ids):
        return
    data = np.ascontiguousarray(vectors, dtype="<f4")
    if _postgres(session):
        from medcite.store import pg_vectors

        pg_vectors.save(session, model, ids, data)
        return
    session.execute(
        delete(PassageVectorRow).where(
            PassageVectorRow.model == model, PassageVectorRow.passage_id.in_(list(ids))
        )
    )
    session.connection().execute(
        insert(PassageVectorRow),
        [{"passage_id": pid, "model": model, "dim": data.shape[1], "vector": row.tobytes()}
         for pid, row in zip(ids, data, strict=True)],
    )


def signature(session: Session, model: str) -> tuple[int, int]:
    """(count, newest rowid) of the model's vectors; changes when vectors are added or removed.

    On SQLite a new row gets a rowid above every live one, so a replaced vector changes the
    second number (unless the newest row itself was deleted and re-added); on PostgreSQL an
    identity column does the same. Other databases report the count only.
    """
    if _postgres(session):
        from medcite.store import pg_vectors

        return pg_vectors.signature(session, model)
    sqlite = session.get_bind().dialect.name == "sqlite"
    newest: ColumnElement[Any] | int = literal_column("rowid") if sqlite else 0
    row = session.execute(
        select(func.count(), func.coalesce(func.max(newest), 0))
        .select_from(PassageVectorRow)
        .where(PassageVectorRow.model == model)
    ).one()
    return int(row[0]), int(row[1])


def load(session: Session, model: str, dim: int) -> VectorMatrix:
    """Every vector of ``model`` with its passage and source ids, as one float32 matrix."""
    if _postgres(session):
        from medcite.store import pg_vectors

        found = pg_vectors.load_rows(session, model, dim)
        matrix = np.array([v for _, _, v in found], dtype=np.float32).reshape(len(found), dim)
        return VectorMatrix([p for p, _, _ in found], [s for _, s, _ in found], matrix)
    rows = session.execute(
        select(PassageVectorRow.passage_id, PassageRow.source_id, PassageVectorRow.vector)
        .join(PassageRow, PassageRow.id == PassageVectorRow.passage_id)
        .where(PassageVectorRow.model == model, PassageVectorRow.dim == dim)
        .order_by(PassageVectorRow.passage_id)
    ).all()
    matrix = np.frombuffer(b"".join(r.vector for r in rows), dtype="<f4").astype(np.float32)
    return VectorMatrix(
        [r.passage_id for r in rows], [r.source_id for r in rows], matrix.reshape(len(rows), dim)
    )


# --- searching in the database (PostgreSQL + pgvector) ------------------------------------


def _require_search(session: Session) -> None:
    if not _postgres(session):
        raise ConfigurationError(
            "this store does not search vectors itself",
            hint="load them with Store.load_vectors (exact numpy search) instead",
        )


def count(session: Session, model: str) -> int:
    """How many passages have a ``model`` vector."""
    vectors = _table(session)
    return session.scalar(select(func.count()).where(vectors.c.model == model)) or 0


def nearest(
    session: Session, model: str, dim: int, vector: npt.NDArray[np.float32], depth: int
) -> list[tuple[str, str, float]]:
    """(passage id, source id, cosine) of the ``depth`` nearest vectors, nearest first."""
    _require_search(session)
    from medcite.store import pg_vectors

    return pg_vectors.nearest(session, model, dim, np.asarray(vector, np.float32), depth)


def similarities(
    session: Session, model: str, vector: npt.NDArray[np.float32], ids: Sequence[str]
) -> dict[str, float]:
    """Inner product of ``vector`` with each listed passage that has a ``model`` vector."""
    _require_search(session)
    from medcite.store import pg_vectors

    return pg_vectors.inner_products(session, model, np.asarray(vector, np.float32), ids)


def vectors_of(
    session: Session, model: str, dim: int, ids: Sequence[str]
) -> npt.NDArray[np.float32]:
    """The ``model`` vectors of the listed passages that have one, in the given order."""
    _require_search(session)
    from medcite.store import pg_vectors

    found = pg_vectors.vectors_of(session, model, sorted(set(ids)))
    rows = [found[pid] for pid in ids if pid in found]
    return np.array(rows, dtype=np.float32).reshape(len(rows), dim)
