"""Extractive composition: evidence sentences chosen and arranged into sections per audience.

Every statement is one sentence of a stored passage, at most lightly normalised (whitespace,
list markers, a capital first letter), so it never says more than its passage; its quote is
the exact sentence. Deterministic: every sort has an explicit tie-break.

Example:
    sections = compose(analysis, evidence, Audience.CLINICIAN, max_statements=5)
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from medcite.answer.evidence import named_coverage, source_coverages
from medcite.answer.question import content_stems
from medcite.answer.sentences import passage_sentences
from medcite.answer.templates import SectionRule, Template, Templates, templates
from medcite.types import AnswerSection, Audience, Evidence, QuestionAnalysis, Quote, Statement

_MIN_CHARS = 20
_SAME_SOURCE_DECAY = 0.75
_DUPLICATE_JACCARD = 0.6
_CORROBORATION = 0.9  # share of the statement's content words another sentence must contain
_MAX_CORROBORATING = 2
_QUESTION_SECTION = "questions to ask your doctor"


@dataclass(frozen=True, slots=True, eq=False)  # each span is its own sentence: compare by identity
class Sentence:
    """A candidate sentence: an exact span of one evidence passage."""

    evidence: Evidence
    text: str
    stems: frozenset[str]
    order: tuple[int, int]


@dataclass(slots=True)
class _Picker:
    analysis: QuestionAnalysis
    coverage: dict[str, float]
    used_sources: Counter[str] = field(default_factory=Counter)
    chosen: list[Sentence] = field(default_factory=list)
    subject: frozenset[str] = field(init=False)
    populations: tuple[frozenset[str], ...] = field(init=False)  # stems of each population

    def __post_init__(self) -> None:
        self.subject = frozenset(self.analysis.subject_terms)
        self.populations = tuple(frozenset(content_stems(p)) for p in self.analysis.population)

    def fit(self, sentence: Sentence, rule: SectionRule) -> float:
        """How well a sentence fits a section, before the same-source decay."""
        subject = self.subject
        overlap = len(subject & sentence.stems) / len(subject) if subject else 0.0
        cues = sum(1 for cue in rule.cues if cue.search(sentence.text))
        population = sum(1 for stems in self.populations if stems & sentence.stems)
        return (
            2.0 * overlap
            + self.coverage.get(sentence.evidence.source.id, 0.0)
            + 0.5 * min(cues, 3)
            + 0.5 * population
            + 1.0 / math.sqrt(1 + sentence.evidence.rank)
        )

    def score(self, sentence: Sentence, fit: float) -> float:
        """The fit, decayed by how often the section already uses the sentence's source."""
        decay: float = _SAME_SOURCE_DECAY ** self.used_sources[sentence.evidence.source.id]
        return fit * decay

    def duplicate(self, sentence: Sentence) -> bool:
        for other in self.chosen:
            union = sentence.stems | other.stems
            if union and len(sentence.stems & other.stems) / len(union) > _DUPLICATE_JACCARD:
                return True
        return False

    def pick(self, pool: Sequence[Sentence], rule: SectionRule, count: int) -> list[Sentence]:
        """Greedily choose ``count`` sentences, re-scoring after each (source diversity)."""
        picked: list[Sentence] = []
        self.used_sources.clear()  # diversity within a section; a main source may recur
        taken = set(self.chosen)
        remaining = [s for s in pool if s not in taken]
        fits = {s: self.fit(s, rule) for s in remaining}  # only the decay changes per pick
        while remaining and len(picked) < count:
            best = max(remaining, key=lambda s: (self.score(s, fits[s]), _neg(s.order)))
            remaining.remove(best)
            if self.duplicate(best):
                continue
            picked.append(best)
            self.chosen.append(best)
            self.used_sources[best.evidence.source.id] += 1
        return picked


def _neg(order: tuple[int, int]) -> tuple[int, int]:
    return (-order[0], -order[1])


def sentences_of(evidence: Sequence[Evidence], rules: Templates, audience: Audience,
                 ) -> list[Sentence]:
    """Candidate sentences of the evidence, minus instructions and (for clinicians) directives."""
    banned = rules.skip_sentence + (
        rules.clinician_directives if audience is Audience.CLINICIAN else ()
    )
    found: list[Sentence] = []
    for item in evidence:
        for span in passage_sentences(item.passage.text):
            if len(span.text) < _MIN_CHARS or _matches_any(span.text, banned):
                continue
            found.append(Sentence(item, span.text, span.stems, (item.rank, span.start)))
    return found


@lru_cache(maxsize=8192)  # the same passages' sentences recur in every answer on a topic
def _matches_any(sentence: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(p.search(sentence) for p in patterns)


def _about_subject(sentence: Sentence, picker: _Picker, named: dict[str, float],
                   threshold: float) -> bool:
    """A sentence qualifies when its source names the subject, or it names the subject itself
    and its source covers the subject."""
    source_id = sentence.evidence.source.id
    if named.get(source_id, 0.0) >= threshold:
        return True
    mentions = set(picker.analysis.subject_terms) & sentence.stems
    return bool(mentions) and picker.coverage.get(source_id, 0.0) >= threshold


def _pool(sentences: Sequence[Sentence], rule: SectionRule, claimed: set[str]) -> list[Sentence]:
    heading_ok = [
        s for s in sentences
        if rule.feeds(s.evidence.passage.section, s.evidence.passage.category)
        and (not rule.fallback or (s.evidence.passage.section.lower() not in claimed
                                   and s.evidence.passage.category is None))
    ]
    if rule.title.lower() == _QUESTION_SECTION:
        return heading_ok
    return [s for s in heading_ok if not s.text.rstrip().endswith("?")]


def compose(
    analysis: QuestionAnalysis,
    evidence: Sequence[Evidence],
    audience: Audience,
    *,
    max_statements: int = 5,
    threshold: float = 0.5,
) -> list[AnswerSection]:
    """Compose the answer sections for ``audience`` from ``evidence``; bottom line first."""
    rules = templates()
    template = rules.for_audience(audience)
    picker = _Picker(analysis, source_coverages(analysis, evidence))
    named = {e.source.id: named_coverage(set(analysis.subject_terms), e.source) for e in evidence}
    sentences = [s for s in sentences_of(evidence, rules, audience)
                 if _about_subject(s, picker, named, threshold)]
    sections: list[AnswerSection] = []
    bottom = picker.pick(_pool(sentences, template.bottom_line, set()), template.bottom_line,
                         template.bottom_line.count)
    if bottom:
        sections.append(_section(template.bottom_line.title, bottom, sentences, bold=True))
    for rule in template.sections:
        if not rule.wanted(analysis.intents, analysis.population):
            continue
        chosen = picker.pick(_pool(sentences, rule, _claimed(template)), rule, max_statements)
        if chosen:
            sections.append(_section(rule.title, chosen, sentences))
    return sections


def _claimed(template: Template) -> set[str]:
    """Headings some non-fallback section takes (so the fallback leaves them alone)."""
    rules = [template.bottom_line, *template.sections]
    return {h for rule in rules if not rule.fallback for h in rule.headings if h}


def normalise(sentence: str) -> str:
    """Light normalisation that never adds meaning: whitespace, list markers, first capital."""
    text = " ".join(sentence.split()).lstrip("-*• ").strip()
    return text[:1].upper() + text[1:] if text else text


def corroborating(chosen: Sentence, pool: Sequence[Sentence]) -> list[Sentence]:
    """Sentences of other sources that say all of what ``chosen`` says (best first, at most 2)."""
    if not chosen.stems:
        return []
    stems, size, source_id = chosen.stems, len(chosen.stems), chosen.evidence.source.id
    found = [
        s for s in pool
        if len(s.stems) / size >= _CORROBORATION  # else it cannot hold enough of them
        and s.evidence.source.id != source_id
        and len(stems & s.stems) / size >= _CORROBORATION
    ]
    found.sort(key=lambda s: (-len(chosen.stems & s.stems) / len(s.stems | chosen.stems), s.order))
    unique: dict[str, Sentence] = {}
    for sentence in found:
        unique.setdefault(sentence.evidence.source.id, sentence)
    return list(unique.values())[:_MAX_CORROBORATING]


def _section(title: str, chosen: Sequence[Sentence], pool: Sequence[Sentence], *,
             bold: bool = False) -> AnswerSection:
    statements = []
    for sentence in chosen:
        cited = [sentence, *corroborating(sentence, pool)]
        statements.append(
            Statement(
                text=normalise(sentence.text),
                evidence_ids=[s.evidence.id for s in cited],
                quotes=[Quote(passage_id=s.evidence.id, text=s.text) for s in cited],
                support=1.0,
                bold=bold,
            )
        )
    return AnswerSection(title=title, statements=statements)
