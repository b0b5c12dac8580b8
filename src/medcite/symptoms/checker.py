"""The symptom checker use case: ``check(SymptomQuery) -> Assessment``.

Order of work: validate the input, read findings from the text (with negation) and merge the
findings already given, run the red-flag rules (age, sex and duration from the query or, when it
gives none, from the text), rank common conditions (and rare diseases when HPO terms are given),
set the triage level (the more urgent wins), then choose the next question. ``crisis`` is true
when a self-harm or suicide rule fired, so every face shows the crisis line. Advice names the
site's numbers (settings ``answer.emergency_number``, ``answer.crisis_line``). Nothing here logs
or stores the user's text.

Usage::

    assessment = check(SymptomQuery(text="headache, stiff neck and fever"))
    assessment.triage            # -> TriageLevel.EMERGENCY
"""

from __future__ import annotations

from medcite.errors import (
    EmptyQuestionError,
    FeatureDisabledError,
    InputTooLargeError,
    UnknownFindingError,
)
from medcite.safety.red_flags import Contacts
from medcite.settings import Settings, SymptomsSettings, get_settings
from medcite.symptoms.findings import FindingReader, read_context
from medcite.symptoms.hpo import load_hpo, parse_id
from medcite.symptoms.interview import next_question
from medcite.symptoms.knowledge import Knowledge, load_knowledge
from medcite.symptoms.ranking import CommonScore, rank_common
from medcite.symptoms.rare import RareScore, rare_model
from medcite.symptoms.triage import advice, red_flags, triage_level
from medcite.types import Assessment, Finding, PossibleCause, Sex, SymptomQuery, TriageLevel

DISCLAIMER = (
    "These are conditions that can cause symptoms like yours, not a diagnosis. This tool does "
    "not replace a doctor, nurse or pharmacist. If you are worried, seek medical advice."
)
RARE_SOURCE = "HPO disease annotations (OMIM), HPO release {version}, via hpo3"
SIMILAR_CASE = "; a reported patient resembles yours: {reports}"  # from the case library


def check(query: SymptomQuery, settings: Settings | None = None) -> Assessment:
    """Assess a symptom query: triage level, red flags, possible causes, next question.

    Raises:
        FeatureDisabledError: the symptom checker is switched off in settings.
        EmptyQuestionError: neither text nor findings were given.
        InputTooLargeError: the text or the findings list exceeds the configured limits.
        UnknownFindingError: a finding id is unknown, or the text names no known symptom.
    """
    site = get_settings(settings)
    config, contacts = site.symptoms, Contacts.from_settings(site.answer)
    _validate(query, config)
    knowledge = load_knowledge()
    findings, unknown = _findings(query, knowledge, config)
    context = read_context(query.text)
    age = query.age if query.age is not None else context.age
    sex = query.sex if query.sex.value != "unknown" else context.sex
    days = query.duration_days if query.duration_days is not None else context.duration_days
    flags = red_flags(knowledge, findings, age=age, sex=sex, duration_days=days,
                      contacts=contacts)
    common = rank_common(knowledge, findings, age=age, sex=sex)
    rare = _rank_rare(findings, config, sex)
    causes = _merge(common, rare, findings, knowledge, config)
    level = triage_level(flags, [(c.triage, c.score) for c in causes])
    question = None
    if len(query.asked) < config.max_questions and level is not TriageLevel.EMERGENCY:
        question = next_question(knowledge, common, rare, findings, query.asked)
    return Assessment(
        triage=level,
        advice=flags[0].advice if flags and flags[0].level is level else advice(level, contacts),
        red_flags=flags,
        findings=findings,
        causes=causes,
        next_question=question,
        unknown_terms=unknown,
        disclaimer=DISCLAIMER,
        crisis=any(flag.crisis for flag in flags),
    )


def prepare(config: SymptomsSettings) -> None:
    """Load the optional rare-disease knowledge files now (a server calls this at start-up), so
    that a bad ``hpo_annotations`` or ``case_library`` setting fails at once, not on a user.

    Raises:
        ConfigurationError: a configured file cannot be used.
    """
    if config.enabled and config.rare_diseases and (config.hpo_annotations or config.case_library):
        rare_model(config.hpo_annotations, config.case_library)


def _validate(query: SymptomQuery, config: SymptomsSettings) -> None:
    if not config.enabled:
        raise FeatureDisabledError("the symptom checker is switched off",
                                   hint="set MEDCITE_SYMPTOMS__ENABLED=true to enable it")
    if len(query.text) > config.max_text_chars:
        raise InputTooLargeError(
            f"the description has {len(query.text):,} characters; the limit is "
            f"{config.max_text_chars:,}", hint="describe the main symptoms in a few words")
    if len(query.findings) > config.max_findings:
        raise InputTooLargeError(
            f"{len(query.findings):,} findings given; the limit is {config.max_findings:,}",
            hint="give the most important findings only")
    if not query.text.strip() and not query.findings:
        raise EmptyQuestionError("no symptoms given",
                                 hint='describe them, e.g. "headache and fever for 2 days"')


def _findings(query: SymptomQuery, knowledge: Knowledge,
              config: SymptomsSettings) -> tuple[list[Finding], list[str]]:
    hpo = load_hpo() if config.rare_diseases else None
    reader = FindingReader(knowledge, hpo)
    from_text = reader.read(query.text) if query.text.strip() else []
    given = [_resolve(f, knowledge, reader) for f in query.findings]
    merged = {f.id: f for f in from_text}
    for finding in given:
        merged.pop(finding.id, None)
        merged[finding.id] = finding
    if not merged:
        raise UnknownFindingError(
            "no symptom in the description was recognised",
            hint='use plain words such as "fever", "chest pain", "no cough"')
    unknown = reader.unmatched(query.text) if query.text.strip() else []
    return list(merged.values()), unknown


def _resolve(finding: Finding, knowledge: Knowledge, reader: FindingReader) -> Finding:
    """A given finding, checked against our vocabulary or HPO and labelled."""
    if finding.id in knowledge.findings:
        definition = knowledge.findings[finding.id]
        return Finding(id=definition.id, label=definition.label, hpo_id=definition.hpo_id,
                       present=finding.present)
    term = parse_id(finding.id)
    if term is not None and reader.hpo is not None and reader.hpo.known(term):
        definition = reader.hpo_finding(term)
        return Finding(id=definition.id, label=definition.label, hpo_id=definition.hpo_id,
                       present=finding.present)
    raise UnknownFindingError(f"unknown finding {finding.id!r}",
                              hint='use an id such as "f:fever" or an HPO id "HP:0001945"')


def _rank_rare(findings: list[Finding], config: SymptomsSettings, sex: Sex) -> list[RareScore]:
    hpo_only = [f for f in findings if f.id.startswith("HP:") and f.present]
    if not config.rare_diseases or not hpo_only:
        return []
    model = rare_model(config.hpo_annotations, config.case_library)
    observed = {t for f in findings if f.present and f.hpo_id and (t := parse_id(f.hpo_id))}
    excluded = {t for f in findings
                if not f.present and f.hpo_id and (t := parse_id(f.hpo_id))}
    return model.rank(observed, excluded, limit=config.max_causes, sex=sex)


def _merge(common: list[CommonScore], rare: list[RareScore], findings: list[Finding],
           knowledge: Knowledge, config: SymptomsSettings) -> list[PossibleCause]:
    """Common causes and rare diseases in one list; each group weighted by its findings."""
    present = [f for f in findings if f.present]
    rare_weight = (sum(1 for f in present if f.id not in knowledge.findings)
                   / max(1, len(present))) if rare else 0.0
    out = [
        PossibleCause(id=s.condition.id, name=s.condition.name,
                      score=round(s.probability * (1 - rare_weight), 4),
                      triage=s.condition.triage, supporting=list(s.supporting),
                      opposing=list(s.opposing), source=s.condition.source,
                      articles=list(s.condition.articles))
        for s in common
    ] if rare_weight < 1 else []
    model = rare_model(config.hpo_annotations, config.case_library) if rare else None
    for r in rare:
        assert model is not None
        source = RARE_SOURCE.format(version=model.hpo.version)
        if r.similar_case:
            source += SIMILAR_CASE.format(reports=", ".join(r.similar_case))
        out.append(PossibleCause(
            id=r.id, name=r.name, score=round(r.probability * rare_weight, 4),
            triage=TriageLevel.ROUTINE, supporting=model.labels(r.supporting),
            opposing=model.labels(r.opposing), source=source, reports=list(r.similar_case)))
    return sorted(out, key=lambda c: (-c.score, c.id))[:config.max_causes]
