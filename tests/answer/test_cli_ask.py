"""``medcite ask`` through the real CLI against the starter store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medcite.cli import app
from medcite.settings import Settings
from medcite.store import Store

runner = CliRunner()


def _ask(settings: Settings, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["ask", *args, "--home", str(settings.home)],
                           env={"MEDCITE_DATABASE_URL": settings.database_url})
    return result.exit_code, result.output


def test_json_answer_follows_the_contract(starter_store: Store, starter_settings: Settings) -> None:
    code, output = _ask(starter_settings, "How should muscle spasms be evaluated and managed?",
                        "--json")
    assert code == 0
    data = json.loads(output)
    assert data["audience"] == "clinician" and data["abstained"] is False
    assert data["sections"][0]["title"] == "Bottom line"
    assert len(data["references"]) >= 5
    assert {"number", "kind", "title", "source", "year", "pmid", "doi", "url", "quotes"} <= set(
        data["references"][0]
    )
    assert data["disclaimer"]


def test_terminal_answer_puts_the_urgent_notice_first(
    starter_store: Store, starter_settings: Settings
) -> None:
    code, output = _ask(starter_settings,
                        "crushing chest pain and left arm numbness, what should I take?",
                        "--audience", "patient")
    assert code == 0
    lines = [line for line in output.splitlines() if line.strip()]
    assert "URGENT" in lines[0]
    assert "Seek emergency care now" in lines[1]


def test_abstention_is_shown_plainly(starter_store: Store, starter_settings: Settings) -> None:
    code, output = _ask(starter_settings, "What is the treatment for Fabry disease?")
    assert code == 0
    assert "No answer" in output and "does not answer" in output


def test_follow_up_of_takes_the_previous_question(
    starter_store: Store, starter_settings: Settings
) -> None:
    code, output = _ask(starter_settings, "What about in older adults?", "--json",
                        "--follow-up-of", "How should muscle spasms be evaluated and managed?")
    assert code == 0
    data = json.loads(output)
    assert data["understood"]["inherited_from"].startswith("How should muscle spasms")
    assert not data["abstained"]


def test_an_empty_question_exits_with_the_input_error_code(
    starter_store: Store, starter_settings: Settings
) -> None:
    code, _ = _ask(starter_settings, "   ")
    assert code == 2
