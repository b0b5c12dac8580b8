"""Ingest is idempotent, versions replace each other correctly, and a killed ingest resumes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from live_server import store_env
from medcite.ingest.pipeline import ingest_paths
from medcite.settings import IngestSettings, Settings
from medcite.store import Store
from medcite.store.engine import make_engine
from pubmed_kit import SMALL, synthetic_pubmed

DATA = Path(__file__).parent.parent / "data"


def test_reingesting_the_same_file_changes_nothing(store: Store, settings: Settings) -> None:
    first = ingest_paths([SMALL], store, settings)
    before = store.stats()
    again = ingest_paths([SMALL], store, settings)
    assert first.added == 6 and first.ok
    assert again.skipped_files == 1 and again.added == again.updated == 0
    assert store.stats() == before


def test_a_changed_file_is_read_again_but_unchanged_records_stay(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.xml"
    copy.write_text(SMALL.read_text())
    ingest_paths([copy], store, settings)
    copy.write_text(SMALL.read_text().replace("Glycaemic control matters", "Control matters"))
    report = ingest_paths([copy], store, settings)
    assert report.updated == 1
    assert report.unchanged == 4  # 6 records, one changed, one deleted (absent: nothing to count)


def test_a_newer_pmid_version_replaces_the_old_one_and_an_older_never_does(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    v1 = tmp_path / "v1.xml"
    v2 = tmp_path / "v2.xml"
    v1.write_text(SMALL.read_text())
    v2.write_text(SMALL.read_text().replace('<PMID Version="1">90000001</PMID>',
                                            '<PMID Version="2">90000001</PMID>')
                  .replace("Glycaemic control matters", "Version two text"))
    ingest_paths([v2], store, settings)
    ingest_paths([v1], store, settings)  # an older file read later
    source = store.get_source("pmid:90000001")
    assert source.version == 2
    texts = [p.text for p in store.passages_of("pmid:90000001")]
    assert "Version two text in type 2 diabetes." in texts[0]
    assert len({p.id for p in store.passages_of("pmid:90000001")}) == len(texts)


def test_a_file_with_a_rejected_record_reports_it(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(SMALL.read_text().replace(
        '<PMID Version="1">90000005</PMID>', "<PMID></PMID>"))
    report = ingest_paths([broken], store, settings)
    assert not report.ok and len(report.errors) == 1
    assert report.errors[0].startswith(f"{broken}:")
    assert store.stats().sources == 4  # 6 records, 1 rejected, 1 deleted by DeleteCitation


def test_unsupported_and_missing_files_are_errors_but_others_are_ingested(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    odd = tmp_path / "notes.docx"
    odd.write_text("x")
    report = ingest_paths([odd, tmp_path / "absent.xml", SMALL], store, settings)
    assert len(report.errors) == 2
    assert store.stats().sources == 5  # 6 records, 1 deleted by DeleteCitation


def _checkpointed_records(engine: Engine) -> int:
    try:
        with engine.connect() as connection:
            done = connection.execute(text("SELECT max(records_done) FROM ingest_checkpoints"))
            return int(done.scalar() or 0)
    except DBAPIError:  # no schema yet
        return 0


def _children(pid: int) -> list[int]:
    listing = Path(f"/proc/{pid}/task/{pid}/children")
    found = listing.read_text().split() if listing.exists() else []
    return [int(child) for child in found]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _assert_exit_soon(pids: list[int], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [p for p in pids if _running(p)] == [], "orphaned reader processes kept running"


def test_a_killed_ingest_resumes_from_its_checkpoint(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """R-WF-2 / R-PM-7: kill -9 mid-ingest; the store is consistent and the rerun resumes."""
    big = tmp_path / "big.xml"
    synthetic_pubmed(big, 20_000)
    settings = make_settings(tmp_path / "home", ingest=IngestSettings(batch_size=200))
    env = {**store_env(settings), "MEDCITE_HOME": str(settings.home),
           "MEDCITE_INGEST__BATCH_SIZE": "200"}
    command = [sys.executable, "-m", "medcite", "ingest", str(big)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    watcher = make_engine(settings.store_url)
    deadline = time.monotonic() + 120
    while _checkpointed_records(watcher) < 400 and time.monotonic() < deadline:
        time.sleep(0.05)
    children = _children(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = _checkpointed_records(watcher)
    watcher.dispose()
    assert 0 < done < 20_000, "the ingest should have been killed part-way"
    assert children, "the PubMed reader should run in a child process"
    _assert_exit_soon(children)  # the orphaned reader notices and stops

    store = Store.open(settings)
    assert store.stats().sources >= done  # everything checkpointed is stored
    report = ingest_paths([big], store, settings)
    assert report.resumed_records >= done
    assert report.records == 20_000 - report.resumed_records
    assert store.stats().sources == 20_000
    store.close()


def test_documents_in_folders_are_found_recursively(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "lib" / "nested"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("---\nid: a-doc\ntitle: A\nkind: guideline\n---\n## Overview\n"
                                 "Alpha text here.\n")
    (folder / "README.md").write_text("# not a document\n")
    report = ingest_paths([tmp_path / "lib"], store, settings)
    assert report.ok and report.added == 1


def test_parallel_readers_write_files_in_order_with_the_same_result(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """workers=2 parses the next file while writing this one; errors keep file order."""
    first, second = tmp_path / "a.xml", tmp_path / "c.xml"
    synthetic_pubmed(first, 300)
    second.write_text(SMALL.read_text())
    files = [first, tmp_path / "b-missing.xml", second]
    results = []
    for workers in (0, 2):
        settings = make_settings(tmp_path / f"home{workers}",
                                 ingest=IngestSettings(batch_size=50, workers=workers))
        store = Store.open(settings)
        report = ingest_paths(files, store, settings)
        results.append((report.records, report.added, report.errors,
                        [s.id for s in store.list_sources(limit=1000)]))
        store.close()
    assert results[0] == results[1]
    assert results[0][0] == 300 + 7 and "b-missing.xml" in results[0][2][0]
