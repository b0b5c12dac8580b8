"""Common-condition ranking: a naive-Bayes model over present and absent findings.

Each condition has a prior (its relative ``prevalence`` among people who use a symptom checker,
zero when age or sex rule it out) and P(finding | condition) from ``rules/conditions.json``. A
finding the condition does not list has the finding's ``base_rate`` (a leak probability), so an
unexplained finding lowers a condition without vetoing it. Present findings multiply by
P(f | c), absent ones by 1 - P(f | c): "no fever" lowers meningitis.

Usage::

    ranked = rank_common(load_knowledge(), findings, age=30, sex=Sex.FEMALE)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from medcite.symptoms.knowledge import ConditionDef, Knowledge
from medcite.types import Finding, Sex

AGE_OUTSIDE_FACTOR = 0.0  # a condition outside its age range is ruled out


@dataclass(frozen=True)
class CommonScore:
    """A condition's posterior with the findings for and against it."""

    condition: ConditionDef
    log_score: float
    probability: float
    supporting: tuple[str, ...]
    opposing: tuple[str, ...]


def likelihood(knowledge: Knowledge, condition: ConditionDef, finding_id: str) -> float:
    """P(finding present | condition); the finding's base rate when the condition omits it."""
    listed = condition.findings.get(finding_id)
    if listed is not None:
        return listed
    definition = knowledge.findings.get(finding_id)
    return definition.base_rate if definition else 0.03


def _score(knowledge: Knowledge, condition: ConditionDef,
           findings: list[Finding]) -> tuple[float, tuple[str, ...], tuple[str, ...]]:
    log_score = math.log(condition.prevalence)
    supporting: list[str] = []
    opposing: list[str] = []
    for finding in findings:
        p = likelihood(knowledge, condition, finding.id)
        base = knowledge.findings[finding.id].base_rate if finding.id in knowledge.findings else p
        if finding.present:
            log_score += math.log(p)
            (supporting if p > base else opposing).append(finding.label)
        else:
            log_score += math.log(1.0 - p)
            if p > base:
                opposing.append(f"no {finding.label.lower()}")
    return log_score, tuple(supporting), tuple(opposing)


def rank_common(knowledge: Knowledge, findings: list[Finding], *, age: float | None = None,
                sex: Sex = Sex.UNKNOWN) -> list[CommonScore]:
    """Every possible condition with its posterior, most likely first (ties by id).

    Only findings of our vocabulary count; HPO-only findings are for the rare-disease model.
    """
    known = [f for f in findings if f.id in knowledge.findings]
    if not known:
        return []
    scored = [
        (condition, *_score(knowledge, condition, known))
        for condition in knowledge.conditions
        if condition.possible_for(age, sex)
    ]
    if not scored:
        return []
    top = max(s[1] for s in scored)
    total = sum(math.exp(s[1] - top) for s in scored)
    ranked = [
        CommonScore(condition, log_score, math.exp(log_score - top) / total, sup, opp)
        for condition, log_score, sup, opp in scored
    ]
    return sorted(ranked, key=lambda s: (-s.log_score, s.condition.id))


def posterior(knowledge: Knowledge, conditions: list[ConditionDef],
              findings: list[Finding]) -> list[float]:
    """Normalised posterior over ``conditions`` given ``findings`` (used by the interview)."""
    logs = [_score(knowledge, c, findings)[0] for c in conditions]
    top = max(logs)
    weights = [math.exp(value - top) for value in logs]
    total = sum(weights)
    return [w / total for w in weights]
