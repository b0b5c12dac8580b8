"""One drafting's view of the evidence: one retrieval and one read of each source, shared by
the two audience renderings of a new article.

``ask`` runs once per audience. Both runs get the same hits (``ReplayRetriever``), and the
sources those hits point to are read from the store in one query and kept for the drafting
(``DraftStore``), instead of once per source and per audience.

Example:
    store = DraftStore(library.store)
    replay = ReplayRetriever(library.retriever, store)
    clinician = ask(q, Audience.CLINICIAN, store=store, retriever=replay, settings=settings)
    patient = ask(q, Audience.PATIENT, store=store, retriever=replay, settings=settings)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from medcite.answer.evidence import HitLike, Retriever
from medcite.errors import SourceNotFoundError
from medcite.store import Store
from medcite.types import Passage, Source


class DraftStore(Store):
    """The store, with sources and passages remembered for the length of one drafting.

    It shares the wrapped store's engine and sessions; only reads of sources and of a
    source's passages are remembered. Build one per drafting and drop it afterwards.
    """

    def __init__(self, store: Store) -> None:  # shares state, so no super().__init__()
        """Wrap ``store`` (same database, same connections)."""
        self.__dict__.update(store.__dict__)
        self._known_sources: dict[str, Source | None] = {}
        self._known_passages: dict[str, list[Passage]] = {}

    def prefetch(self, source_ids: Sequence[str]) -> None:
        """Read every source among ``source_ids`` not read yet, in one query."""
        missing = [sid for sid in dict.fromkeys(source_ids) if sid not in self._known_sources]
        if missing:
            found = super().sources(missing)
            self._known_sources.update((sid, found.get(sid)) for sid in missing)

    def get_source(self, source_id: str) -> Source:
        """The stored source with this id (read once); raises ``SourceNotFoundError``."""
        self.prefetch([source_id])
        found = self._known_sources[source_id]
        if found is None:
            raise SourceNotFoundError(f"no source with id {source_id!r}")
        return found

    def passages_of(self, source_id: str) -> list[Passage]:
        """A source's passages in reading order (read once)."""
        if source_id not in self._known_passages:
            self._known_passages[source_id] = super().passages_of(source_id)
        return self._known_passages[source_id]


class ReplayRetriever:
    """Runs each distinct search once and replays it; fetches the hits' sources in one go."""

    def __init__(self, inner: Retriever, store: DraftStore | None = None) -> None:
        """Search with ``inner``; prefetch the hit sources into ``store``, if given."""
        self.inner = inner
        self.store = store
        self.calls: dict[str, Sequence[HitLike]] = {}

    def search(self, query: str, k: int = 10, filters: Any = None) -> Sequence[HitLike]:
        """The inner retriever's hits for this query, computed at most once."""
        key = json.dumps([query, k, repr(filters)])
        if key not in self.calls:
            hits = self.inner.search(query, k, filters)
            if self.store is not None:
                self.store.prefetch([hit.source_id for hit in hits])
            self.calls[key] = hits
        return self.calls[key]

    def passage_ids(self) -> list[str]:
        """Every passage id retrieved, in rank order, each once."""
        return list(dict.fromkeys(h.passage_id for hits in self.calls.values() for h in hits))
