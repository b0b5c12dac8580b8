"""The audit trail's persistence: append-only rows, each chained to the one before by hash.

There is no update or delete path here, and the migration adds triggers that refuse both.
``chain_hash`` is the one definition of a row's hash: appending and verifying both use it.

Example:
    with transaction(store, AuditTx) as tx:
        record = tx.audit(event)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medcite.errors import ConcurrentUpdateError
from medcite.store.tables import AuditRow
from medcite.types import AuditEvent, AuditRecord

if TYPE_CHECKING:
    from medcite.store import Store

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row."""

FIELDS = (
    "at", "actor", "role", "action", "article_id", "version",
    "from_state", "to_state", "content_hash", "comment",
)
"""The hashed columns, besides ``prev_hash``."""

ChainValue = str | int | None


@dataclass(frozen=True, slots=True)
class ChainRow:
    """A stored row as raw column values, so that even a garbled row can be checked."""

    seq: int
    prev_hash: str
    row_hash: str
    fields: Mapping[str, ChainValue]


def format_time(at: dt.datetime) -> str:
    """UTC time as stored and hashed: ``2026-11-23T12:00:00.000000Z``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_fields(event: AuditEvent) -> dict[str, ChainValue]:
    """The hashed column values of an event."""
    data: dict[str, ChainValue] = {
        name: getattr(event, name) for name in FIELDS if name != "at"
    }
    data["at"] = format_time(event.at)
    return data


def chain_hash(prev_hash: str, fields: Mapping[str, ChainValue]) -> str:
    """SHA-256 (hex) of the previous row's hash and this row's canonical JSON."""
    canonical = json.dumps(
        {name: fields.get(name) for name in FIELDS},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def append(session: Session, event: AuditEvent) -> AuditRecord:
    """Chain ``event`` after the current last row, in the caller's transaction.

    Two writers that read the same last row collide on ``seq`` (and ``prev_hash``): the second
    gets ``ConcurrentUpdateError`` and retries, so the chain never forks.
    """
    head = session.execute(
        select(AuditRow.seq, AuditRow.row_hash).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq + 1, head.row_hash) if head else (1, GENESIS)
    fields = event_fields(event)
    row_hash = chain_hash(prev_hash, fields)
    session.add(AuditRow(seq=seq, prev_hash=prev_hash, row_hash=row_hash, **fields))
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConcurrentUpdateError("the audit trail moved on while writing; try again") from exc
    return AuditRecord(seq=seq, prev_hash=prev_hash, row_hash=row_hash, **event.model_dump())


def chain(session: Session, *, after_seq: int = 0, limit: int = 1000) -> list[ChainRow]:
    """Up to ``limit`` rows after ``after_seq``, in order, as raw values."""
    rows = session.scalars(
        select(AuditRow).where(AuditRow.seq > after_seq).order_by(AuditRow.seq).limit(limit)
    )
    return [
        ChainRow(row.seq, row.prev_hash, row.row_hash,
                 {name: getattr(row, name) for name in FIELDS})
        for row in rows
    ]


def records(
    session: Session,
    *,
    article_id: int | None = None,
    after_seq: int = 0,
    limit: int = 100,
) -> list[AuditRecord]:
    """Audit rows in order, optionally of one article only."""
    query = select(AuditRow).where(AuditRow.seq > after_seq)
    if article_id is not None:
        query = query.where(AuditRow.article_id == article_id)
    rows = session.scalars(query.order_by(AuditRow.seq).limit(limit))
    return [_record(row) for row in rows]


def _record(row: AuditRow) -> AuditRecord:
    data: dict[str, Any] = {name: getattr(row, name) for name in FIELDS}
    data["at"] = dt.datetime.strptime(row.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    return AuditRecord(seq=row.seq, prev_hash=row.prev_hash, row_hash=row.row_hash, **data)


class AuditTx:
    """One open transaction that can append to the audit trail (base of the other facades)."""

    def __init__(self, session: Session) -> None:
        """Work inside ``session`` (committed or rolled back by ``transaction``)."""
        self.session = session

    def audit(self, event: AuditEvent) -> AuditRecord:
        """Append ``event`` to the chain in this transaction."""
        return append(self.session, event)

    def chain(self, *, after_seq: int = 0, limit: int = 1000) -> list[ChainRow]:
        """Raw rows for verification (see ``chain``)."""
        return chain(self.session, after_seq=after_seq, limit=limit)

    def records(
        self, *, article_id: int | None = None, after_seq: int = 0, limit: int = 100
    ) -> list[AuditRecord]:
        """Audit rows in order (see ``records``)."""
        return records(self.session, article_id=article_id, after_seq=after_seq, limit=limit)


TxT = TypeVar("TxT", bound=AuditTx)


@contextmanager
def transaction(store: Store, kind: type[TxT]) -> Iterator[TxT]:
    """One all-or-nothing transaction; a uniqueness race becomes ``ConcurrentUpdateError``."""
    try:
        with store.session() as session:
            yield kind(session)
    except IntegrityError as exc:
        raise ConcurrentUpdateError("changed by someone else meanwhile; try again") from exc
