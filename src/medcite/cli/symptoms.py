"""``medcite symptoms``: the symptom checker in the terminal (interactive, or one shot with --json).

The interactive mode asks the next question with a Rich prompt (yes / no / skip) until the
checker has no worthwhile question, the session's question limit is reached, the triage is an
emergency, or input ends (works when stdin is not a terminal). Nothing typed is logged.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.prompt import Prompt

from medcite.cli import app
from medcite.cli.console import console, print_json, reports_errors
from medcite.settings import Settings
from medcite.symptoms.checker import check
from medcite.types import Assessment, Finding, Sex, SymptomQuery, TriageLevel

_STYLE = {
    TriageLevel.EMERGENCY: "bold white on red",
    TriageLevel.URGENT: "bold black on yellow",
    TriageLevel.ROUTINE: "bold",
    TriageLevel.SELF_CARE: "bold green",
}


def assessment_json(assessment: Assessment) -> dict[str, Any]:
    """The CLI/API JSON shape of an assessment."""
    question = assessment.next_question
    return {
        "triage": assessment.triage.value,
        "advice": assessment.advice,
        "red_flags": [flag.model_dump(mode="json") for flag in assessment.red_flags],
        "findings": [{"label": f.label, "hpo_id": f.hpo_id, "present": f.present, "id": f.id}
                     for f in assessment.findings],
        "causes": [{"name": c.name, "id": c.id, "score": c.score, "for": c.supporting,
                    "against": c.opposing, "triage": c.triage.value, "source": c.source,
                    "articles": c.articles, "reports": c.reports} for c in assessment.causes],
        "next_question": question.model_dump(mode="json") if question else None,
        "unknown_terms": assessment.unknown_terms,
        "disclaimer": assessment.disclaimer,
        "crisis": assessment.crisis,
    }


def _show(assessment: Assessment) -> None:
    console.print(f"[{_STYLE[assessment.triage]}] {assessment.triage.value.upper()} [/] "
                  f"{escape(assessment.advice)}")
    for flag in assessment.red_flags:
        console.print(f"  [red]warning sign:[/] {escape(flag.label)} [dim]({escape(flag.source)})"
                      "[/]")
    console.print("\n[bold]Conditions that can cause symptoms like these[/] (not a diagnosis):")
    for cause in assessment.causes[:5]:
        reasons = "; ".join(cause.supporting[:4])
        against = "; ".join(cause.opposing[:3])
        console.print(f"  {cause.score:5.0%}  {escape(cause.name)}"
                      + (f" [green]for:[/] {escape(reasons)}" if reasons else "")
                      + (f" [red]against:[/] {escape(against)}" if against else ""))
        if cause.articles:
            console.print(f"         [dim]read: {escape(', '.join(cause.articles))}[/]")
    console.print(f"\n[dim]{escape(assessment.disclaimer)}[/]")


def _ask(assessment: Assessment) -> bool | str:
    """Ask the next question: True/False for yes/no, "skip", or "stop" (q or end of input)."""
    question = assessment.next_question
    assert question is not None
    try:
        answer = Prompt.ask(f"\n{escape(question.text)}", choices=["y", "n", "skip", "q"],
                            default="skip", console=console)
    except EOFError:
        return "stop"
    choices: dict[str, bool | str] = {"y": True, "n": False, "skip": "skip"}
    return choices.get(answer, "stop")


def _interview(query: SymptomQuery, settings: Settings) -> Assessment:
    assessment = check(query, settings)
    while assessment.next_question is not None:
        _show(assessment)
        answer = _ask(assessment)
        question = assessment.next_question
        if answer == "stop":
            break
        asked = [*query.asked, question.finding_id]
        answered = list(query.findings)
        if isinstance(answer, bool):
            answered.append(Finding(id=question.finding_id, label=question.label,
                                    present=answer))
        query = query.model_copy(update={"asked": asked, "findings": answered})
        assessment = check(query, settings)
    return assessment


@app.command()
@reports_errors
def symptoms(
    text: Annotated[str, typer.Argument(help='Symptoms in plain words, e.g. "fever, no rash".')],
    age: Annotated[float | None, typer.Option(help="Age in years.", min=0, max=130)] = None,
    sex: Annotated[Sex, typer.Option(help="Sex, for sex-specific conditions.")] = Sex.UNKNOWN,
    days: Annotated[float | None, typer.Option(help="How long, in days.", min=0)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One shot: print JSON.")] = False,
) -> None:
    """Possible causes, triage level and follow-up questions for your symptoms."""
    settings = Settings()
    query = SymptomQuery(text=text, age=age, sex=sex, duration_days=days)
    if as_json:
        print_json(assessment_json(check(query, settings)))
        return
    final = _interview(query, settings)
    console.rule("Result")
    _show(final)
