"""Question-level red flags: deterministic, source-cited rules run on every question first.

The rules are data (``rules/red_flags.json``); each names the guidance it follows. A rule fires
when one of its patterns matches the question and no negation word stands just before the match,
so "no chest pain" does not fire while "crushing chest pain" does.

Example:
    rules = load_rules()
    flags = check_question("crushing chest pain and left arm numbness", rules)
    notice = urgent_notice(flags, Audience.PATIENT, emergency_number="911", crisis_line="988")
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from medcite.errors import RuleFileError
from medcite.types import Audience, RedFlag, TriageLevel

_FILE_KEYS = frozenset({"source", "version", "rules"})
_RULE_KEYS = frozenset({"id", "label", "level", "patterns", "advice", "source", "crisis"})
_REQUIRED = frozenset({"id", "label", "level", "patterns", "advice", "source"})
_NEGATION = re.compile(r"\b(no|not|without|denies|denied|never|nor)\b", re.IGNORECASE)
_NEGATION_WORDS = 3


@dataclass(frozen=True, slots=True)
class RedFlagRule:
    """One rule of the red-flag table (see ``rules/red_flags.json``)."""

    id: str
    label: str
    level: TriageLevel
    patterns: tuple[re.Pattern[str], ...]
    advice: str
    source: str
    crisis: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RedFlagRule:
        """Build a rule, rejecting unknown or missing keys and invalid patterns."""
        where = f"red_flags.json rule {data.get('id', '?')!r}"
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise RuleFileError(
                f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}"
            )
        missing = _REQUIRED - set(data)
        if missing or not str(data.get("source", "")).strip():
            raise RuleFileError(f"{where}: missing {sorted(missing) or ['source']}")
        try:
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in data["patterns"])
            level = TriageLevel(data["level"])
        except (re.error, ValueError) as exc:
            raise RuleFileError(f"{where}: {exc}") from exc
        if not patterns:
            raise RuleFileError(f"{where}: needs at least one pattern")
        return cls(
            id=data["id"], label=data["label"], level=level, patterns=patterns,
            advice=data["advice"], source=data["source"], crisis=bool(data.get("crisis", False)),
        )

    def match(self, text: str) -> str | None:
        """The words of ``text`` that fire this rule, or None."""
        for pattern in self.patterns:
            for found in pattern.finditer(text):
                if not _negated(text, found.start()):
                    return found.group(0)
        return None


def _negated(text: str, start: int) -> bool:
    """True when a negation word is among the few words before ``start``."""
    before = text[:start].split()[-_NEGATION_WORDS:]
    return any(_NEGATION.fullmatch(word.strip(",.;:")) for word in before)


def parse_rules(data: dict[str, Any]) -> tuple[RedFlagRule, ...]:
    """Validate a red-flag table (the JSON document) and build its rules."""
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise RuleFileError(
            f"red_flags.json: unknown keys {sorted(unknown)}; allowed: {sorted(_FILE_KEYS)}"
        )
    rules = tuple(RedFlagRule.from_dict(rule) for rule in data.get("rules", []))
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise RuleFileError("red_flags.json: duplicate rule ids")
    return rules


@lru_cache(maxsize=1)
def load_rules() -> tuple[RedFlagRule, ...]:
    """The bundled red-flag rules, validated (cached)."""
    raw = resources.files("medcite.safety").joinpath("rules/red_flags.json").read_text("utf-8")
    return parse_rules(json.loads(raw))


def check_question(text: str, rules: tuple[RedFlagRule, ...] | None = None) -> list[RedFlag]:
    """Red flags found in a question, most urgent first (ties: table order)."""
    found: list[tuple[int, int, RedFlag]] = []
    for order, rule in enumerate(rules if rules is not None else load_rules()):
        words = rule.match(text)
        if words is None:
            continue
        flag = RedFlag(
            id=rule.id, label=rule.label, level=rule.level, advice=rule.advice,
            source=rule.source, finding_ids=[words.strip()],
        )
        found.append((rule.level.rank, order, flag))
    return [flag for _, _, flag in sorted(found, key=lambda item: (item[0], item[1]))]


def urgent_notice(
    flags: list[RedFlag], audience: Audience, *, emergency_number: str, crisis_line: str
) -> str | None:
    """The notice shown before anything else, or None when no red flag fired.

    Patients get plain next steps with the emergency number; clinicians get a consideration
    (not a time-critical command), in line with FDA CDS criterion 3.
    """
    if not flags:
        return None
    labels = "; ".join(flag.label.lower() for flag in flags)
    if audience is Audience.CLINICIAN:
        return (
            f"Warning signs in the question ({labels}). Consider whether emergency assessment is "
            "needed before relying on the evidence summary below."
        )
    emergency = any(flag.level is TriageLevel.EMERGENCY for flag in flags)
    lines = [flag.advice for flag in flags]
    if any(_is_crisis(flag) for flag in flags):
        lines.append(f"Crisis line: call or text {crisis_line}.")
    head = (
        f"Seek emergency care now: call {emergency_number}."
        if emergency
        else "Seek urgent medical care today."
    )
    return " ".join([head, *lines])


def _is_crisis(flag: RedFlag) -> bool:
    return any(rule.crisis for rule in load_rules() if rule.id == flag.id)
