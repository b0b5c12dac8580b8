"""Ingest checkpoints (per file) and run records, for resumable, auditable ingests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from medcite.store.tables import IngestCheckpointRow, IngestRunRow
from medcite.types import IngestReport


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far one file's ingest got, committed together with the records it counts."""

    path: str
    fingerprint: str
    records_done: int
    completed: bool


def get_checkpoint(session: Session, path: str) -> Checkpoint | None:
    """The checkpoint of a file (by absolute path), if any."""
    row = session.get(IngestCheckpointRow, path)
    if row is None:
        return None
    return Checkpoint(row.path, row.fingerprint, row.records_done, row.completed)


def save_checkpoint(session: Session, checkpoint: Checkpoint) -> None:
    """Insert or update a file's checkpoint in the current transaction."""
    now = dt.datetime.now(dt.UTC)
    row = session.get(IngestCheckpointRow, checkpoint.path)
    if row is None:
        row = IngestCheckpointRow(path=checkpoint.path)
        session.add(row)
    row.fingerprint = checkpoint.fingerprint
    row.records_done = checkpoint.records_done
    row.completed = checkpoint.completed
    row.updated_at = now


def start_run(session: Session, paths: list[str]) -> int:
    """Record the start of an ingest run; returns its id."""
    row = IngestRunRow(started_at=dt.datetime.now(dt.UTC), paths=paths, report={})
    session.add(row)
    session.flush()
    return row.id


def finish_run(session: Session, run_id: int, report: IngestReport) -> None:
    """Store a run's report and end time."""
    row = session.get(IngestRunRow, run_id)
    if row is not None:
        row.finished_at = dt.datetime.now(dt.UTC)
        row.report = report.model_dump(mode="json")


def last_runs(session: Session, limit: int = 10) -> list[IngestReport]:
    """Reports of the most recent finished runs, newest first."""
    rows = session.scalars(
        select(IngestRunRow)
        .where(IngestRunRow.finished_at.is_not(None))
        .order_by(IngestRunRow.id.desc())
        .limit(limit)
    )
    return [IngestReport.model_validate(row.report) for row in rows]
