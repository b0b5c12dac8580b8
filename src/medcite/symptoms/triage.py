"""Triage: red-flag rules first, then the ranked causes; the more urgent always wins.

* Red flags are the finding rules of the one red-flag table (:mod:`medcite.safety.red_flags`).
  They fire on *present* findings only, so "no chest pain" never fires the chest-pain rule. Any
  emergency rule makes the triage emergency, whatever the ranking.
* A cause counts for triage when its probability reaches ``CAUSE_THRESHOLD`` (an emergency
  condition only needs ``EMERGENCY_THRESHOLD``: a possible emergency is not ignored).
* Uncertainty never yields self-care: self-care needs a confident self-care ranking (top cause
  at least ``SELF_CARE_CONFIDENCE`` and no more urgent plausible cause); otherwise routine.
  (RELIABILITY.md R-SC-1 and R-SC-3.)
* Advice names the site's emergency number (setting ``answer.emergency_number``).

Usage::

    flags = red_flags(knowledge, findings, age=40, sex=Sex.MALE, contacts=Contacts("911", "988"))
    level = triage_level(flags, [(TriageLevel.SELF_CARE, 0.8)])
    advice(level, Contacts("999", "116 123"))
"""

from __future__ import annotations

from medcite.safety.red_flags import Contacts, check_findings
from medcite.symptoms.knowledge import Knowledge
from medcite.types import Finding, RedFlag, Sex, TriageLevel

CAUSE_THRESHOLD = 0.15
EMERGENCY_THRESHOLD = 0.05
SELF_CARE_CONFIDENCE = 0.5

ADVICE = {
    TriageLevel.EMERGENCY: "Seek emergency care now: call {emergency_number} or go to the "
    "nearest emergency department.",
    TriageLevel.URGENT: "Get medical advice today: contact your doctor, an urgent care centre "
    "or a telephone advice line.",
    TriageLevel.ROUTINE: "Book an appointment with your doctor. Seek help sooner if symptoms "
    "get worse or new symptoms appear.",
    TriageLevel.SELF_CARE: "This can usually be looked after at home; a pharmacist can advise. "
    "See a doctor if it is not better in a few days or gets worse.",
}


def advice(level: TriageLevel, contacts: Contacts) -> str:
    """The plain next steps for a triage level, naming the site's numbers."""
    return contacts.fill(ADVICE[level])


def red_flags(knowledge: Knowledge, findings: list[Finding], *, age: float | None = None,
              sex: Sex = Sex.UNKNOWN, duration_days: float | None = None,
              contacts: Contacts | None = None) -> list[RedFlag]:
    """The red-flag rules that fire on the present findings, most urgent first."""
    present = {f.id for f in findings if f.present}
    return check_findings(present, age=age, sex=sex, duration_days=duration_days,
                          contacts=contacts, rules=knowledge.red_flags)


def triage_level(flags: list[RedFlag], causes: list[tuple[TriageLevel, float]]) -> TriageLevel:
    """The most urgent of the red flags and the plausible causes; never self-care when unsure.

    Args:
        flags: Red flags that fired.
        causes: (triage level, probability) of each ranked cause.
    """
    levels = [flag.level for flag in flags]
    for level, probability in causes:
        needed = EMERGENCY_THRESHOLD if level is TriageLevel.EMERGENCY else CAUSE_THRESHOLD
        if probability >= needed:
            levels.append(level)
    level = TriageLevel.most_urgent(levels)
    if level is TriageLevel.SELF_CARE and not _confident_self_care(flags, causes):
        return TriageLevel.ROUTINE
    return level


def _confident_self_care(flags: list[RedFlag], causes: list[tuple[TriageLevel, float]]) -> bool:
    if flags or not causes:
        return False
    top_level, top_probability = causes[0]
    return top_level is TriageLevel.SELF_CARE and top_probability >= SELF_CARE_CONFIDENCE
