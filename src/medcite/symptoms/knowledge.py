"""The symptom checker's medical knowledge, read from ``rules/*.json`` and validated on load.

Clinicians review the JSON, not this code. Each entry is built by a ``from_dict`` that rejects
unknown keys (listing the allowed ones), and every condition names its ``source``. The red-flag
rules are not here: they are the one table of :mod:`medcite.safety.red_flags`, whose finding
rules must name findings of this vocabulary. Cross-references (a condition's findings, a rule's
findings) are checked on load.

Durations: ``SymptomQuery.duration_days`` (or "for 3 days" in the text) is used only where the
knowledge states one, today the red-flag rules' ``duration_min_days``. The conditions carry no
sourced typical duration (acute or chronic course) yet, so the ranking does not use it: adding
one needs a reviewed source per condition, not a guess.

Usage::

    kb = load_knowledge()
    kb.findings["f:fever"].label        # -> "Fever"
    kb.conditions[0].likelihood("f:fever")
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from medcite.errors import RuleFileError
from medcite.safety.red_flags import RedFlagRule, finding_rules
from medcite.types import Sex, TriageLevel

DEFAULT_BASE_RATE = 0.03


def _check_keys(kind: str, data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RuleFileError(
            f"{kind} {data.get('id', '?')}: unknown keys {unknown}",
            hint=f"allowed keys: {sorted(allowed)}",
        )
    if "source" in allowed and not str(data.get("source") or "").strip():
        raise RuleFileError(f"{kind} {data.get('id', '?')}: every entry needs a 'source'")


def _probability(kind: str, value: Any) -> float:
    number = float(value)
    if not 0.0 < number < 1.0:
        raise RuleFileError(f"{kind}: probability {value} must be strictly between 0 and 1")
    return number


@dataclass(frozen=True)
class FindingDef:
    """A finding of our vocabulary: how people say it, how we ask about it, its HPO term."""

    id: str
    label: str
    phrases: tuple[str, ...]
    question: str
    hpo_id: str | None
    base_rate: float

    _ALLOWED = frozenset({"id", "label", "phrases", "question", "hpo_id", "base_rate"})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FindingDef:
        """Build from one JSON entry; unknown keys are an error."""
        _check_keys("finding", data, cls._ALLOWED)
        return cls(
            id=str(data["id"]),
            label=str(data["label"]),
            phrases=tuple(str(p).lower() for p in data.get("phrases", [])),
            question=str(data["question"]),
            hpo_id=data.get("hpo_id"),
            base_rate=_probability(data["id"], data.get("base_rate", DEFAULT_BASE_RATE)),
        )


@dataclass(frozen=True)
class ConditionDef:
    """A common condition: prior weight, triage level and P(finding | condition)."""

    id: str
    name: str
    triage: TriageLevel
    prevalence: float
    findings: dict[str, float]
    source: str
    articles: tuple[str, ...] = ()
    sex: Sex | None = None
    age_min: float | None = None
    age_max: float | None = None

    _ALLOWED = frozenset({"id", "name", "triage", "prevalence", "findings", "source",
                          "articles", "sex", "age_min", "age_max"})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConditionDef:
        """Build from one JSON entry; unknown keys are an error."""
        _check_keys("condition", data, cls._ALLOWED)
        if float(data["prevalence"]) <= 0:
            raise RuleFileError(f"condition {data['id']}: prevalence must be positive")
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            triage=TriageLevel(data["triage"]),
            prevalence=float(data["prevalence"]),
            findings={k: _probability(data["id"], v) for k, v in data["findings"].items()},
            source=str(data["source"]),
            articles=tuple(data.get("articles", [])),
            sex=Sex(data["sex"]) if data.get("sex") else None,
            age_min=data.get("age_min"),
            age_max=data.get("age_max"),
        )

    def possible_for(self, age: float | None, sex: Sex) -> bool:
        """False when the person's age or sex rules the condition out."""
        if self.sex is not None and sex not in (Sex.UNKNOWN, self.sex):
            return False
        if age is None:
            return True
        return not ((self.age_min is not None and age < self.age_min)
                    or (self.age_max is not None and age > self.age_max))


@dataclass(frozen=True)
class Knowledge:
    """Everything the checker knows: findings, conditions and the red-flag rules on findings
    (those live in :mod:`medcite.safety.red_flags`, the one red-flag table)."""

    findings: dict[str, FindingDef]
    conditions: tuple[ConditionDef, ...]
    red_flags: tuple[RedFlagRule, ...]

    def by_hpo(self) -> dict[str, FindingDef]:
        """Our findings keyed by their HPO id."""
        return {f.hpo_id: f for f in self.findings.values() if f.hpo_id}

    def validate(self) -> None:
        """Every finding a condition or rule mentions must be in the vocabulary."""
        for condition in self.conditions:
            self._known(condition.id, condition.findings)
        for rule in self.red_flags:
            self._known(rule.id, rule.findings.finding_ids if rule.findings else ())

    def _known(self, owner: str, ids: Any) -> None:
        missing = sorted(set(ids) - set(self.findings))
        if missing:
            raise RuleFileError(f"{owner}: unknown findings {missing}")


def _read(name: str, key: str) -> list[dict[str, Any]]:
    text = (resources.files("medcite.symptoms") / "rules" / name).read_text(encoding="utf-8")
    try:
        entries = json.loads(text)[key]
    except (json.JSONDecodeError, KeyError) as exc:
        raise RuleFileError(f"rules/{name}: not a JSON object with a '{key}' list") from exc
    return list(entries)


@functools.cache
def load_knowledge() -> Knowledge:
    """Load and validate the bundled rule files (once per process)."""
    try:
        knowledge = Knowledge(
            findings={f.id: f for f in map(FindingDef.from_dict, _read("findings.json",
                                                                        "findings"))},
            conditions=tuple(map(ConditionDef.from_dict, _read("conditions.json", "conditions"))),
            red_flags=finding_rules(),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise RuleFileError(f"invalid symptom rule file: {exc}") from exc
    knowledge.validate()
    return knowledge
