"""What ingest does on every backend: PubMed and the starter library load completely,
re-ingest is idempotent, newer versions win, and an interrupted ingest resumes where its
last committed batch left off. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcite.cli import starter_library
from medcite.ingest.pipeline import ingest_paths
from medcite.settings import Settings
from medcite.store import Store
from pubmed_kit import SMALL, synthetic_pubmed


def test_pubmed_records_deletions_and_retractions_are_stored(
    backend_store: Store, backend_settings: Settings
) -> None:
    report = ingest_paths([SMALL], backend_store, backend_settings)
    again = ingest_paths([SMALL], backend_store, backend_settings)
    stats = backend_store.stats()
    assert report.added == 6 and report.deleted == 1 and report.ok
    assert (stats.sources, stats.retracted, stats.by_kind) == (5, 2, {"research": 5})
    assert again.skipped_files == 1 and backend_store.stats() == stats


def test_a_newer_pmid_version_replaces_the_old_one_and_an_older_never_does(
    backend_store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    v1, v2 = tmp_path / "v1.xml", tmp_path / "v2.xml"
    v1.write_text(SMALL.read_text())
    v2.write_text(SMALL.read_text().replace('<PMID Version="1">90000001</PMID>',
                                            '<PMID Version="2">90000001</PMID>')
                  .replace("Glycaemic control matters", "Version two text"))
    ingest_paths([v2], backend_store, backend_settings)
    ingest_paths([v1], backend_store, backend_settings)
    assert backend_store.get_source("pmid:90000001").version == 2
    rows = backend_store.lexical_search([[("version", "two", "text")]], depth=5)
    assert [r.source_id for r in rows] == ["pmid:90000001"]


def test_the_starter_library_is_stored_in_full(starter: tuple[Store, Settings]) -> None:
    store, _ = starter
    files = sorted(starter_library().glob("*.md"))
    stats = store.stats()
    assert stats.sources == len(files)
    assert stats.by_kind == {"guideline": len(files) // 2, "patient_info": len(files) // 2}
    assert stats.passages > stats.sources


class _Crash(Exception):
    """The process dies between two batches."""


class _CrashAfter:
    """Ingest progress that 'kills' the ingest once ``records`` records are committed."""

    def __init__(self, records: int) -> None:
        self.limit = records

    def files(self, total: int) -> None:
        pass

    def records(self, path: str, count: int) -> None:
        if count >= self.limit:
            raise _Crash(path)

    def file_done(self, path: str) -> None:
        pass


def test_an_interrupted_ingest_resumes_after_its_last_committed_batch(
    backend_store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    """R-WF-2: batches are committed with their checkpoint, so a rerun skips exactly them."""
    big = tmp_path / "big.xml"
    synthetic_pubmed(big, 9)
    with pytest.raises(_Crash):
        ingest_paths([big], backend_store, backend_settings, _CrashAfter(4))
    assert backend_store.stats().sources == 4  # two batches of two, committed
    report = ingest_paths([big], backend_store, backend_settings)
    assert report.resumed_records == 4 and report.records == 5 and report.added == 5
    assert backend_store.stats().sources == 9
