"""Read PubMed files in batches, in a separate process so parsing and writing overlap.

Parsing and mapping take most of an ingest's CPU time; splitting into passages, hashing and
the store's writes take the rest, in the writing process. With ``workers=N`` (N >= 1) up to N
files are parsed by child processes at once (the file being written and the next ones) while
this process writes, in file order; ``workers=0`` reads in-process.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medcite.errors import MalformedSourceError
from medcite.ingest.pubmed import Deleted, Parsed, Rejected, iter_pubmed
from medcite.types import Document

_QUEUE_BATCHES = 4  # batches in flight between the processes: bounds memory


@dataclass
class Batch:
    """Consecutive records of one file, ready to write."""

    documents: list[Document] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    seen: int = 0
    """Records of the file read so far, including this batch (the checkpoint position)."""
    error: str | None = None
    """Set on the last batch when the file could not be read to its end."""


def batches(path: Path, *, skip: int, size: int, max_chars: int) -> Iterator[Batch]:
    """Batches of records after the first ``skip``; a deletion never shares a batch with
    documents, so the order of adds and deletes is kept."""
    batch, seen = Batch(), 0
    try:
        for record in iter_pubmed(path, max_chars=max_chars):
            seen += 1
            if seen <= skip:
                continue
            if _switches_kind(batch, record) or len(batch.documents) + len(batch.deletions) >= size:
                batch.seen = seen - 1
                yield batch
                batch = Batch()
            _add(batch, record)
    except MalformedSourceError as exc:
        batch.error = exc.message
    batch.seen = seen
    yield batch


def _switches_kind(batch: Batch, record: Parsed | Deleted | Rejected) -> bool:
    return (isinstance(record, Parsed) and bool(batch.deletions)) or (
        isinstance(record, Deleted) and bool(batch.documents))


def _add(batch: Batch, record: Parsed | Deleted | Rejected) -> None:
    if isinstance(record, Parsed):
        batch.documents.append(record.document)
    elif isinstance(record, Deleted):
        batch.deletions.extend(record.source_ids)
    else:
        batch.rejected.append(record)


class BatchReader:
    """The batches of one file after its first ``skip`` records, read by a child process that
    starts at once (so a pipeline can open the next file's reader while it writes this one),
    or in-process when ``workers`` is 0. Close it when done; closing kills the child."""

    def __init__(self, path: Path, *, skip: int, size: int, max_chars: int,
                 workers: int = 1) -> None:
        self.path = path
        self._kwargs = {"skip": skip, "size": size, "max_chars": max_chars}
        self._process: mp.process.BaseProcess | None = None
        if workers == 0:
            return
        context = mp.get_context("spawn")  # no fork: safe with threads, same on every platform
        self._channel: mp.Queue[Batch | None] = context.Queue(maxsize=_QUEUE_BATCHES)
        self._process = context.Process(
            target=_produce, args=(self._channel, path, self._kwargs), daemon=True)
        self._process.start()

    def __iter__(self) -> Iterator[Batch]:
        if self._process is None:
            return batches(self.path, **self._kwargs)
        return _consume(self._channel, self._process, self.path)

    def close(self) -> None:
        """Stop the child process, if any (safe to call twice)."""
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._channel.close()
            self._process = None


def _produce(channel: mp.Queue[Batch | None], path: Path, kwargs: dict[str, int]) -> None:
    for batch in batches(path, **kwargs):
        if not _put(channel, batch):
            return
    _put(channel, None)


def _put(channel: mp.Queue[Batch | None], item: Batch | None) -> bool:
    """Put an item, waiting while the queue is full; False when the parent has died
    (killed ingest): the child then exits instead of waiting forever as an orphan."""
    parent = mp.parent_process()
    while True:
        try:
            channel.put(item, timeout=1.0)
            return True
        except queue.Full:
            if parent is not None and not parent.is_alive():
                # Nobody will read what is buffered: do not wait for it at exit.
                channel.cancel_join_thread()
                return False


def _consume(channel: mp.Queue[Batch | None], process: mp.process.BaseProcess,
             path: Path) -> Iterator[Batch]:
    while True:
        try:
            batch = channel.get(timeout=1.0)
        except queue.Empty:
            if not process.is_alive():
                raise MalformedSourceError("the reader process stopped unexpectedly",
                                           path=str(path)) from None
            continue
        if batch is None:
            return
        yield batch
