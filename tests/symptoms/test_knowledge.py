"""The rule files: validated on load, sourced, and internally consistent."""

from __future__ import annotations

import pytest

from medcite.errors import RuleFileError
from medcite.symptoms.hpo import load_hpo, parse_id
from medcite.symptoms.knowledge import ConditionDef, RedFlagRule, load_knowledge
from medcite.types import TriageLevel

COMMON = ("migraine", "tension_headache", "meningitis", "stroke", "acs", "pulmonary_embolism",
          "pneumonia", "uti", "pyelonephritis", "appendicitis", "gastroenteritis",
          "muscle_strain", "spasticity", "muscle_cramps", "dvt", "anxiety")


def test_every_condition_and_rule_names_its_source() -> None:
    kb = load_knowledge()
    assert all(c.source.strip() for c in kb.conditions)
    assert all(r.source.strip() for r in kb.red_flags)


def test_the_conditions_named_in_the_brief_are_covered() -> None:
    ids = {c.id for c in load_knowledge().conditions}
    assert {f"c:{name}" for name in COMMON} <= ids


def test_emergency_conditions_are_marked_emergency() -> None:
    kb = {c.id: c for c in load_knowledge().conditions}
    for name in ("meningitis", "stroke", "acs", "pulmonary_embolism", "appendicitis"):
        assert kb[f"c:{name}"].triage is TriageLevel.EMERGENCY


def test_hpo_ids_of_the_vocabulary_exist_in_hpo() -> None:
    hpo = load_hpo()
    for finding in load_knowledge().findings.values():
        if finding.hpo_id:
            term = parse_id(finding.hpo_id)
            assert term is not None and hpo.known(term), finding.id


def test_unknown_keys_are_rejected_with_the_allowed_ones() -> None:
    with pytest.raises(RuleFileError, match="allowed keys"):
        ConditionDef.from_dict({"id": "c:x", "name": "X", "triage": "routine", "prevalence": 1,
                                "findings": {}, "source": "s", "colour": "red"})


def test_a_rule_without_a_source_is_rejected() -> None:
    with pytest.raises(RuleFileError, match="source"):
        RedFlagRule.from_dict({"id": "rf:x", "label": "X", "level": "emergency",
                               "advice": "go", "source": "", "any_of": ["f:fever"]})


def test_probabilities_must_be_strictly_between_zero_and_one() -> None:
    with pytest.raises(RuleFileError, match="between 0 and 1"):
        ConditionDef.from_dict({"id": "c:x", "name": "X", "triage": "routine", "prevalence": 1,
                                "findings": {"f:fever": 1.0}, "source": "s"})
