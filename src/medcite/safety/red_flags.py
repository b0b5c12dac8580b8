"""Red flags: deterministic, source-cited rules that run first, on questions and on symptoms.

One table (``rules/red_flags.json``) holds every rule; each names the guidance it follows. A rule
has one or both triggers:

* ``patterns`` for a question: a rule fires when one of its patterns matches the question and no
  negation word stands just before the match, so "no chest pain" does not fire while "crushing
  chest pain" does (:func:`check_question`, used by cited answers);
* ``any_of`` / ``all_of`` finding ids for the symptom checker: the rule fires on findings that
  are present (never on negated ones), within its age, sex and minimum duration
  (:func:`check_findings`; the symptom checker checks that the ids are in its vocabulary).

Advice may name ``{emergency_number}`` and ``{crisis_line}``; the site's numbers are filled in
(:class:`Contacts`, from the settings ``answer.emergency_number`` and ``answer.crisis_line``).
Rules marked ``crisis`` (self-harm, suicide) also show the crisis line.

Example:
    rules = load_rules()
    flags = check_question("crushing chest pain and left arm numbness", rules)
    notice = urgent_notice(flags, Audience.PATIENT, emergency_number="911", crisis_line="988")
    check_findings({"f:chest_pain"}, contacts=Contacts("999", "116 123"))
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from medcite.errors import RuleFileError
from medcite.settings import AnswerSettings
from medcite.types import Audience, RedFlag, Sex, TriageLevel

_FILE_KEYS = frozenset({"source", "version", "rules"})
_RULE_KEYS = frozenset({"id", "label", "level", "patterns", "advice", "source", "crisis",
                        "any_of", "all_of", "age_min", "age_max", "sex", "duration_min_days"})
_REQUIRED = frozenset({"id", "label", "level", "advice", "source"})
_PLACEHOLDERS = frozenset({"emergency_number", "crisis_line"})
_NEGATION = re.compile(r"\b(no|not|without|denies|denied|never|nor)\b", re.IGNORECASE)
_NEGATION_WORDS = 3


@dataclass(frozen=True, slots=True)
class Contacts:
    """The numbers advice text names: the site's emergency number and crisis line."""

    emergency_number: str
    crisis_line: str

    @classmethod
    def from_settings(cls, answer: AnswerSettings) -> Contacts:
        """The numbers configured for the site (``answer.emergency_number``, ``crisis_line``)."""
        return cls(answer.emergency_number, answer.crisis_line)

    def fill(self, text: str) -> str:
        """``text`` with ``{emergency_number}`` and ``{crisis_line}`` replaced."""
        return text.format(emergency_number=self.emergency_number, crisis_line=self.crisis_line)


@dataclass(frozen=True, slots=True)
class FindingTrigger:
    """When a rule fires on symptom-checker findings (all conditions must hold)."""

    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    age_min: float | None = None
    age_max: float | None = None
    sex: Sex | None = None
    duration_min_days: float | None = None

    def fires(self, present: set[str], age: float | None, sex: Sex,
              duration_days: float | None) -> bool:
        """True when the present findings (and age, sex, duration) meet the trigger.

        An unknown sex never rules a rule out; an unknown age rules out only rules for the
        young (``age_max``), an unknown duration every rule that needs one.
        """
        if self.sex is not None and sex not in (self.sex, Sex.UNKNOWN):
            return False
        if self.age_max is not None and (age is None or age > self.age_max):
            return False
        if self.age_min is not None and age is not None and age < self.age_min:
            return False
        if self.duration_min_days is not None and (
                duration_days is None or duration_days < self.duration_min_days):
            return False
        if self.all_of and not set(self.all_of) <= present:
            return False
        return not self.any_of or bool(set(self.any_of) & present)

    @property
    def finding_ids(self) -> frozenset[str]:
        """Every finding id the trigger names."""
        return frozenset((*self.any_of, *self.all_of))


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
    findings: FindingTrigger | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RedFlagRule:
        """Build a rule, rejecting unknown or missing keys, invalid patterns and placeholders."""
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
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in data.get("patterns", []))
            level = TriageLevel(data["level"])
            findings = _trigger(data)
        except (re.error, ValueError, TypeError) as exc:
            raise RuleFileError(f"{where}: {exc}") from exc
        if not patterns and findings is None:
            raise RuleFileError(f"{where}: needs 'patterns' or 'any_of' / 'all_of'")
        _check_placeholders(where, data["advice"])
        return cls(
            id=data["id"], label=data["label"], level=level, patterns=patterns,
            advice=data["advice"], source=data["source"], crisis=bool(data.get("crisis", False)),
            findings=findings,
        )

    def match(self, text: str) -> str | None:
        """The words of ``text`` that fire this rule, or None."""
        for pattern in self.patterns:
            for found in pattern.finditer(text):
                if not _negated(text, found.start()):
                    return found.group(0)
        return None

    def flag(self, finding_ids: list[str], contacts: Contacts | None = None) -> RedFlag:
        """The fired rule as a :class:`RedFlag`, its advice naming the site's numbers."""
        return RedFlag(
            id=self.id, label=self.label, level=self.level,
            advice=(contacts or default_contacts()).fill(self.advice), source=self.source,
            finding_ids=finding_ids, crisis=self.crisis,
        )


def _trigger(data: dict[str, Any]) -> FindingTrigger | None:
    if not data.get("any_of") and not data.get("all_of"):
        extra = {"age_min", "age_max", "sex", "duration_min_days"} & set(data)
        if extra:
            raise ValueError(f"{sorted(extra)} need 'any_of' or 'all_of'")
        return None
    return FindingTrigger(
        any_of=tuple(str(f) for f in data.get("any_of", [])),
        all_of=tuple(str(f) for f in data.get("all_of", [])),
        age_min=data.get("age_min"), age_max=data.get("age_max"),
        sex=Sex(data["sex"]) if data.get("sex") else None,
        duration_min_days=data.get("duration_min_days"),
    )


def _check_placeholders(where: str, advice: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(advice) if name is not None}
    except ValueError as exc:
        raise RuleFileError(f"{where}: advice: {exc}") from exc
    if names - _PLACEHOLDERS:
        raise RuleFileError(f"{where}: advice names unknown {sorted(names - _PLACEHOLDERS)}; "
                            f"allowed: {sorted(_PLACEHOLDERS)}")


def _negated(text: str, start: int) -> bool:
    """True when a negation word is among the few words before ``start``."""
    before = text[:start].split()[-_NEGATION_WORDS:]
    return any(_NEGATION.fullmatch(word.strip(",.;:")) for word in before)


def default_contacts() -> Contacts:
    """The numbers of the default settings (used when a caller gives none)."""
    return Contacts.from_settings(AnswerSettings())


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


def check_question(text: str, rules: tuple[RedFlagRule, ...] | None = None,
                   contacts: Contacts | None = None) -> list[RedFlag]:
    """Red flags found in a question, most urgent first (ties: table order)."""
    found: list[tuple[int, int, RedFlag]] = []
    for order, rule in enumerate(rules if rules is not None else load_rules()):
        words = rule.match(text)
        if words is not None:
            found.append((rule.level.rank, order, rule.flag([words.strip()], contacts)))
    return [flag for _, _, flag in sorted(found, key=lambda item: (item[0], item[1]))]


def check_findings(present: set[str], *, age: float | None = None, sex: Sex = Sex.UNKNOWN,
                   duration_days: float | None = None, contacts: Contacts | None = None,
                   rules: tuple[RedFlagRule, ...] | None = None) -> list[RedFlag]:
    """Red flags that fire on the present findings' ids, most urgent first (ties: by id)."""
    fired = [
        rule.flag(sorted(present & rule.findings.finding_ids), contacts)
        for rule in (rules if rules is not None else load_rules())
        if rule.findings is not None and rule.findings.fires(present, age, sex, duration_days)
    ]
    return sorted(fired, key=lambda flag: (flag.level.rank, flag.id))


def finding_rules(rules: tuple[RedFlagRule, ...] | None = None) -> tuple[RedFlagRule, ...]:
    """The rules with a findings trigger (the symptom checker's red flags)."""
    return tuple(r for r in (rules if rules is not None else load_rules()) if r.findings)


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
    if any(flag.crisis for flag in flags):
        lines.append(f"Crisis line: call or text {crisis_line}.")
    head = (
        f"Seek emergency care now: call {emergency_number}."
        if emergency
        else "Seek urgent medical care today."
    )
    return " ".join([head, *lines])
