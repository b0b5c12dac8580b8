"""PubMed/MEDLINE XML is read field by field, safely, and bad files never take good records down."""

from __future__ import annotations

import gzip
import shutil
import time
from pathlib import Path

import pytest

from medcite.errors import MalformedSourceError
from medcite.ingest.pipeline import ingest_paths
from medcite.ingest.pubmed import Deleted, Parsed, Rejected, iter_pubmed
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import SourceKind

DATA = Path(__file__).parent.parent / "data"
SMALL = DATA / "pubmed_small.xml"


def _records(path: Path = SMALL) -> list[Parsed | Deleted | Rejected]:
    return list(iter_pubmed(path))


def _docs(path: Path = SMALL) -> dict[str, Parsed]:
    return {r.document.source.id: r for r in _records(path) if isinstance(r, Parsed)}


def test_structured_abstract_keeps_labels_categories_and_inline_markup() -> None:
    doc = _docs()["pmid:90000001"].document
    assert [s.title for s in doc.sections] == ["Background", "Methods", "Results", "Conclusions"]
    assert [s.category for s in doc.sections][-1] == "CONCLUSIONS"
    assert "HbA1c fell by 1.1% with metformin vs. 0.1% with placebo (p < 0.001)." in (
        doc.sections[2].text)
    assert doc.source.title.startswith("Metformin and HbA1c in type 2 diabetes")


def test_citation_metadata_is_mapped() -> None:
    source = _docs()["pmid:90000001"].document.source
    assert source.pmid == "90000001"
    assert source.doi == "10.9999/jtm.2021.001"  # the article's own DOI, not a cited work's
    assert source.journal == "Journal of Test Medicine"
    assert source.authors == ["Doe J", "Test Diabetes Study Group"]
    assert source.year == 2021 and source.published is not None
    assert source.published.isoformat() == "2021-03-05"
    assert source.mesh_terms == ["D003924:Diabetes Mellitus, Type 2*", "D008687:Metformin"]
    assert source.url == "https://pubmed.ncbi.nlm.nih.gov/90000001/"


def test_publication_types_give_kind_and_study_type() -> None:
    docs = _docs()
    rct = docs["pmid:90000001"].document.source
    guideline = docs["pmid:90000002"].document.source
    assert (rct.kind, rct.study_type) == (SourceKind.RESEARCH, "rct")
    assert (guideline.kind, guideline.study_type) == (SourceKind.GUIDELINE, "guideline")


@pytest.mark.parametrize(("pmid", "year", "has_date"), [
    ("90000002", 1998, False),  # MedlineDate "1998 Dec-1999 Jan"
    ("90000003", 2015, False),  # Year + Season
    ("90000004", 2016, False),  # Year + numeric month, no day: stays a year
    ("90000006", 2020, False),  # book PubDate
])
def test_partial_dates_keep_the_year_without_inventing_a_day(
    pmid: str, year: int, has_date: bool
) -> None:
    source = _docs()[f"pmid:{pmid}"].document.source
    assert source.year == year
    assert (source.published is not None) is has_date


def test_retracted_publications_are_flagged_but_retraction_notices_are_not() -> None:
    docs = _docs()
    assert docs["pmid:90000003"].document.source.retracted  # Retracted Publication type
    assert docs["pmid:90000005"].document.source.retracted  # CommentsCorrections RetractionIn
    assert docs["pmid:90000005"].document.source.concern  # ExpressionOfConcernIn
    notice = docs["pmid:90000004"].document.source
    assert not notice.retracted and notice.study_type == "retraction_notice"


def test_book_articles_are_ingested() -> None:
    source = _docs()["pmid:90000006"].document.source
    assert source.title == "Muscle cramps (book chapter)"
    assert source.publisher == "Test Books" and source.study_type == "review"


def test_record_without_abstract_is_kept_with_its_title_as_text() -> None:
    doc = _docs()["pmid:90000004"].document
    assert [s.title for s in doc.sections] == ["Title"]
    assert doc.sections[0].text == doc.source.title


def test_delete_citation_is_yielded_in_file_order() -> None:
    records = _records()
    assert isinstance(records[-1], Deleted)
    assert records[-1].source_ids == ["pmid:90000002"]


def test_delete_citation_removes_a_stored_source(store: Store, settings: Settings) -> None:
    text = SMALL.read_text()
    first = text.replace("<DeleteCitation>", "<!--").replace("</DeleteCitation>", "-->")
    only_adds = settings.home / "adds.xml"
    only_adds.parent.mkdir(parents=True, exist_ok=True)
    only_adds.write_text(first)
    ingest_paths([only_adds], store, settings)
    assert store.stats().sources == 6
    report = ingest_paths([SMALL], store, settings)
    assert report.deleted == 1
    assert "pmid:90000002" not in {s.id for s in store.list_sources()}


def test_gzip_input_is_read(tmp_path: Path) -> None:
    packed = tmp_path / "small.xml.gz"
    with SMALL.open("rb") as raw, gzip.open(packed, "wb") as out:
        shutil.copyfileobj(raw, out)
    assert _docs(packed).keys() == _docs().keys()


def test_broken_record_is_rejected_with_its_line_and_the_rest_is_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(SMALL.read_text().replace(
        '<PMID Version="1">90000003</PMID>', "<PMID>not-a-number</PMID>"))
    records = _records(broken)
    rejected = [r for r in records if isinstance(r, Rejected)]
    assert len(rejected) == 1 and "PMID" in rejected[0].message
    assert rejected[0].line > 1
    assert len([r for r in records if isinstance(r, Parsed)]) == 5


def test_malformed_xml_mid_file_reports_file_and_line_after_the_good_records(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.xml"
    text = SMALL.read_text()
    cut = text.index("<PubmedArticle>", text.index("90000003"))
    bad.write_text(text[:cut] + "<PubmedArticle><oops></PubmedArticle>" + text[cut:])
    seen: list[Parsed | Deleted | Rejected] = []
    with pytest.raises(MalformedSourceError) as caught:
        for record in iter_pubmed(bad):
            seen.append(record)
    assert len(seen) == 3
    assert caught.value.path == str(bad) and caught.value.line is not None
    assert f"{bad}:{caught.value.line}" in str(caught.value)


def test_truncated_gzip_is_reported_and_earlier_records_are_kept(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    big = SMALL.read_text()
    body = big[big.index("<PubmedArticle>"):big.index("<DeleteCitation>")]
    many = big.replace(body, body * 200)
    packed = gzip.compress(many.encode())
    truncated = tmp_path / "truncated.xml.gz"
    truncated.write_bytes(packed[: len(packed) // 2])
    report = ingest_paths([truncated], store, settings)
    assert not report.ok
    assert any("truncated" in e or "not well-formed" in e for e in report.errors)
    assert store.stats().sources == 6  # records before the cut were committed


XXE = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>90000010</PMID><Article>
<ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>90000011</PMID><Article>
<ArticleTitle>&lol9;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""


@pytest.mark.parametrize("content", [XXE, LAUGHS], ids=["R-SEC-4-xxe", "R-SEC-4-billion-laughs"])
def test_entity_declarations_are_refused_and_nothing_is_expanded(
    content: str, store: Store, settings: Settings, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(content)
    started = time.perf_counter()
    report = ingest_paths([hostile], store, settings)
    assert time.perf_counter() - started < 30  # bounded: refused, not expanded
    assert not report.ok
    assert "entities" in report.errors[0] or "amplification" in report.errors[0]
    assert store.stats().sources == 0


def test_pubmed_files_never_fetch_their_dtd(tmp_path: Path) -> None:
    # The DOCTYPE names an https DTD; reading must not need the network (none is reachable here).
    assert len(_docs()) == 6
