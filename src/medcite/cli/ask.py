"""``medcite ask``: a cited answer in the terminal (Rich) or as JSON."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel

from medcite.answer.ask import ask as ask_question
from medcite.answer.cite import citation_numbers, to_json
from medcite.cli import HomeOption, JsonOption, app
from medcite.cli.console import console, print_json, reports_errors
from medcite.index.retrieve import HybridRetriever
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Answer, Audience, Citation


@app.command()
@reports_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    audience: Annotated[
        Audience, typer.Option("--audience", help="Who the answer is for.")
    ] = Audience.CLINICIAN,
    as_json: JsonOption = False,
    follow_up_of: Annotated[
        str | None,
        typer.Option(
            "--follow-up-of",
            help="Text of the previous question; a follow-up without its own subject inherits it.",
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Answer a question from the stored evidence, with numbered citations (or abstain)."""
    settings = Settings(home=home) if home is not None else Settings()
    store = Store.open(settings)
    answer = ask_question(
        question, audience, store=store, retriever=HybridRetriever(store, settings),
        settings=settings, follow_up_of=follow_up_of,
    )
    if as_json:
        print_json(to_json(answer))
    else:
        render(answer)


def render(answer: Answer) -> None:
    """Draw an answer: urgent notice first, then the body, references and disclaimer."""
    if answer.urgent_notice:
        console.print(Panel(escape(answer.urgent_notice), title="URGENT", style="bold red"))
    console.print(f"[bold]{escape(answer.question)}[/]")
    console.print(f"[dim]{escape(_understood(answer))}[/]\n")
    if answer.abstained:
        _render_abstention(answer)
    for section in answer.sections:
        console.print(f"[bold underline]{escape(section.title)}[/]")
        for statement in section.statements:
            marks = ",".join(str(n) for n in citation_numbers(statement, answer.citations))
            text = escape(statement.text)
            shown = f"[bold]{text}[/]" if statement.bold else text
            console.print(f" • {shown} [cyan][{marks}][/]")
        console.print()
    if answer.citations:
        console.print("[bold underline]References[/]")
        for citation in answer.citations:
            _render_reference(citation)
    if answer.readability_grade is not None:
        console.print(f"\n[dim]Reading grade (Flesch-Kincaid): {answer.readability_grade}[/]")
    console.print(f"\n[dim italic]{escape(answer.disclaimer)}[/]")


def _understood(answer: Answer) -> str:
    analysis = answer.analysis
    parts = [f"for: {answer.audience.value}"]
    if analysis is not None:
        parts.append("asks about: " + (", ".join(i.value for i in analysis.intents) or "-"))
        parts.append("subject: " + (" ".join(analysis.subject_terms) or "-"))
        if analysis.population:
            parts.append("population: " + ", ".join(analysis.population))
        if analysis.inherited_from:
            parts.append(f"follows: {analysis.inherited_from}")
    return " · ".join(parts)


def _render_abstention(answer: Answer) -> None:
    body = "The stored evidence does not answer this question, so no answer is given.\n"
    body += answer.abstain_reason or ""
    console.print(Panel(escape(body), title="No answer", style="yellow"))
    if answer.closest_sources:
        console.print("Closest sources found (not cited, they do not answer the question):")
        for source in answer.closest_sources:
            console.print(f"  - {escape(source.title)} [dim]({source.year or 'n.d.'})[/]")
        console.print()


def _render_reference(citation: Citation) -> None:
    source = citation.source
    study = (citation.study_type or "").replace("_", " ")
    kind = citation.label + (f", {study}" if study and study != citation.label.lower() else "")
    link = (
        f"PMID {source.pmid}" if source.pmid else f"doi:{source.doi}" if source.doi
        else source.url or ""
    )
    details = ". ".join(
        part for part in [source.journal or source.publisher, str(source.year or ""), link] if part
    )
    console.print(
        f" {citation.number}. [bold]{escape(kind)}[/] {escape(source.title)}. {escape(details)}"
    )
    if source.starter:
        console.print("    [dim]medcite starter summary, based on: "
                      f"{escape('; '.join(source.based_on))}[/]")
    for quote in citation.quotes:
        console.print(f"    [dim]“{escape(quote.text)}”[/]")
