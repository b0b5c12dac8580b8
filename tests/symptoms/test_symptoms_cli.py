"""``medcite symptoms``: one-shot JSON and the interview over a non-terminal stdin."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medcite.cli import app

runner = CliRunner()


def test_json_mode_prints_the_documented_shape() -> None:
    result = runner.invoke(app, ["symptoms", "crushing chest pain and sweating", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["triage"] == "emergency"
    assert {"triage", "red_flags", "findings", "causes", "next_question"} <= set(data)
    assert {"label", "hpo_id", "present"} <= set(data["findings"][0])
    assert {"name", "id", "score", "for", "against"} <= set(data["causes"][0])
    assert data["crisis"] is False


def test_json_mode_says_crisis_when_self_harm_is_mentioned() -> None:
    result = runner.invoke(app, ["symptoms", "I want to hurt myself", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["crisis"] is True and data["red_flags"][0]["crisis"] is True


def test_interactive_mode_reads_answers_from_piped_stdin() -> None:
    result = runner.invoke(app, ["symptoms", "burning when I pee"], input="y\nn\n")
    assert result.exit_code == 0, result.output
    assert "Result" in result.output


def test_bad_input_is_a_clean_error() -> None:
    result = runner.invoke(app, ["symptoms", "   ", "--json"])
    assert result.exit_code == 2
    assert "no symptoms given" in result.output
