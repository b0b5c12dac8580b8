"""Passage embeddings stored as float32 BLOBs: what is missing, saving, and loading all at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, delete, func, insert, literal_column, select
from sqlalchemy.orm import Session

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


def missing(session: Session, model: str, *, after: str, limit: int) -> list[PendingPassage]:
    """Passages without a ``model`` vector, in id order, starting after passage id ``after``."""
    query = (
        select(PassageRow.id, SourceRow.title, PassageRow.text)
        .join(SourceRow, SourceRow.id == PassageRow.source_id)
        .outerjoin(
            PassageVectorRow,
            (PassageVectorRow.passage_id == PassageRow.id) & (PassageVectorRow.model == model),
        )
        .where(PassageVectorRow.passage_id.is_(None), PassageRow.id > after)
        .order_by(PassageRow.id)
        .limit(limit)
    )
    return [PendingPassage(r.id, r.title, r.text) for r in session.execute(query)]


def count_missing(session: Session, model: str) -> int:
    """How many passages lack a ``model`` vector."""
    have = select(PassageVectorRow.passage_id).where(PassageVectorRow.model == model)
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
    second number (unless the newest row itself was deleted and re-added). Other databases
    report the count only.
    """
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
