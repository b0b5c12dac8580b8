"""What every store backend does: all-or-nothing batches, replacement, deletion, counts,
checkpoints and clear errors. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from contract_corpus import TINY, document, split

from medcite.errors import SourceNotFoundError
from medcite.store import Checkpoint, Store
from medcite.types import IngestReport


def test_written_documents_read_back_unchanged(backend_store: Store) -> None:
    backend_store.write_batch([split(d) for d in TINY])
    doc, passages = split(TINY[3])
    assert backend_store.get_source(doc.source.id) == doc.source
    assert backend_store.passages_of(doc.source.id) == passages
    assert [s.id for s in backend_store.list_sources(limit=2)] == ["doc:htn-clinician",
                                                                    "doc:htn-patient"]
    assert backend_store.passages([p.id for p in passages] + ["pmid:0#0"]) == {
        p.id: p for p in passages}
    assert set(backend_store.sources(["pmid:1", "pmid:0"])) == {"pmid:1"}


def test_stats_count_sources_by_kind_passages_and_retractions(backend_store: Store) -> None:
    backend_store.write_batch([split(d) for d in TINY])
    stats = backend_store.stats()
    assert (stats.sources, stats.retracted) == (5, 1)
    assert stats.by_kind == {"guideline": 1, "patient_info": 1, "research": 3}
    assert stats.passages == 5


def test_a_changed_source_replaces_its_passages_and_an_unchanged_one_stays(
    backend_store: Store,
) -> None:
    backend_store.write_batch([split(TINY[0])])
    changed = document("pmid:1", "Aspirin after myocardial infarction",
                       "Clopidogrel is an alternative when aspirin is not tolerated.")
    counts, _ = backend_store.write_batch([split(changed), split(TINY[1])])
    again, _ = backend_store.write_batch([split(changed)])
    assert (counts.added, counts.updated) == (1, 1) and again.unchanged == 1
    assert [p.text for p in backend_store.passages_of("pmid:1")] == [
        "Clopidogrel is an alternative when aspirin is not tolerated."]
    assert backend_store.lexical_search([[("clopidogrel",)]], depth=5)[0].passage_id == "pmid:1#0"
    assert backend_store.lexical_search([[("recurrent",)]], depth=5) == []


def test_deleting_a_source_removes_its_passages_vectors_and_matches(backend_store: Store) -> None:
    backend_store.write_batch([split(d) for d in TINY[:2]])
    backend_store.save_vectors("m", ["pmid:1#0", "pmid:2#0"], np.eye(2, 4, dtype=np.float32))
    _, deleted = backend_store.write_batch([], delete_ids=["pmid:1", "pmid:404"])
    assert deleted == 1
    assert backend_store.passages_of("pmid:1") == []
    assert backend_store.load_vectors("m", 4).passage_ids == ["pmid:2#0"]
    assert backend_store.lexical_search([[("aspirin",)]], depth=5) == []


def test_a_failing_batch_writes_nothing(backend_store: Store) -> None:
    doc, passages = split(TINY[1])
    orphan = passages[0].model_copy(update={"source_id": "pmid:missing", "id": "pmid:missing#0"})
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        backend_store.write_batch([split(TINY[0]), (doc, [orphan])],
                                  checkpoint=Checkpoint("/x", "f", 2, completed=True))
    assert backend_store.stats().sources == 0
    assert backend_store.checkpoint("/x") is None


def test_checkpoints_are_saved_with_their_batch_and_updated(backend_store: Store) -> None:
    backend_store.write_batch([split(TINY[0])], checkpoint=Checkpoint("/a.xml", "f1", 1, False))
    backend_store.write_batch([split(TINY[1])], checkpoint=Checkpoint("/a.xml", "f1", 2, True))
    assert backend_store.checkpoint("/a.xml") == Checkpoint("/a.xml", "f1", 2, True)
    assert backend_store.checkpoint("/b.xml") is None


def test_ingest_runs_are_recorded(backend_store: Store) -> None:
    run = backend_store.start_run(["/a.xml"])
    backend_store.finish_run(run, IngestReport(files=1, records=3, added=3))
    assert backend_store.start_run([]) > run


def test_missing_source_raises_a_not_found_error_with_a_hint(backend_store: Store) -> None:
    with pytest.raises(SourceNotFoundError) as caught:
        backend_store.get_source("pmid:0")
    assert caught.value.status == 404 and caught.value.hint


def test_vectors_are_saved_replaced_and_counted_as_missing(backend_store: Store) -> None:
    backend_store.write_batch([split(d) for d in TINY[:3]])
    assert backend_store.count_missing_vectors("m") == 3
    first = np.array([[0.6, 0.8, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    backend_store.save_vectors("m", ["pmid:1#0", "pmid:2#0"], first)
    before = backend_store.vector_signature("m")
    backend_store.save_vectors("m", ["pmid:1#0"], np.array([[0.0, 0.0, 1.0]], np.float32))
    assert backend_store.vector_signature("m") != before
    assert [p.passage_id for p in backend_store.passages_missing_vectors("m")] == ["pmid:3#0"]
    assert backend_store.count_missing_vectors("m") == 1
    loaded = backend_store.load_vectors("m", 3)
    assert loaded.passage_ids == ["pmid:1#0", "pmid:2#0"]
    assert loaded.source_ids == ["pmid:1", "pmid:2"]
    np.testing.assert_array_equal(loaded.matrix, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert backend_store.load_vectors("other", 3).matrix.shape == (0, 3)
