"""From retrieval hits to evidence: join stored passages and sources, choose sources, judge
sufficiency.

Sources are chosen by relevance (best hit rank, subject named in title or topics, the audience
they were written for), with the evidence tier as the tie-break, and every passage of a chosen
source becomes evidence, so an answer can draw on a source's other sections (dosing, special
populations) even when retrieval ranked only one of them. Retracted sources are never used.

The store is read in bulk, once per retrieval (``StoredEvidence``): the hits' sources in one
query, and the passages of the sources an audience chooses in one more, kept for the other
audience of the same drafting.

Example:
    hits = retriever.search(analysis.search_text, k=30)
    stored = StoredEvidence(store, hits)
    evidence = gather_evidence(stored, analysis, Audience.CLINICIAN, max_sources=8)
    sufficient, reason = sufficiency(analysis, evidence, threshold=0.5)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from medcite.answer.question import content_stems
from medcite.answer.sentences import passage_sentences
from medcite.store import Store
from medcite.types import Audience, Evidence, Passage, QuestionAnalysis, Source, SourceKind

# Evidence tiers for ranking ties (RELIABILITY.md R-EV-4): guideline > systematic review/
# meta-analysis > RCT > observational > review > case report > other. Lower is better.
_TIERS = {
    "guideline": 0, "systematic_review": 1, "meta_analysis": 1, "rct": 2, "clinical_trial": 3,
    "observational": 4, "review": 5, "case_report": 6,
}
_OTHER_TIER = 7
_MIN_FITTING = 1
_RELATIVE_NAMED = 0.75
_MIN_MENTIONS = 2
_SHORT_SUBJECT = 3


class HitLike(Protocol):
    """What evidence needs from a retrieval hit (``medcite.types.Hit`` satisfies it)."""

    @property
    def passage_id(self) -> str:
        """Id of the retrieved passage."""
        ...

    @property
    def source_id(self) -> str:
        """Id of the passage's source."""
        ...

    @property
    def score(self) -> float:
        """Retrieval score, higher is better."""
        ...

    @property
    def rank(self) -> int:
        """1-based rank."""
        ...


class Retriever(Protocol):
    """Anything that searches passages (``medcite.index.retrieve.HybridRetriever``)."""

    def search(self, query: str, k: int = 10, filters: Any = None) -> Sequence[HitLike]:
        """The ``k`` best passages for ``query``, best first."""
        ...


def tier(source: Source) -> int:
    """Evidence tier of a source, 0 (guideline) is best."""
    if source.kind is SourceKind.GUIDELINE:
        return 0
    return _TIERS.get((source.study_type or "").lower(), _OTHER_TIER)


def source_terms(source: Source) -> set[str]:
    """Content stems of a source's title and topics."""
    return set(content_stems(" ".join([source.title, *source.topics])))


@dataclass(slots=True)
class _Candidate:
    source_id: str
    best_rank: int
    hits: dict[str, tuple[float, int]]


def _candidates(hits: Sequence[HitLike]) -> list[_Candidate]:
    by_source: dict[str, _Candidate] = {}
    for hit in sorted(hits, key=lambda h: (h.rank, h.passage_id)):
        found = by_source.setdefault(hit.source_id, _Candidate(hit.source_id, hit.rank, {}))
        found.hits.setdefault(hit.passage_id, (hit.score, hit.rank))
    return list(by_source.values())


class StoredEvidence:
    """The stored sources behind one retrieval's hits, and their passages, read in bulk.

    The hits' sources are read in one query when it is built; the passages of the sources an
    answer uses are read in one query per call, and kept, so the second audience of a drafting
    reads only what the first did not. Build one per retrieval; not shared between threads.

    Example:
        stored = StoredEvidence(store, hits)
        clinician = gather_evidence(stored, analysis, Audience.CLINICIAN)
        patient = gather_evidence(stored, analysis, Audience.PATIENT)
    """

    def __init__(self, store: Store, hits: Sequence[HitLike]) -> None:
        """Read the sources of ``hits`` from ``store`` (sources deleted since are left out)."""
        self.store = store
        self.hits = list(hits)
        self.candidates = _candidates(self.hits)
        ids = [c.source_id for c in self.candidates]
        self.sources: dict[str, Source] = store.sources(ids) if ids else {}
        self._passages: dict[str, list[Passage]] = {}

    def passages_of(self, source_ids: Sequence[str]) -> dict[str, list[Passage]]:
        """The passages of each of ``source_ids`` in reading order (read once, in bulk)."""
        missing = [sid for sid in dict.fromkeys(source_ids) if sid not in self._passages]
        if missing:
            self._passages.update(self.store.passages_of_sources(missing))
        return {sid: self._passages[sid] for sid in source_ids}


def named_coverage(subject: set[str], source: Source) -> float:
    """Share of the subject terms named in a source's title or topics."""
    return len(subject & source_terms(source)) / len(subject) if subject else 0.0


_Scored = tuple[float, int, str, Source, "_Candidate"]


def _prefer(scored: list[_Scored], keep: Callable[[Source], bool]) -> list[_Scored]:
    """Only the sources that ``keep`` accepts, unless it accepts none."""
    kept = [item for item in scored if keep(item[3])]
    return kept if len(kept) >= _MIN_FITTING else scored


def _relevance(source: Source, best_rank: int, analysis: QuestionAnalysis, audience: Audience,
               ) -> float:
    named = named_coverage(set(analysis.subject_terms), source)
    return 1.0 / (1 + best_rank) + named + (0.5 if _fits(source, audience) else 0.0)


def _fits(source: Source, audience: Audience) -> bool:
    return source.audience is None or source.audience is audience


def gather_evidence(
    stored: StoredEvidence,
    analysis: QuestionAnalysis,
    audience: Audience,
    *,
    max_sources: int = 8,
    on_topic: float = 0.5,
) -> list[Evidence]:
    """Evidence for a question: all passages of the most relevant retrieved sources.

    Args:
        stored: Retrieval hits (any order) with their stored sources and passages.
        analysis: The analysed question (its subject weighs source choice).
        audience: Sources written for this audience are preferred.
        max_sources: Most sources to read.
        on_topic: When enough sources name this share of the subject in their title or
            topics, sources that do not are left out.

    Returns:
        Evidence ranked 1..n: by source relevance, then the source's hit passages, then the rest
        of the source in reading order.
    """
    scored: list[_Scored] = []
    for candidate in stored.candidates:
        source = stored.sources.get(candidate.source_id)
        if source is None or source.retracted:  # deleted since it was indexed, or retracted
            continue
        relevance = _relevance(source, candidate.best_rank, analysis, audience)
        scored.append((-relevance, tier(source), source.id, source, candidate))
    scored.sort(key=lambda item: item[:3])
    subject = set(analysis.subject_terms)
    named = {item[2]: named_coverage(subject, item[3]) for item in scored}
    # On topic: names enough of the subject, relative to the best-named source.
    bar = min(on_topic, _RELATIVE_NAMED * max(named.values(), default=0.0))
    if bar > 0:
        scored = _prefer(scored, lambda source: named[source.id] >= bar)
    scored = _prefer(scored, lambda source: _fits(source, audience))
    chosen = scored[:max_sources]
    passages = stored.passages_of([item[2] for item in chosen])
    evidence: list[Evidence] = []
    for _, _, _, source, candidate in chosen:
        evidence.extend(
            _source_evidence(source, candidate, passages[source.id], start=len(evidence))
        )
    return evidence


def _source_evidence(source: Source, candidate: _Candidate, passages: Sequence[Passage], *,
                     start: int) -> list[Evidence]:
    floor = min((score for score, _ in candidate.hits.values()), default=0.0)
    ordered = sorted(
        passages,
        key=lambda p: (candidate.hits.get(p.id, (0.0, 10**9))[1], p.ordinal),
    )
    return [
        Evidence(
            id=passage.id,
            passage=passage,
            source=source,
            score=candidate.hits.get(passage.id, (floor * 0.5, 0))[0],
            rank=start + offset + 1,
        )
        for offset, passage in enumerate(ordered)
    ]


def coverage(analysis: QuestionAnalysis, source: Source, texts: Sequence[str]) -> float:
    """Share of the question's subject terms found in a source's title, topics and texts."""
    subject = set(analysis.subject_terms)
    if not subject:
        return 0.0
    found = source_terms(source) | set(content_stems(" ".join(texts)))
    return len(subject & found) / len(subject)


def sufficiency(
    analysis: QuestionAnalysis, evidence: Sequence[Evidence], *, threshold: float
) -> tuple[bool, str | None]:
    """Whether some source covers the question's subject well enough to answer from it.

    A source answers when the subject words it names in its title or topics, or in a text that
    discusses them in at least two sentences, cover enough of the subject: all of a subject of
    up to three words, else ``threshold`` of it (weighted) (a passing mention in
    a list of differential diagnoses does not answer "how is X treated?"). Subject terms are
    weighted by how rare they are among the gathered sources, so a missing specific word
    ("yellow" in "yellow fever vaccine") weighs more than a common one ("fever").

    Returns:
        ``(True, None)``, or ``(False, reason)`` with a reason fit to show the reader.
    """
    if not analysis.subject_terms:
        return False, "The question does not name a condition, drug or topic that could be found."
    if not evidence:
        return False, "No stored source matched the question."
    profiles = _profiles(analysis, evidence)
    weights = _term_weights(analysis.subject_terms, profiles)
    # A short subject ("yellow fever vaccine") must be covered whole: each word names it.
    needed = 1.0 if len(weights) <= _SHORT_SUBJECT else threshold
    best = 0.0
    for named, found, mentions in profiles.values():
        covered = named | (found if mentions >= _MIN_MENTIONS else set())
        best = max(best, _weighted(covered, weights))
    if best < needed:
        return False, (
            f"The stored evidence does not cover this question: no source discusses "
            f"'{' '.join(analysis.subject_terms)}' (best weighted coverage {best:.0%}, "
            f"{needed:.0%} needed)."
        )
    return True, None


_Profile = tuple[set[str], set[str], int]


def _profiles(analysis: QuestionAnalysis, evidence: Sequence[Evidence]) -> dict[str, _Profile]:
    """Per source: subject terms named (title/topics), found in the text, sentences naming any."""
    subject = set(analysis.subject_terms)
    profiles: dict[str, _Profile] = {}
    for item in evidence:
        named, found, mentions = profiles.get(
            item.source.id, (subject & source_terms(item.source), set(), 0)
        )
        for sentence in passage_sentences(item.passage.text):
            hit = subject & sentence.stems
            found |= hit
            mentions += bool(hit)
        profiles[item.source.id] = (named, found, mentions)
    return profiles


def _term_weights(terms: Sequence[str], profiles: dict[str, _Profile]) -> dict[str, float]:
    """Rarer among the gathered sources = heavier: 1 / (1 + sources containing it), where a
    term no source contains weighs like one that a single source contains."""
    weights: dict[str, float] = {}
    for term in terms:
        holders = sum(term in named | found for named, found, _ in profiles.values())
        weights[term] = 1.0 / (1 + max(1, holders))
    return weights


def _weighted(found: set[str], weights: dict[str, float]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in found) / total if total else 0.0


def source_coverages(
    analysis: QuestionAnalysis, evidence: Sequence[Evidence]
) -> dict[str, float]:
    """Coverage of the question's subject per source id of ``evidence``."""
    texts: dict[str, list[str]] = {}
    sources: dict[str, Source] = {}
    for item in evidence:
        texts.setdefault(item.source.id, []).append(item.passage.text)
        sources[item.source.id] = item.source
    return {sid: coverage(analysis, sources[sid], texts[sid]) for sid in texts}
