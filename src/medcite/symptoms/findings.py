"""Free text -> findings (present or absent), plus age, sex and duration when the text says them.

Matching is by phrase, at word boundaries, against our vocabulary (``rules/findings.json``) and,
for what that misses, against HPO term labels and ``HP:`` ids. Negation follows the NegEx idea
(Chapman et al., J Biomed Inform 2001): a trigger such as "no", "denies" or "without" negates the
findings after it in the same clause; a clause ends at punctuation or "but"; "has"/"with" after
a trigger starts affirmed text again ("no fever but has a stiff neck").

Usage::

    read_findings("bad headache, no fever")   # -> headache present, fever absent
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medcite.symptoms.hpo import PHENOTYPIC_ABNORMALITY, HpoIndex, format_id, parse_id
from medcite.symptoms.knowledge import FindingDef, Knowledge
from medcite.types import Finding, Sex

_CLAUSE = re.compile(r"[.;!?,\n]+|\b(?:but|however|although|though|except)\b")
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|denies|denied|deny|negative for|free of|absence of|"
    r"isn't|aren't|don't|doesn't|didn't|haven't|hasn't|nor)\b|\bno\b"
)
_AFFIRM = re.compile(r"\b(?:has|have|had|with|got|feel|feels|i am|i'm|there is|plus)\b")
_HPO_ID = re.compile(r"\bhp:\d{7}\b")
_WORD = re.compile(r"[a-z0-9'\-]+")
_AGE = re.compile(r"\b(\d{1,3})[\s-]*(?:years?|yrs?|y/?o)\b|\baged?\s+(\d{1,3})\b")
_MONTHS = re.compile(r"\b(\d{1,2})[\s-]*(months?|weeks?)[\s-]*old\b")
_DURATION = re.compile(r"\b(?:for|since|past|last)\s+(\d{1,3}|a|an|one|two|three)\s+"
                       r"(hour|day|week|month|year)s?\b")
_UNITS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.0, "year": 365.0}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_FEMALE = re.compile(r"\b(?:woman|female|girl|she|her|mother|pregnant|lady)\b")
_MALE = re.compile(r"\b(?:man|male|boy|he|his|father|gentleman)\b")
MAX_NGRAM = 6


@dataclass(frozen=True)
class Context:
    """Age, sex and duration read from free text (None / unknown when not said)."""

    age: float | None
    sex: Sex
    duration_days: float | None


def read_context(text: str) -> Context:
    """Age (years), sex and duration (days) mentioned in ``text``."""
    lower = text.lower()
    age: float | None = None
    if months := _MONTHS.search(lower):
        age = int(months.group(1)) / (12 if months.group(2).startswith("month") else 52)
    elif match := _AGE.search(lower):
        age = float(match.group(1) or match.group(2))
    sex = Sex.FEMALE if _FEMALE.search(lower) else Sex.MALE if _MALE.search(lower) else Sex.UNKNOWN
    duration: float | None = None
    if span := _DURATION.search(lower):
        count = _NUMBERS.get(span.group(1)) or int(span.group(1))
        duration = count * _UNITS[span.group(2)]
    return Context(age=age if age is None or age <= 130 else None, sex=sex, duration_days=duration)


class FindingReader:
    """Turns free text into findings with our vocabulary and, optionally, HPO labels.

    Usage::

        reader = FindingReader(load_knowledge(), load_hpo())
        reader.read("no chest pain, short of breath")
    """

    def __init__(self, knowledge: Knowledge, hpo: HpoIndex | None = None) -> None:
        self.knowledge = knowledge
        self.hpo = hpo
        self._phrases = sorted(
            ((phrase, f) for f in knowledge.findings.values() for phrase in f.phrases),
            key=lambda item: (-len(item[0]), item[0]),
        )
        self._by_hpo = knowledge.by_hpo()

    def read(self, text: str) -> list[Finding]:
        """Findings in ``text``, in order of first mention; a later mention wins over an earlier."""
        found: dict[str, Finding] = {}
        for clause in _CLAUSE.split(text.lower()):
            for finding in self._read_clause(clause or ""):
                found.pop(finding.id, None)
                found[finding.id] = finding
        return list(found.values())

    def _read_clause(self, clause: str) -> list[Finding]:
        ours = self._vocabulary_spans(clause)
        extra = [(s, e, d) for s, e, d in self._hpo_spans(clause)
                 if not any(s < oe and os < e for os, oe, _ in ours)]
        spans = ours + [span for span in extra if span[2].id not in {d.id for *_, d in ours}]
        return [
            self._finding(start, definition, clause)
            for start, _end, definition in sorted(spans, key=lambda s: s[0])
        ]

    def _finding(self, start: int, definition: FindingDef, clause: str) -> Finding:
        return Finding(
            id=definition.id,
            label=definition.label,
            hpo_id=definition.hpo_id,
            present=not negated(clause[:start]),
        )

    def _vocabulary_spans(self, clause: str) -> list[tuple[int, int, FindingDef]]:
        padded = f" {clause} "
        taken: list[tuple[int, int, FindingDef]] = []
        seen: set[str] = set()
        for phrase, definition in self._phrases:
            for match in re.finditer(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", padded):
                start, end = match.start() - 1, match.end() - 1
                overlaps = any(s < end and start < e for s, e, _ in taken)
                if not overlaps and definition.id not in seen:
                    taken.append((start, end, definition))
                    seen.add(definition.id)
        return taken

    def _hpo_spans(self, clause: str) -> list[tuple[int, int, FindingDef]]:
        if self.hpo is None:
            return []
        spans = [(m.start(), m.end(), parse_id(m.group(0))) for m in _HPO_ID.finditer(clause)]
        words = list(_WORD.finditer(clause))
        for size in range(MAX_NGRAM, 0, -1):
            for i in range(len(words) - size + 1):
                start, end = words[i].start(), words[i + size - 1].end()
                spans.append((start, end, self.hpo.term_id(clause[start:end])))
        out: list[tuple[int, int, FindingDef]] = []
        for start, end, term in spans:
            if term is None or not self.hpo.known(term):
                continue
            if PHENOTYPIC_ABNORMALITY not in self.hpo.ancestors(term):
                continue
            if not any(s < end and start < e for s, e, _ in out):
                out.append((start, end, self.hpo_finding(term)))
        return out

    def unmatched(self, text: str) -> list[str]:
        """Parts of ``text`` (clauses) in which no finding was recognised, at most 10."""
        parts = [c.strip() for c in _CLAUSE.split(text.lower()) if c and c.strip()]
        return [c[:80] for c in parts if not self._read_clause(c)][:10]

    def hpo_finding(self, term: int) -> FindingDef:
        """Our finding for an HPO term when we have one, else one built from the HPO label."""
        assert self.hpo is not None
        hpo_id = format_id(term)
        ours = self._by_hpo.get(hpo_id)
        if ours is not None:
            return ours
        label = self.hpo.name(term)
        return FindingDef(id=hpo_id, label=label, phrases=(), hpo_id=hpo_id,
                          question=f"Do you have this: {label.lower()}?", base_rate=0.03)


def negated(before: str) -> bool:
    """True when the text before a finding (same clause) negates it."""
    triggers = list(_NEGATION.finditer(before))
    if not triggers:
        return False
    return not _AFFIRM.search(before[triggers[-1].end():])
