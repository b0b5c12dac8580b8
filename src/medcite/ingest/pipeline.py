"""The ingest use case: files and folders -> documents -> passages -> the store, resumably.

Each batch of records is written in one transaction together with the file's checkpoint, so a
crash loses at most the batch in flight and the next run resumes after the last committed one.
A bad record is reported (file and line) and skipped; a bad file is reported and the others go on.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from medcite.errors import MalformedSourceError, MedciteError, UnsupportedFormatError
from medcite.ingest.guidelines import read_document
from medcite.ingest.reader import BatchReader
from medcite.ingest.split import split_document
from medcite.settings import Settings
from medcite.store import Checkpoint, Store, WriteCounts
from medcite.types import IngestReport

PUBMED_SUFFIXES = (".xml", ".xml.gz")
DOCUMENT_SUFFIXES = (".md", ".markdown", ".html", ".htm")


class Progress(Protocol):
    """Receives progress while files are ingested (the CLI draws it with Rich)."""

    def files(self, total: int) -> None:
        """The number of files about to be read."""

    def records(self, path: str, count: int) -> None:
        """``count`` records of ``path`` have been read so far."""

    def file_done(self, path: str) -> None:
        """``path`` is finished (ingested, skipped or rejected)."""


@dataclass
class _Tally:
    report: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "files",
                "records",
                "added",
                "updated",
                "unchanged",
                "deleted",
                "skipped_files",
                "resumed_records",
                "passages",
            ),
            0,
        )
    )
    errors: list[str] = field(default_factory=list)

    def add(self, counts: WriteCounts, deleted: int = 0) -> None:
        for name in ("added", "updated", "unchanged", "passages"):
            self.report[name] += getattr(counts, name)
        self.report["deleted"] += deleted


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and every ingestible file under named folders, in sorted order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and _ingestible(p))
        else:
            yield path


def _ingestible(path: Path) -> bool:
    name = path.name.lower()
    return name != "readme.md" and name.endswith(PUBMED_SUFFIXES + DOCUMENT_SUFFIXES)


def fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes: a changed file is ingested again from its start."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class _Job:
    """A file checked and ready to ingest from its checkpoint; PubMed files come with a reader
    that may already be parsing ahead."""

    path: Path
    key: str
    digest: str
    done: int
    reader: BatchReader | None = None


def ingest_paths(
    paths: Iterable[Path], store: Store, settings: Settings, progress: Progress | None = None
) -> IngestReport:
    """Ingest files and folders into the store and return what happened.

    Files are written one after another, in order; with ``ingest.workers`` = N, the PubMed
    files among the next N are parsed by child processes meanwhile.
    """
    started = time.perf_counter()
    files = list(expand_paths(paths))
    run_id = store.start_run([str(p) for p in files])
    tally = _Tally()
    if progress:
        progress.files(len(files))
    ahead: dict[int, _Job | MedciteError | None] = {}
    try:
        for index, path in enumerate(files):
            for upcoming in range(index, min(len(files), index + max(1, settings.ingest.workers))):
                if upcoming not in ahead:
                    ahead[upcoming] = _prepare_or_error(files[upcoming], store, settings)
            tally.report["files"] += 1
            try:
                _ingest_job(ahead.pop(index), store, settings, tally, progress)
            except MedciteError as exc:
                tally.errors.append(str(exc))
            if progress:
                progress.file_done(str(path))
    finally:
        for job in ahead.values():
            if isinstance(job, _Job) and job.reader is not None:
                job.reader.close()
    report = IngestReport(
        **tally.report, errors=tally.errors, seconds=round(time.perf_counter() - started, 3)
    )
    store.finish_run(run_id, report)
    if report.passages or report.deleted:
        store.refresh_statistics()
    return report


def _prepare_or_error(path: Path, store: Store, settings: Settings) -> _Job | MedciteError | None:
    try:
        return _prepare(path, store, settings)
    except MedciteError as exc:
        return exc


def _prepare(path: Path, store: Store, settings: Settings) -> _Job | None:
    """Check a file and find where to resume it; None when it is already fully ingested."""
    name = path.name.lower()
    if not path.is_file():
        raise MalformedSourceError("no such file", path=str(path))
    if not name.endswith(PUBMED_SUFFIXES + DOCUMENT_SUFFIXES):
        raise UnsupportedFormatError(
            f"{path}: cannot ingest this kind of file",
            hint="medcite reads PubMed XML (.xml, .xml.gz), Markdown (.md) and HTML (.html)",
        )
    size = path.stat().st_size
    if size > settings.ingest.max_file_bytes:
        raise MalformedSourceError(
            f"file of {size} bytes exceeds the limit ({settings.ingest.max_file_bytes})",
            path=str(path),
        )
    key, digest = str(path.resolve()), fingerprint(path)
    previous = store.checkpoint(key)
    if previous and previous.fingerprint == digest and previous.completed:
        return None
    done = previous.records_done if previous and previous.fingerprint == digest else 0
    job = _Job(path, key, digest, done)
    if name.endswith(PUBMED_SUFFIXES):
        options = settings.ingest
        job.reader = BatchReader(path, skip=done, size=options.batch_size,
                                 max_chars=options.max_record_chars, workers=options.workers)
    return job


def _ingest_job(job: _Job | MedciteError | None, store: Store, settings: Settings,
                tally: _Tally, progress: Progress | None) -> None:
    if isinstance(job, MedciteError):
        raise job
    if job is None:
        tally.report["skipped_files"] += 1
    elif job.reader is not None:
        try:
            _ingest_pubmed(job, job.reader, store, settings, tally, progress)
        finally:
            job.reader.close()
    else:
        _ingest_document(job.path, job.key, job.digest, store, settings, tally)


def _ingest_document(
    path: Path, key: str, digest: str, store: Store, settings: Settings, tally: _Tally
) -> None:
    tally.report["records"] += 1
    doc = read_document(path)
    passages = split_document(doc, max_chars=settings.ingest.passage_chars)
    counts, _ = store.write_batch(
        [(doc, passages)], checkpoint=Checkpoint(key, digest, 1, completed=True)
    )
    tally.add(counts)


def _ingest_pubmed(job: _Job, reader: BatchReader, store: Store, settings: Settings,
                   tally: _Tally, progress: Progress | None) -> None:
    path, done = job.path, job.done
    tally.report["resumed_records"] += done
    for batch in reader:
        documents = [(d, split_document(d, max_chars=settings.ingest.passage_chars))
                     for d in batch.documents]
        counts, deleted = store.write_batch(
            documents, delete_ids=batch.deletions,
            checkpoint=Checkpoint(job.key, job.digest, batch.seen, completed=False))
        tally.add(counts, deleted)
        tally.report["records"] += batch.seen - done
        tally.errors.extend(f"{path}:{r.line}: {r.message}" for r in batch.rejected)
        if progress:
            progress.records(str(path), batch.seen)
        if batch.error is not None:
            raise MalformedSourceError(batch.error)
        done = batch.seen
    store.write_batch([], checkpoint=Checkpoint(job.key, job.digest, done, completed=True))
