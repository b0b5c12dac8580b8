"""``medcite search`` and ``medcite embed`` against a real store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medcite.cli import app
from medcite.settings import Settings

SMALL = Path(__file__).parent.parent / "data" / "pubmed_small.xml"


def test_search_json_lists_ranked_hits_with_their_text(
    runner: CliRunner, settings: Settings
) -> None:
    home = str(settings.home)
    assert runner.invoke(app, ["ingest", str(SMALL), "--no-embed", "--home", home]).exit_code == 0
    result = runner.invoke(app, ["search", "metformin", "--k", "3", "--json", "--home", home])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 3
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert all(h["text"] and h["title"] and h["retriever"] == "lexical" for h in hits)


def test_search_with_only_syntax_characters_prints_no_hits(
    runner: CliRunner, settings: Settings
) -> None:
    home = str(settings.home)
    runner.invoke(app, ["ingest", str(SMALL), "--no-embed", "--home", home])
    result = runner.invoke(app, ["search", '"*:(-', "--home", home])
    assert result.exit_code == 0, result.output
    assert "no matching passages" in result.stdout


def test_embed_then_search_is_hybrid(runner: CliRunner, settings: Settings) -> None:
    home = str(settings.home)
    runner.invoke(app, ["ingest", str(SMALL), "--no-embed", "--home", home])
    embedded = runner.invoke(app, ["embed", "--home", home])
    assert embedded.exit_code == 0, embedded.output
    assert "embedded" in embedded.stdout
    again = runner.invoke(app, ["embed", "--home", home])
    assert "embedded 0 passages" in again.stdout
    hits = json.loads(runner.invoke(app, ["search", "diabetes", "--json", "--home", home]).stdout)
    assert hits and hits[0]["retriever"] == "hybrid"
