"""Shared fixtures: real SQLite stores in temporary folders, and the starter library loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.cli import starter_library
from medcite.ingest.pipeline import ingest_paths
from medcite.settings import IngestSettings, Settings
from medcite.store import Store

DATA = Path(__file__).parent / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh store in a temporary folder; PubMed parsed in-process."""
    return Settings(home=tmp_path / "home", ingest=IngestSettings(batch_size=2, workers=0))


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """An empty, migrated SQLite store."""
    opened = Store.open(settings)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def starter_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a store holding the starter library (shared: treat it as read-only)."""
    home = tmp_path_factory.mktemp("starter")
    return Settings(home=home)


@pytest.fixture(scope="session")
def starter_store(starter_settings: Settings) -> Iterator[Store]:
    """A store with the bundled starter library ingested (shared: treat it as read-only)."""
    opened = Store.open(starter_settings)
    report = ingest_paths([starter_library()], opened, starter_settings)
    assert report.ok, report.errors
    yield opened
    opened.close()
