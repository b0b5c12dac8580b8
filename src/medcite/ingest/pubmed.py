"""PubMed/MEDLINE XML (baseline and update files, .xml or .xml.gz) -> Documents, streamed.

Parsing is safe by construction: no network, no DTD loading, no entity expansion, and a file
whose internal DTD declares entities (XXE, "billion laughs") is refused outright. Memory stays
bounded because each record is cleared once mapped.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree

from medcite.errors import MalformedSourceError
from medcite.ingest.evidence_types import evidence_table
from medcite.types import DocSection, Document, Source

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_NAME_TAGS = {"CollectiveName", "LastName", "Initials"}
_YEAR = re.compile(r"\b(1[5-9]\d\d|2[01]\d\d)\b")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


@dataclass(frozen=True, slots=True)
class Parsed:
    """A record mapped to a document."""

    document: Document


@dataclass(frozen=True, slots=True)
class Deleted:
    """A DeleteCitation record: these PubMed ids are withdrawn."""

    source_ids: list[str]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that cannot be used; the rest of the file goes on."""

    line: int
    message: str


Record = Parsed | Deleted | Rejected


def open_xml(path: Path) -> IO[bytes]:
    """Open a plain or gzip-compressed XML file for binary reading."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")


def iter_pubmed(path: Path, *, max_chars: int = 500_000) -> Iterator[Record]:
    """Yield one item per record of a PubmedArticleSet file, in file order.

    Raises:
        MalformedSourceError: the file is not well-formed XML, is truncated, or declares
            entities; records yielded before the error stay valid.
    """
    with open_xml(path) as stream:
        parser = etree.iterparse(
            stream,
            events=("end",),
            tag=RECORD_TAGS,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
        )
        try:
            yield from _records(parser, path, max_chars)
        except etree.XMLSyntaxError as exc:
            raise MalformedSourceError(
                f"not well-formed XML: {exc.msg}", path=str(path), line=exc.lineno
            ) from None
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            raise MalformedSourceError(
                f"cannot read the file ({exc})",
                path=str(path),
                hint="the file looks truncated or corrupt",
            ) from None


def _records(parser: etree.iterparse, path: Path, max_chars: int) -> Iterator[Record]:
    checked = False
    for _event, elem in parser:
        if not checked:
            _refuse_entities(elem, path)
            checked = True
        yield _map_record(elem, max_chars)
        elem.clear()
        parent = elem.getparent()
        while parent is not None and elem.getprevious() is not None:
            del parent[0]
    if not checked:
        root = parser.root
        if root is None or root.tag != "PubmedArticleSet":
            raise MalformedSourceError("not a PubmedArticleSet file", path=str(path))


def _refuse_entities(elem: etree._Element, path: Path) -> None:
    dtd = elem.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise MalformedSourceError(
            "the file declares XML entities, which medcite refuses (XXE / entity expansion)",
            path=str(path),
            line=1,
        )


def _map_record(elem: etree._Element, max_chars: int) -> Record:
    line = elem.sourceline or 0
    if elem.tag == "DeleteCitation":
        return Deleted([f"pmid:{_text(p)}" for p in elem.iterfind("PMID") if _text(p)])
    try:
        document = _document(elem, line, max_chars)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        return Rejected(line, _first_line(str(exc)))
    return Parsed(document)


def _first_line(message: str) -> str:
    lines = [part.strip() for part in message.splitlines() if part.strip()]
    return " ".join(lines[:3])


def _document(elem: etree._Element, line: int, max_chars: int) -> Document:
    book = elem.tag == "PubmedBookArticle"
    citation = elem.find("BookDocument" if book else "MedlineCitation")
    if citation is None:
        raise ValueError(f"{elem.tag} without {'BookDocument' if book else 'MedlineCitation'}")
    pmid_el = citation.find("PMID")
    pmid = _text(pmid_el)
    if not pmid.isdigit():
        raise ValueError(f"record without a valid PMID (got {pmid!r})")
    article = citation if book else citation.find("Article")
    if article is None:
        raise ValueError(f"PMID {pmid}: no Article element")
    source = _source(elem, citation, article, pmid, int(pmid_el.get("Version") or 1), book)
    sections = _abstract(article) or [DocSection(title="Title", text=source.title)]
    if sum(len(s.text) for s in sections) > max_chars:
        raise ValueError(f"PMID {pmid}: abstract longer than {max_chars} characters")
    return Document(source=source, sections=sections, origin=f"line {line}")


def _source(
    elem: etree._Element,
    citation: etree._Element,
    article: etree._Element,
    pmid: str,
    version: int,
    book: bool,
) -> Source:
    types = [_text(t) for t in article.iter("PublicationType")]
    table = evidence_table()
    refs = {c.get("RefType") for c in citation.iterfind(".//CommentsCorrections")}
    title = (
        _text(article.find("ArticleTitle"))
        or _text(article.find("VernacularTitle"))
        or _text(article.find("Book/BookTitle"))
        or "(untitled)"
    )
    year, published = _date(article, book)
    return Source(
        id=f"pmid:{pmid}",
        kind=table.kind(types),
        study_type=table.study_type(types),
        title=title,
        authors=_authors(article),
        journal=_journal(article, book),
        publisher=_text(article.find("Book/Publisher/PublisherName")) or None,
        year=year,
        published=published,
        pmid=pmid,
        doi=_doi(elem, article),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        publication_types=types,
        mesh_terms=_mesh(citation),
        retracted=table.is_retracted(types) or "RetractionIn" in refs,
        concern="ExpressionOfConcernIn" in refs,
        version=version,
    )


def _text(elem: etree._Element | None) -> str:
    """All text of an element, inline markup included (HbA<sub>1c</sub> -> HbA1c)."""
    if elem is None:
        return ""
    text = elem.text or "" if len(elem) == 0 else "".join(elem.itertext())
    return " ".join(text.split())


def _abstract(article: etree._Element) -> list[DocSection]:
    sections = []
    for part in article.iterfind("Abstract/AbstractText"):
        text = _text(part)
        if text:
            sections.append(
                DocSection(
                    title=(part.get("Label") or "").strip().capitalize(),
                    category=part.get("NlmCategory"),
                    text=text,
                )
            )
    return sections


def _authors(article: etree._Element) -> list[str]:
    names = []
    for author in article.iterfind(".//AuthorList/Author"):
        # Read only the name parts (direct .text); affiliations are long and not needed.
        parts = {child.tag: child.text for child in author if child.tag in _NAME_TAGS}
        name = parts.get("CollectiveName") or " ".join(
            p for p in (parts.get("LastName"), parts.get("Initials")) if p
        )
        if name:
            names.append(" ".join(name.split()))
    return names


def _journal(article: etree._Element, book: bool) -> str | None:
    if book:
        return None
    return (
        _text(article.find("Journal/Title"))
        or _text(article.find("Journal/ISOAbbreviation"))
        or None
    )


def _doi(elem: etree._Element, article: etree._Element) -> str | None:
    # The article's own ids only: PubmedData/ReferenceList also holds ids of cited works.
    for found in (
        article.find("ELocationID[@EIdType='doi']"),
        elem.find("PubmedData/ArticleIdList/ArticleId[@IdType='doi']"),
        elem.find("PubmedBookData/ArticleIdList/ArticleId[@IdType='doi']"),
    ):
        if _text(found):
            return _text(found)
    return None


def _mesh(citation: etree._Element) -> list[str]:
    return [
        f"{name.get('UI') or ''}:{name.text or ''}{'*' if name.get('MajorTopicYN') == 'Y' else ''}"
        for name in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")
    ]


def _date(article: etree._Element, book: bool) -> tuple[int | None, dt.date | None]:
    """Year and (when complete) date from PubDate, MedlineDate or ArticleDate."""
    pub = article.find("Book/PubDate" if book else "Journal/JournalIssue/PubDate")
    for candidate in (pub, article.find("ArticleDate")):
        if candidate is None:
            continue
        year_match = _YEAR.search(
            _text(candidate.find("Year")) or _text(candidate.find("MedlineDate"))
        )
        if year_match:
            year = int(year_match.group(1))
            return year, _full_date(year, candidate)
    return None, None


def _full_date(year: int, elem: etree._Element) -> dt.date | None:
    month_text = _text(elem.find("Month")).lower()[:3]
    month = _MONTHS.get(month_text) or (int(month_text) if month_text.isdigit() else None)
    day_text = _text(elem.find("Day"))
    if month is None or not day_text.isdigit():
        return None  # a partial date stays a year: no invented precision
    try:
        return dt.date(year, month, int(day_text))
    except ValueError:
        return None
