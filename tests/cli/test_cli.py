"""The CLI against a real store: JSON contracts, clear errors, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medcite.cli import app
from medcite.settings import Settings

SMALL = Path(__file__).parent.parent / "data" / "pubmed_small.xml"


def test_init_loads_the_starter_library_and_stats_json_has_the_contract(
    runner: CliRunner, settings: Settings
) -> None:
    home = str(settings.home)
    assert runner.invoke(app, ["init", "--no-embed", "--home", home]).exit_code == 0
    result = runner.invoke(app, ["stats", "--json", "--home", home])
    stats = json.loads(result.stdout)
    assert isinstance(stats["sources"], int) and stats["sources"] >= 60
    assert isinstance(stats["passages"], int) and stats["passages"] > stats["sources"]
    assert set(stats["by_kind"]) == {"guideline", "patient_info"}


def test_ingest_prints_a_summary_and_sources_can_be_listed_and_shown(
    runner: CliRunner, settings: Settings
) -> None:
    home = str(settings.home)
    result = runner.invoke(app, ["ingest", str(SMALL), "--no-embed", "--home", home])
    assert result.exit_code == 0, result.output
    assert "6 added" in result.stdout
    listed = json.loads(runner.invoke(app, ["sources", "list", "--json", "--home", home]).stdout)
    assert "pmid:90000001" in {s["id"] for s in listed}
    shown = json.loads(
        runner.invoke(app, ["sources", "show", "pmid:90000001", "--json", "--home", home]).stdout
    )
    assert shown["source"]["doi"] == "10.9999/jtm.2021.001"
    assert shown["passages"][0]["id"] == "pmid:90000001#0"


def test_ingest_exits_non_zero_when_anything_was_rejected(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<PubmedArticleSet><PubmedArticle>")
    result = runner.invoke(
        app, ["ingest", str(bad), str(SMALL), "--no-embed", "--home", str(settings.home)]
    )
    assert result.exit_code == 1
    assert "rejected" in result.stderr and "Traceback" not in result.output


def test_unknown_source_is_one_red_line_and_exit_code_1(
    runner: CliRunner, settings: Settings
) -> None:
    result = runner.invoke(app, ["sources", "show", "pmid:0", "--home", str(settings.home)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no source with id 'pmid:0'")
    assert "Traceback" not in result.output


def test_invalid_settings_are_reported_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["stats", "--home", str(tmp_path)], env={"MEDCITE_INGEST__BATCH_SIZE": "zero"}
    )
    assert result.exit_code == 1
    assert "invalid setting ingest.batch_size" in result.stderr


def test_serve_reports_a_bad_case_library_before_it_announces_an_address(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["serve", "--home", str(tmp_path / "home")],
        env={"MEDCITE_SYMPTOMS__CASE_LIBRARY": str(tmp_path / "missing")},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    said = " ".join(result.stderr.split())  # the console wraps long lines
    assert "case library" in said and "does not exist" in said
    assert "http://" not in result.output
    assert "Traceback" not in result.output
