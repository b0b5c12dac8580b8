"""The evidence store: the only package that touches the database.

``Store`` is the small interface callers use; it works on SQLite (default) and PostgreSQL alike.

Example:
    store = Store.open(settings)
    store.write_batch([(document, passages)])
    print(store.stats())
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from medcite.errors import SourceNotFoundError, StoreError
from medcite.settings import Settings
from medcite.store import fts, runs, search, sources, vectors
from medcite.store.engine import make_engine
from medcite.store.runs import Checkpoint
from medcite.store.schema import upgrade
from medcite.store.search import LexicalRow
from medcite.store.sources import WriteCounts
from medcite.store.vectors import PendingPassage, VectorMatrix
from medcite.types import Document, IngestReport, Passage, SearchFilters, Source, StoreStats

__all__ = [
    "Checkpoint",
    "LexicalRow",
    "PendingPassage",
    "Store",
    "VectorMatrix",
    "WriteCounts",
]


class Store:
    """Sources, passages and ingest checkpoints, in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Store:
        """Open the store named by the settings, bringing its schema up to date."""
        engine = make_engine(settings.store_url)
        if migrate:
            upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise StoreError(
                f"the store failed: {exc.orig}",
                hint="is another process writing, or the disk full?",
            ) from exc

    def write_batch(
        self,
        items: Sequence[tuple[Document, list[Passage]]],
        *,
        delete_ids: Sequence[str] = (),
        checkpoint: Checkpoint | None = None,
    ) -> tuple[WriteCounts, int]:
        """Write documents, deletions and a checkpoint in one transaction (all or nothing).

        Returns:
            The write counts and the number of sources deleted.
        """
        with self.session() as session:
            counts = sources.write_documents(session, items)
            deleted = sources.delete_sources(session, delete_ids)
            if checkpoint is not None:
                runs.save_checkpoint(session, checkpoint)
        return counts, deleted

    def get_source(self, source_id: str) -> Source:
        """The stored source with this id; raises ``SourceNotFoundError``."""
        with self.session() as session:
            found = sources.get_source(session, source_id)
        if found is None:
            raise SourceNotFoundError(
                f"no source with id {source_id!r}", hint="list ids with `medcite sources list`"
            )
        return found

    def list_sources(
        self, *, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Source]:
        """Stored sources ordered by id."""
        with self.session() as session:
            return sources.list_sources(session, kind=kind, limit=limit, offset=offset)

    def passages_of(self, source_id: str) -> list[Passage]:
        """A source's passages in reading order."""
        with self.session() as session:
            return sources.passages_of(session, source_id)

    def stats(self) -> StoreStats:
        """Counts of what the store holds."""
        with self.session() as session:
            return sources.stats(session)

    def checkpoint(self, path: str) -> Checkpoint | None:
        """A file's ingest checkpoint, if any."""
        with self.session() as session:
            return runs.get_checkpoint(session, path)

    def start_run(self, paths: list[str]) -> int:
        """Record the start of an ingest run."""
        with self.session() as session:
            return runs.start_run(session, paths)

    def finish_run(self, run_id: int, report: IngestReport) -> None:
        """Record the end of an ingest run with its report."""
        with self.session() as session:
            runs.finish_run(session, run_id, report)

    # --- search support (medcite.index) -------------------------------------------------

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        """Stored passages among ``ids``, keyed by id; unknown ids are left out."""
        with self.session() as session:
            return search.passages_by_id(session, ids)

    def sources(self, ids: Sequence[str]) -> dict[str, Source]:
        """Stored sources among ``ids``, keyed by id; unknown ids are left out."""
        with self.session() as session:
            return search.sources_by_id(session, ids)

    def lexical_search(
        self, expr: str, *, depth: int, title_weight: float = 1.0
    ) -> list[LexicalRow]:
        """Passages matching an FTS5 expression (quoted terms only), best BM25 first."""
        with self.session() as session:
            return search.fts_search(session, expr, depth=depth, title_weight=title_weight)

    def allowed_sources(
        self, ids: Sequence[str], filters: SearchFilters | None = None
    ) -> dict[str, tuple[str, str | None, int | None]]:
        """Of ``ids``, the non-retracted sources passing ``filters``: id -> (kind, type, year)."""
        with self.session() as session:
            return search.allowed_sources(session, ids, filters)

    def rebuild_lexical_index(self) -> None:
        """Rebuild the full-text index from the stored passages and titles."""
        with self.session() as session:
            fts.rebuild_fts(session)

    def passages_missing_vectors(
        self, model: str, *, after: str = "", limit: int = 64
    ) -> list[PendingPassage]:
        """Passages with no ``model`` vector yet, in id order after passage id ``after``."""
        with self.session() as session:
            return vectors.missing(session, model, after=after, limit=limit)

    def count_missing_vectors(self, model: str) -> int:
        """How many passages have no ``model`` vector yet."""
        with self.session() as session:
            return vectors.count_missing(session, model)

    def save_vectors(
        self, model: str, ids: Sequence[str], matrix: npt.NDArray[np.float32]
    ) -> None:
        """Store the vectors of ``ids`` (row ``i`` for ``ids[i]``) in one transaction."""
        with self.session() as session:
            vectors.save(session, model, ids, matrix)

    def vector_signature(self, model: str) -> tuple[int, int]:
        """A cheap value that changes whenever ``model`` vectors are added or removed."""
        with self.session() as session:
            return vectors.signature(session, model)

    def load_vectors(self, model: str, dim: int) -> VectorMatrix:
        """Every ``model`` vector of width ``dim``, as one float32 matrix with its ids."""
        with self.session() as session:
            return vectors.load(session, model, dim)
