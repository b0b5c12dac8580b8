"""Red flags: each question rule family fires on one short sentence, negation holds, and the one
table also drives the symptom checker with the site's numbers."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from medcite.errors import RuleFileError
from medcite.safety.disclaimers import disclaimer
from medcite.safety.red_flags import (
    Contacts,
    check_findings,
    check_question,
    finding_rules,
    load_rules,
    parse_rules,
    urgent_notice,
)
from medcite.types import Audience, TriageLevel


@pytest.mark.parametrize(
    ("question", "rule_id"),
    [
        ("crushing chest pain and left arm numbness, what to take?", "rf:q:cardiac_chest_pain"),
        ("My face is drooping and I have slurred speech", "rf:q:stroke"),
        ("I have the worst headache of my life", "rf:q:thunderclap_headache"),
        ("My child can't breathe and has blue lips", "rf:q:breathing"),
        ("my throat is swelling after a bee sting", "rf:q:anaphylaxis"),
        ("I want to kill myself", "rf:q:self_harm"),
        ("I took too many of my sleeping pills", "rf:q:overdose"),
        ("back pain and I lost control of my bladder", "rf:q:cauda_equina"),
        ("I am vomiting blood", "rf:q:gi_bleeding"),
        ("a seizure lasting 10 minutes", "rf:q:seizure"),
        ("fever with a stiff neck and a rash that does not fade", "rf:q:sepsis_meningitis"),
        ("muscle pain and dark urine after a marathon", "rf:q:rhabdo_nms"),
        ("my calf is swollen, red and painful", "rf:q:dvt_pe"),
        ("I ran out of baclofen yesterday", "rf:q:baclofen_withdrawal"),
    ],
)
def test_each_rule_family_fires_on_a_short_clinical_sentence(question: str, rule_id: str) -> None:
    assert rule_id in [flag.id for flag in check_question(question)]


@pytest.mark.parametrize(
    "question",
    [
        "How should muscle spasms be evaluated and managed?",
        "How should chest pain be evaluated in primary care?",
        "What is the first-line treatment for hypertension?",
        "no chest pain, but what helps leg cramps?",
    ],
)
def test_ordinary_and_negated_questions_raise_no_flag(question: str) -> None:
    assert check_question(question) == []


def test_every_bundled_rule_names_its_source() -> None:
    rules = load_rules()
    assert len(rules) >= 10
    assert all(rule.source.strip() for rule in rules)


def test_flags_come_most_urgent_first() -> None:
    flags = check_question("dark urine and crushing chest pain with sweating")
    assert [f.level for f in flags] == sorted((f.level for f in flags), key=lambda lv: lv.rank)
    assert flags[0].level is TriageLevel.EMERGENCY


def test_patient_notice_leads_with_the_configured_emergency_number() -> None:
    flags = check_question("crushing chest pain and left arm numbness")
    notice = urgent_notice(flags, Audience.PATIENT, emergency_number="999", crisis_line="111")
    assert notice is not None and notice.startswith("Seek emergency care now: call 999.")


def test_self_harm_notice_gives_the_crisis_line() -> None:
    flags = check_question("I keep thinking about suicide")
    notice = urgent_notice(flags, Audience.PATIENT, emergency_number="911", crisis_line="988")
    assert notice is not None and "988" in notice


def test_clinician_notice_is_a_consideration_not_a_command() -> None:
    flags = check_question("crushing chest pain and left arm numbness")
    notice = urgent_notice(flags, Audience.CLINICIAN, emergency_number="911", crisis_line="988")
    assert notice is not None and notice.startswith("Warning signs") and "Consider" in notice
    assert "call 911" not in notice.lower()


def test_no_flag_no_notice() -> None:
    assert urgent_notice([], Audience.PATIENT, emergency_number="911", crisis_line="988") is None


def test_rule_files_with_unknown_keys_or_no_source_are_rejected() -> None:
    raw = json.loads(
        resources.files("medcite.safety").joinpath("rules/red_flags.json").read_text("utf-8")
    )
    rule = dict(raw["rules"][0])
    with pytest.raises(RuleFileError, match="unknown keys"):
        parse_rules({"rules": [{**rule, "severity": "high"}]})
    with pytest.raises(RuleFileError, match="source"):
        parse_rules({"rules": [{**rule, "source": " "}]})
    with pytest.raises(RuleFileError, match="unknown keys"):
        parse_rules({"rulez": []})


def test_every_audience_gets_a_disclaimer() -> None:
    assert "not a diagnosis" in disclaimer(Audience.PATIENT, emergency_number="112")
    assert "112" in disclaimer(Audience.PATIENT, emergency_number="112")
    assert "judgement" in disclaimer(Audience.CLINICIAN)


# --- one table for questions and symptoms (issue 7) ---------------------------------------------


def test_one_table_holds_the_question_and_the_symptom_rules() -> None:
    from medcite.symptoms.knowledge import load_knowledge

    rules = load_rules()
    assert any(r.patterns for r in rules) and any(r.findings for r in rules)
    assert load_knowledge().red_flags == finding_rules()
    assert not resources.files("medcite.symptoms").joinpath("rules/red_flags.json").is_file()


def test_R_SC_6_advice_names_the_configured_emergency_number_and_crisis_line() -> None:
    uk = Contacts(emergency_number="999", crisis_line="116 123")
    (chest,) = check_findings({"f:chest_pain"}, contacts=uk)
    assert chest.advice == "Call emergency services now (999)."
    (crisis,) = check_findings({"f:suicidal"}, contacts=uk)
    assert "999" in crisis.advice and "116 123" in crisis.advice and "911" not in crisis.advice


def test_no_bundled_advice_hard_codes_an_emergency_number() -> None:
    for rule in load_rules():
        assert not re.search(r"\b(999|911|112|111|988)\b", rule.advice), rule.id


def test_self_harm_rules_are_marked_crisis_and_their_flags_say_so() -> None:
    crisis = {r.id for r in load_rules() if r.crisis}
    assert crisis == {"rf:q:self_harm", "rf:suicidal"}
    assert [f.crisis for f in check_question("I want to kill myself")] == [True]
    assert [f.crisis for f in check_findings({"f:suicidal", "f:chest_pain"})] == [False, True]


def test_a_finding_rule_fires_only_on_present_findings_within_age_and_duration() -> None:
    child_fever = {"f:fever"}
    ids = [f.id for f in check_findings(child_fever, age=3, duration_days=6)]
    assert "rf:prolonged_fever_child" in ids
    for age, days in ((3, 2), (30, 6), (None, 6), (3, None)):
        fired = [f.id for f in check_findings(child_fever, age=age, duration_days=days)]
        assert "rf:prolonged_fever_child" not in fired


def test_rules_need_a_trigger_and_known_placeholders() -> None:
    base = {"id": "rf:x", "label": "x", "level": "urgent", "advice": "Call {emergency_number}.",
            "source": "a guideline"}
    with pytest.raises(RuleFileError, match="patterns"):
        parse_rules({"rules": [base]})
    with pytest.raises(RuleFileError, match="unknown"):
        parse_rules({"rules": [{**base, "any_of": ["f:x"], "advice": "Call {police}."}]})
    with pytest.raises(RuleFileError, match="any_of"):
        parse_rules({"rules": [{**base, "patterns": ["x"], "age_max": 5}]})
    (rule,) = parse_rules({"rules": [{**base, "any_of": ["f:x"]}]})
    assert rule.flag(["f:x"], Contacts("112", "116 123")).advice == "Call 112."
