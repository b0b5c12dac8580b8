"""Lexical search: user text -> safe FTS5 expression (with medical synonyms) -> BM25 hits.

User text never reaches FTS5 syntax: words are extracted with a regular expression and every
alternative is emitted as a double-quoted string, so ``"``, ``*``, ``NEAR(``, ``-``, ``:`` or
SQL fragments in a question are just (dropped) punctuation or ordinary words.

Example:
    searcher = LexicalSearcher(store, settings.index)
    rows = searcher.search("HTN first-line drug in T2DM", depth=100)
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from medcite.settings import IndexSettings
from medcite.store import LexicalRow, Store
from medcite.store.search import fts5_expression

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TOKENS = 64  # longer questions are cut: FTS5 cost grows with every OR branch
# Only queries with this few concepts try "all concepts" first: longer ones almost never fill
# the candidate list with AND, so the extra query would be wasted.
AND_FIRST_MAX_CONCEPTS = 4
# Any-concept queries rank only passages holding their rarest concepts, up to this many per
# database: PostgreSQL reads each candidate's tsvector from the table to rank it, several times
# the cost per row of FTS5 (1,000 rows: p95 about 3x lower than 5,000 at 83k passages).
ANCHOR_ROWS = {"sqlite": 5000, "postgresql": 1000}
COUNT_CACHE = 50_000  # concept frequencies remembered per searcher
TOTAL_REFRESH_SECONDS = 300.0  # how long the passage total behind the IDFs is reused
# A concept in at most this share of the passages (and in at least one) is rare enough to name
# what a question is about: a drug code, a gene, a trial acronym. medcite's own threshold,
# measured on BioASQ's first 500 questions (0.25 % of 20k snippets = 51 passages; 0.1 % gave
# the same, 0.5 % less).
RARE_SHARE = 0.0025

# Function words that carry no topic; a compact variant of the Snowball English stop-word
# list (snowballstem.org/algorithms/english/stop.txt) plus question words.
STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing for from had has have
    having he her hers him his how i if in into is it its itself me my no nor not of off on once
    only or other our ours out over own same she should so some such than that the their theirs
    them then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours about against between
    during before after above below again further any both each few more most all just now
    also may might must shall""".split()
)
_ALLOWED_KEYS = {"terms", "abbreviations", "source"}


@dataclass(frozen=True, slots=True)
class SynonymEntry:
    """Terms meaning the same thing; abbreviations only match as written (case-sensitive)."""

    terms: tuple[tuple[str, ...], ...]
    abbreviations: frozenset[str]
    source: str

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SynonymEntry:
        """Build an entry from JSON, rejecting unknown keys and entries without a source."""
        unknown = set(data) - _ALLOWED_KEYS
        if unknown:
            raise ValueError(f"synonyms: unknown keys {sorted(unknown)}; allowed: {_ALLOWED_KEYS}")
        if not data.get("source"):
            raise ValueError(f"synonyms: entry {data.get('terms')} has no source")
        terms = tuple(tuple(t.lower() for t in _WORD.findall(str(x))) for x in _list(data, "terms"))
        return cls(terms, frozenset(map(str, _list(data, "abbreviations"))), str(data["source"]))

    def alternatives(self, typed: tuple[str, ...] | None = None) -> list[tuple[str, ...]]:
        """Every way of writing the concept, as word tuples; ``typed`` (as in the query) first."""
        every = list(self.terms) + [(a.lower(),) for a in sorted(self.abbreviations)]
        if typed is None or typed not in every:
            return every
        return [typed] + [alternative for alternative in every if alternative != typed]


def _list(data: dict[str, object], key: str) -> list[object]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"synonyms: {key!r} must be a list")
    return value


@lru_cache(maxsize=1)
def synonym_entries() -> tuple[SynonymEntry, ...]:
    """The bundled synonym table (``index/rules/synonyms.json``), validated."""
    raw = resources.files("medcite.index").joinpath("rules/synonyms.json").read_text("utf-8")
    return tuple(SynonymEntry.from_dict(e) for e in json.loads(raw)["entries"])


@lru_cache(maxsize=1)
def _lookup() -> tuple[dict[tuple[str, ...], SynonymEntry], dict[str, SynonymEntry], int]:
    by_term = {t: e for e in synonym_entries() for t in e.terms if t}
    by_abbr = {a: e for e in synonym_entries() for a in e.abbreviations}
    return by_term, by_abbr, max((len(t) for t in by_term), default=1)


def concepts(query: str, *, expand: bool = True) -> list[list[tuple[str, ...]]]:
    """The query as concepts, each a list of alternative word sequences.

    Stop words are dropped; a word or phrase found in the synonym table becomes one concept
    whose alternatives are all its synonyms.
    """
    words = _WORD.findall(query)[:MAX_QUERY_TOKENS]
    lower = [w.lower() for w in words]
    by_term, by_abbr, longest = _lookup() if expand else ({}, {}, 1)
    found: list[list[tuple[str, ...]]] = []
    i = 0
    while i < len(words):
        entry, width = _match(words, lower, i, by_term, by_abbr, longest)
        if entry is not None:
            found.append(entry.alternatives(tuple(lower[i : i + width])))
        elif lower[i] not in STOPWORDS:
            found.append([(lower[i],)])
        i += width
    return _dedupe(found)


def _match(words: list[str], lower: list[str], i: int,
           by_term: dict[tuple[str, ...], SynonymEntry], by_abbr: dict[str, SynonymEntry],
           longest: int) -> tuple[SynonymEntry | None, int]:
    for width in range(min(longest, len(words) - i), 0, -1):
        entry = by_term.get(tuple(lower[i : i + width]))
        if entry is not None:
            return entry, width
    return by_abbr.get(words[i]), 1


def _dedupe(found: list[list[tuple[str, ...]]]) -> list[list[tuple[str, ...]]]:
    seen: set[tuple[tuple[str, ...], ...]] = set()
    unique = []
    for alternatives in found:
        key = tuple(alternatives)
        if key not in seen:
            seen.add(key)
            unique.append(alternatives)
    return unique


def _group(alternatives: list[tuple[str, ...]]) -> str:
    # The store builds FTS5 syntax (quoted phrases); here it names and orders concepts.
    return fts5_expression([alternatives], "any")


def match_expressions(query: str, *, expand: bool = True) -> tuple[str | None, str] | None:
    """The (all concepts, any concept) FTS5 expressions for ``query``; None if it has no words.

    The first is None when the query has more than ``AND_FIRST_MAX_CONCEPTS`` concepts.
    """
    found = concepts(query, expand=expand)
    if not found:
        return None
    groups = [_group(a) for a in found]
    every = " AND ".join(groups) if len(groups) <= AND_FIRST_MAX_CONCEPTS else None
    return every, " OR ".join(groups)


class LexicalSearcher:
    """BM25 over passages and titles with FTS5: all concepts first, then any concept.

    FTS5 scores every matching row before it can sort, so an any-concept query over common
    words ("treatment", "adults") costs time in proportion to the tens of thousands of
    passages holding them. The any-concept query is therefore *anchored*: only passages that
    hold one of the rarest concepts (together matching at most ``ANCHOR_ROWS`` passages) are
    candidates, and all concepts still score them. Concept frequencies are counted once per
    searcher and cached (they drift slowly as the corpus grows; only the anchor choice uses them).

    Example:
        searcher = LexicalSearcher(store, settings.index)
        rows = searcher.search("statins after MI", depth=50)
    """

    def __init__(self, store: Store, settings: IndexSettings) -> None:
        """Search ``store`` with ``settings`` (title weight, synonym expansion)."""
        self.store = store
        self.settings = settings
        dialect = store.engine.dialect.name
        self.anchor_rows = ANCHOR_ROWS.get(dialect, ANCHOR_ROWS["postgresql"])
        # FTS5's BM25 weighs words by rarity itself; PostgreSQL's ts_rank_cd is given IDFs.
        self.weighs_concepts = dialect != "sqlite"
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._total: tuple[float, int] | None = None  # (when read, passages)
        self._lock = threading.Lock()

    def search(self, query: str, depth: int) -> list[LexicalRow]:
        """Up to ``depth`` passages, best BM25 first; [] when the query has no usable words."""
        found = self._concepts(query)
        if not found:
            return []
        weight = self.settings.title_weight
        idf = self.concept_weights(found)
        if len(found) <= AND_FIRST_MAX_CONCEPTS:
            rows = self.store.lexical_search(found, mode="all", depth=depth, title_weight=weight,
                                             concept_weights=idf)
            if len(rows) >= depth or len(found) == 1:
                return rows
        # Too few passages hold every concept: rank the passages holding any rare concept.
        return self.store.lexical_search(
            found, mode="any", anchors=self.anchors(found), depth=depth, title_weight=weight,
            concept_weights=idf,
        )

    def _concepts(self, query: str) -> list[list[tuple[str, ...]]]:
        """The query's concepts, each with the typed form and its commoner synonyms."""
        return [self._commoner(alternatives)
                for alternatives in concepts(query, expand=self.settings.expand_synonyms)]

    def _commoner(self, alternatives: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """The typed form and the synonyms at least as common in the store.

        BM25 weighs each alternative by its own rarity, so a rare spelling ("tumour" beside
        "tumor") or a rare abbreviation would rank the few passages using it above those using
        the word as typed. Synonyms are added for recall, towards commoner forms only.
        """
        if len(alternatives) == 1:
            return alternatives
        typed, *others = alternatives
        floor = self._count(_group([typed]), [typed])
        return [typed, *(o for o in others if self._count(_group([o]), [o]) >= floor)]

    def rare_holders(self, query: str) -> set[str] | None:
        """The passages holding any of the query's rare concepts (see ``RARE_SHARE``).

        None when the query has fewer than two concepts (then its one word already decides
        every match) or none of them is rare.
        """
        found = self._concepts(query)
        if len(found) < 2:
            return None
        most = max(1.0, RARE_SHARE * self._passages())
        counted = [(alternatives, self._count(_group(alternatives), alternatives))
                   for alternatives in found]
        rare = [(alternatives, n) for alternatives, n in counted if 0 < n <= most]
        if not rare:
            return None
        return self.store.holding_passages([alternatives for alternatives, _ in rare],
                                           limit=sum(n for _, n in rare))

    def concept_weights(self, found: list[list[tuple[str, ...]]]) -> list[float]:
        """Each concept's BM25 inverse document frequency, for databases without one; else []."""
        if not self.weighs_concepts:
            return []
        counts = [self._count(_group(alternatives), alternatives) for alternatives in found]
        total = max([self._passages(), *counts])
        return [math.log(1 + (total - n + 0.5) / (n + 0.5)) for n in counts]

    def _passages(self) -> int:
        with self._lock:
            if self._total is not None and time.monotonic() - self._total[0] < \
                    TOTAL_REFRESH_SECONDS:
                return self._total[1]
        total = self.store.stats().passages
        with self._lock:
            self._total = (time.monotonic(), total)
        return total

    def anchors(self, found: list[list[tuple[str, ...]]]) -> list[list[tuple[str, ...]]]:
        """The rarest concepts, together in at most ``anchor_rows`` passages; [] if all are."""
        keyed = {_group(alternatives): alternatives for alternatives in found}
        counts = {group: self._count(group, keyed[group]) for group in keyed}
        anchors: list[str] = []
        total = 0
        for group in sorted(keyed, key=lambda g: (counts[g], g)):
            if anchors and total + counts[group] > self.anchor_rows:
                break
            anchors.append(group)
            total += counts[group]
        if len(anchors) == len(keyed):
            return []
        return [keyed[group] for group in anchors]

    def _count(self, group: str, alternatives: list[tuple[str, ...]]) -> int:
        with self._lock:
            if group in self._counts:
                self._counts.move_to_end(group)
                return self._counts[group]
        count = self.store.lexical_count([alternatives])
        with self._lock:
            self._counts[group] = count
            if len(self._counts) > COUNT_CACHE:
                self._counts.popitem(last=False)
        return count
