"""The topic library: conditions and drugs with their guideline and patient documents.

A topic is read from the stored documents' ids, as the starter library names them
(``doc:<topic>-clinician`` and ``doc:<topic>-patient``, docs/starter-library.md); any other
``doc:`` document is a topic of its own. Articles are tagged with the topics of the documents
they cite, so a topic page can list its articles.

Example:
    catalog = TopicCatalog(store)
    for topic in catalog.topics():
        print(topic.slug, topic.name)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

from medcite.errors import TopicNotFoundError
from medcite.store import Store
from medcite.types import Audience, Source, Topic

_AUDIENCE_SUFFIXES = tuple(f"-{audience.value}" for audience in Audience)
REFRESH_SECONDS = 60.0  # new documents show up in the library within a minute


def topic_slug(source_id: str) -> str | None:
    """The topic a document belongs to (``doc:migraine-patient`` -> ``migraine``), else None."""
    if not source_id.startswith("doc:"):
        return None
    slug = source_id.removeprefix("doc:")
    for suffix in _AUDIENCE_SUFFIXES:
        if slug.endswith(suffix) and len(slug) > len(suffix):
            return slug.removesuffix(suffix)
    return slug


def topics_of(source_ids: Iterable[str]) -> list[str]:
    """Topic slugs of the documents among ``source_ids``, in first-seen order."""
    return list(dict.fromkeys(s for s in map(topic_slug, source_ids) if s is not None))


def _short_title(title: str) -> str:
    """A document title up to its colon: 'Migraine: what it is' -> 'Migraine'."""
    head = title.split(":", 1)[0].strip()
    return head or title


def build_topics(documents: Sequence[Source]) -> list[Topic]:
    """Group documents into topics, named from the patient title (plainest), sorted by name."""
    groups: dict[str, list[Source]] = {}
    for source in documents:
        slug = topic_slug(source.id)
        if slug is not None:
            groups.setdefault(slug, []).append(source)
    topics = [_topic(slug, members) for slug, members in groups.items()]
    return sorted(topics, key=lambda t: (t.name.casefold(), t.slug))


def _topic(slug: str, members: list[Source]) -> Topic:
    # Clinician form first (its title is the fuller description), then the patient form.
    members = sorted(members, key=lambda s: (s.audience is not Audience.CLINICIAN, s.id))
    patient = next((s for s in members if s.audience is Audience.PATIENT), members[-1])
    clinician = members[0]
    terms = list(dict.fromkeys(term for s in members for term in s.topics))
    return Topic(
        slug=slug,
        name=_short_title(patient.title),
        summary=clinician.title if clinician is not patient else None,
        source_ids=[s.id for s in members],
        terms=terms,
    )


class TopicCatalog:
    """The store's topics, rebuilt at most every ``REFRESH_SECONDS``; safe across threads.

    Example:
        catalog = TopicCatalog(store)
        topic = catalog.get("migraine")
    """

    def __init__(self, store: Store, refresh_seconds: float = REFRESH_SECONDS) -> None:
        """Read topics from ``store``; nothing is loaded until first use."""
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._topics: list[Topic] | None = None
        self._loaded = 0.0

    def topics(self) -> list[Topic]:
        """Every topic, sorted by name."""
        with self._lock:
            now = time.monotonic()
            if self._topics is None or now - self._loaded >= self.refresh_seconds:
                self._topics = build_topics(self.store.topic_documents())
                self._loaded = now
            return self._topics

    def get(self, slug: str) -> Topic:
        """The topic with this slug; raises ``TopicNotFoundError``."""
        for topic in self.topics():
            if topic.slug == slug:
                return topic
        raise TopicNotFoundError(f"no topic {slug!r}", hint="see the topic library at /topics")

    def names(self, slugs: Iterable[str]) -> list[Topic]:
        """The known topics among ``slugs``, in the order given."""
        by_slug = {topic.slug: topic for topic in self.topics()}
        return [by_slug[slug] for slug in slugs if slug in by_slug]
