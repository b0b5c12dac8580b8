"""The evidence store: the only package that touches the database.

``Store`` is the small interface callers use; it works on SQLite (default) and PostgreSQL alike.

Example:
    store = Store.open(settings)
    store.write_batch([(document, passages)])
    print(store.stats())
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from medcite.errors import ArticleNotFoundError, SourceNotFoundError, StoreError
from medcite.settings import Settings
from medcite.store import articles as article_rows
from medcite.store import fts, runs, search, sources, transfer, vectors
from medcite.store.engine import make_engine
from medcite.store.runs import Checkpoint
from medcite.store.schema import upgrade
from medcite.store.search import Concepts, LexicalMode, LexicalRow
from medcite.store.sources import WriteCounts
from medcite.store.transfer import TransferReport
from medcite.store.vectors import PendingPassage, VectorMatrix
from medcite.types import (
    Answer,
    Article,
    ArticleDraft,
    ArticleReading,
    ArticleVersion,
    Document,
    Feedback,
    FeedbackStatus,
    IngestReport,
    Passage,
    ReviewStatus,
    SearchFilters,
    Source,
    StoreStats,
)

__all__ = [
    "Checkpoint",
    "Concepts",
    "LexicalMode",
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
        # A store nobody closed (a CLI command, a script) closes its pooled connections when it
        # is collected; left to the driver's garbage, a PostgreSQL server keeps them open
        # until then and psycopg warns (ResourceWarning).
        weakref.finalize(self, engine.dispose)

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

    def passages_of_sources(self, ids: Sequence[str]) -> dict[str, list[Passage]]:
        """The passages of each source among ``ids`` in reading order ([] when none), read
        in bulk."""
        with self.session() as session:
            return sources.passages_of_sources(session, ids)

    def stats(self) -> StoreStats:
        """Counts of what the store holds."""
        with self.session() as session:
            return sources.stats(session)

    def refresh_statistics(self) -> None:
        """After a bulk write, refresh PostgreSQL's planner statistics (``ANALYZE``) at once
        instead of when autovacuum gets to them, as PostgreSQL advises after populating a
        table: plans made on stale row counts can scan a table instead of using its index.
        Without statistics on ``passage_embeddings`` the planner guesses a dozen vectors and
        compares the query with every one instead of using the HNSW index: 2.4 s instead of
        45 ms per dense search at 1M passages, until autovacuum analyses the table. About 1 s at
        1M passages (bench/scale.py ``analyze_s``). SQLite plans its full-text and key lookups
        without statistics, so there is nothing to do there.
        """
        if self.engine.dialect.name != "postgresql":
            return
        with self.session() as session:
            session.execute(text("ANALYZE sources, passages, passage_embeddings"))

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

    def passage_leads(self, ids: Sequence[str], chars: int) -> dict[str, str]:
        """The first ``chars`` characters of each stored passage among ``ids``, keyed by id."""
        with self.session() as session:
            return search.passage_leads(session, ids, chars)

    def sources(self, ids: Sequence[str]) -> dict[str, Source]:
        """Stored sources among ``ids``, keyed by id; unknown ids are left out."""
        with self.session() as session:
            return search.sources_by_id(session, ids)

    def lexical_search(
        self, query: str | Concepts, *, depth: int, title_weight: float = 1.0,
        mode: LexicalMode = "all", anchors: Concepts = (), concept_weights: Sequence[float] = (),
    ) -> list[LexicalRow]:
        """Passages holding all (``mode="all"``) or any of the query's concepts, best first.

        ``query`` is a list of concepts, each a list of alternative word tuples; every database
        runs it (see ``medcite.store.search``). A string is an FTS5 expression (SQLite only).
        ``concept_weights`` (one IDF per concept) weigh PostgreSQL's ranking.
        """
        with self.session() as session:
            if isinstance(query, str):
                return search.fts_search(session, query, depth=depth, title_weight=title_weight)
            return search.lexical_search(session, query, mode=mode, depth=depth,
                                         title_weight=title_weight, anchors=anchors,
                                         concept_weights=concept_weights)

    def lexical_count(self, query: str | Concepts) -> int:
        """How many passages hold any of the concepts (or match an FTS5 expression, SQLite)."""
        with self.session() as session:
            if isinstance(query, str):
                return fts.count_matches(session, query)
            return search.count_matches(session, query)

    def holding_passages(self, concepts: Concepts, *, limit: int) -> set[str]:
        """Ids of up to ``limit`` passages holding any of the concepts (no ranking: cheap)."""
        with self.session() as session:
            return search.holding_passages(session, concepts, limit=limit)

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

    # --- backup and move (medcite export / import) ---------------------------------------

    def export_to(self, folder: Path, *, version: str, vectors: bool = False,
                  on_table: Callable[[str, int], None] | None = None) -> TransferReport:
        """Write every row medcite keeps to ``folder`` (see ``medcite.store.transfer``)."""
        with self.engine.connect() as connection, connection.begin():  # one snapshot
            return transfer.export_store(connection, folder, version=version, vectors=vectors,
                                         on_table=on_table)

    def import_from(self, folder: Path,
                    on_table: Callable[[str, int], None] | None = None) -> TransferReport:
        """Load an export into this empty store, all or nothing."""
        with self.engine.begin() as connection:
            return transfer.import_store(connection, folder, on_table=on_table)

    # --- vector search inside the database (PostgreSQL + pgvector) -------------------------

    @property
    def searches_vectors(self) -> bool:
        """True when the database finds nearest vectors itself (PostgreSQL with pgvector)."""
        return self.engine.dialect.name == "postgresql"

    def vector_count(self, model: str) -> int:
        """How many passages have a ``model`` vector."""
        with self.session() as session:
            return vectors.count(session, model)

    def nearest_vectors(
        self, model: str, dim: int, vector: npt.NDArray[np.float32], depth: int
    ) -> list[tuple[str, str, float]]:
        """(passage id, source id, cosine) of the ``depth`` nearest passages (pgvector HNSW)."""
        with self.session() as session:
            return vectors.nearest(session, model, dim, vector, depth)

    def vector_similarities(
        self, model: str, vector: npt.NDArray[np.float32], ids: Sequence[str]
    ) -> dict[str, float]:
        """Inner product of ``vector`` with each listed passage's ``model`` vector (pgvector)."""
        with self.session() as session:
            return vectors.similarities(session, model, vector, ids)

    def vectors_of(self, model: str, dim: int, ids: Sequence[str]) -> npt.NDArray[np.float32]:
        """The listed passages' ``model`` vectors that exist, in the given order (pgvector)."""
        with self.session() as session:
            return vectors.vectors_of(session, model, dim, ids)

    # --- articles, versions and feedback (medcite.review, medcite.web) ----------------------

    def create_article(self, draft: ArticleDraft) -> tuple[Article, bool]:
        """Store a drafted article, or find the one already stored under its question key.

        Two requests drafting the same question at once end with one article: the loser of
        the race gets the winner's. Returns the article and whether it was created.
        """
        try:
            with self.session() as session:
                return article_rows.create(session, draft), True
        except IntegrityError as exc:
            found = self.find_article(draft.question_key)
            if found is None:  # the parent vanished meanwhile, not a duplicate question
                raise StoreError("cannot store the article", hint="ask the question again") from exc
            return found, False

    def find_article(self, question_key: str) -> Article | None:
        """The article stored under this question key, if any."""
        with self.session() as session:
            return article_rows.find(session, question_key)

    def get_article(self, article_id: int) -> Article:
        """The article with this id; raises ``ArticleNotFoundError``."""
        with self.session() as session:
            found = article_rows.get(session, article_id)
        if found is None:
            raise ArticleNotFoundError(f"no article with id {article_id}")
        return found

    def articles(self, ids: Sequence[int]) -> list[Article]:
        """The articles among ``ids``, in the order given; unknown ids are left out."""
        with self.session() as session:
            return article_rows.many(session, ids)

    def get_article_version(self, article_id: int, version: int) -> ArticleVersion:
        """One version of an article; raises ``ArticleNotFoundError``."""
        with self.session() as session:
            found = article_rows.get_version(session, article_id, version)
        if found is None:
            raise ArticleNotFoundError(f"article {article_id} has no version {version}")
        return found

    def read_article_page(
        self, article_id: int, *, shown: Callable[[Article], int | None],
        readable: Collection[ReviewStatus], follow_ups: int = 10,
    ) -> ArticleReading:
        """An article with the stamp of the version ``shown`` picks, its parent and follow-ups,
        read in one session; raises ``ArticleNotFoundError`` when it does not exist."""
        with self.session() as session:
            found = article_rows.reading(session, article_id, shown=shown, readable=readable,
                                         follow_ups=follow_ups)
        if found is None:
            raise ArticleNotFoundError(f"no article with id {article_id}")
        return found

    def article_version_stamp(self, article_id: int, version: int) -> tuple[ReviewStatus, str]:
        """(status, content hash) of a version; cheap (renderings are not read)."""
        with self.session() as session:
            found = article_rows.version_stamp(session, article_id, version)
        if found is None:
            raise ArticleNotFoundError(f"article {article_id} has no version {version}")
        return found

    def add_article_version(
        self, article_id: int, clinician: Answer, patient: Answer, *,
        retrieved_ids: Sequence[str], evidence_ids: Sequence[str], settings_digest: str,
        created_by: str | None = None,
    ) -> ArticleVersion:
        """Append a new Submitted version to an article; raises ``ArticleNotFoundError``."""
        with self.session() as session:
            found = article_rows.add_version(
                session, article_id, clinician, patient, retrieved_ids=retrieved_ids,
                evidence_ids=evidence_ids, settings_digest=settings_digest, created_by=created_by,
            )
        if found is None:
            raise ArticleNotFoundError(f"no article with id {article_id}")
        return found

    def set_article_status(self, article_id: int, version: int, status: ReviewStatus) -> Article:
        """Record a version's review status (the workflow decides what is allowed)."""
        with self.session() as session:
            found = article_rows.set_status(session, article_id, version, status)
        if found is None:
            raise ArticleNotFoundError(f"article {article_id} has no version {version}")
        return found

    def list_articles(
        self, *, readable: Collection[ReviewStatus] | None = None, answered_only: bool = False,
        topic: str | None = None, parent_id: int | None = None, before: int | None = None,
        limit: int = 20,
    ) -> list[Article]:
        """Articles newest first; see ``medcite.store.articles.list_articles``."""
        with self.session() as session:
            return article_rows.list_articles(
                session, readable=readable, answered_only=answered_only, topic=topic,
                parent_id=parent_id, before=before, limit=limit,
            )

    def article_status_counts(self) -> dict[str, int]:
        """How many articles stand at each review status."""
        with self.session() as session:
            return article_rows.status_counts(session)

    def save_question_vector(
        self, article_id: int, model: str, vector: npt.NDArray[np.float32]
    ) -> None:
        """Store the embedding of an article's question."""
        blob = np.asarray(vector, dtype="<f4").tobytes()
        with self.session() as session:
            article_rows.save_vector(session, article_id, model, blob)

    def question_vectors(self, model: str, dim: int) -> tuple[list[int], npt.NDArray[np.float32]]:
        """Every stored ``model`` question embedding: article ids and one float32 matrix."""
        with self.session() as session:
            rows = article_rows.vectors(session, model)
        ids = [article_id for article_id, blob in rows if len(blob) == 4 * dim]
        matrix = np.zeros((len(ids), dim), dtype=np.float32)
        for i, blob in enumerate(blob for _, blob in rows if len(blob) == 4 * dim):
            matrix[i] = np.frombuffer(blob, dtype="<f4")
        return ids, matrix

    def question_vector_signature(self, model: str) -> tuple[int, int]:
        """A cheap value that changes whenever a question embedding is added."""
        with self.session() as session:
            return article_rows.vector_signature(session, model)

    def add_feedback(self, feedback: Feedback) -> Feedback:
        """Store a reader's vote or error report; raises ``ArticleNotFoundError``."""
        with self.session() as session:
            saved = article_rows.add_feedback(session, feedback)
        if saved is None:
            raise ArticleNotFoundError(
                f"article {feedback.article_id} has no version {feedback.version}"
            )
        return saved

    def list_feedback(
        self, *, article_id: int | None = None, status: FeedbackStatus | None = None
    ) -> list[Feedback]:
        """Feedback items oldest first, optionally for one article and/or status."""
        with self.session() as session:
            return article_rows.list_feedback(session, article_id=article_id, status=status)

    def topic_documents(self) -> list[Source]:
        """Guideline and patient-information documents (``doc:`` ids): the topic library."""
        with self.session() as session:
            return article_rows.topic_documents(session)

    def corpus_currency(self) -> tuple[int | None, dt.datetime | None]:
        """(newest publication year, time of the latest ingest) of the stored sources."""
        with self.session() as session:
            return article_rows.corpus_currency(session)
