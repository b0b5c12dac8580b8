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
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

from lxml import etree

from medcite.errors import MalformedSourceError
from medcite.ingest.evidence_types import evidence_table
from medcite.types import DocSection, Document, Source

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
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
    if gzipped:
        return cast(IO[bytes], gzip.GzipFile(path, "rb"))
    return path.open("rb")


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
    if pmid_el is None or not pmid.isdigit():
        raise ValueError(f"record without a valid PMID (got {pmid!r})")
    fields = _Fields()
    # One pass over the citation's elements: much faster than a find() per field.
    for node in citation.iter(*_HANDLERS):
        handler = _HANDLERS.get(node.tag)
        if handler is not None:
            handler(node, fields)
    if fields.doi is None:
        fields.doi = _text(elem.find("PubmedData/ArticleIdList/ArticleId[@IdType='doi']")) or None
    source = _source(fields, pmid, int(pmid_el.get("Version") or 1))
    sections = fields.sections or [DocSection(title="Title", text=source.title)]
    if sum(len(s.text) for s in sections) > max_chars:
        raise ValueError(f"PMID {pmid}: abstract longer than {max_chars} characters")
    return Document(source=source, sections=sections, origin=f"line {line}")


@dataclass
class _Fields:
    """What one pass over a citation collects."""

    title: str = ""
    vernacular_title: str = ""
    book_title: str = ""
    journal: str = ""
    publisher: str = ""
    doi: str | None = None
    pub_date: etree._Element | None = None
    article_date: etree._Element | None = None
    sections: list[DocSection] = field(default_factory=list)
    author_parts: list[dict[str, str]] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)
    mesh: list[str] = field(default_factory=list)


def _source(fields: _Fields, pmid: str, version: int) -> Source:
    table = evidence_table()
    types = fields.types
    year, published = _date(fields.pub_date, fields.article_date)
    return Source(
        id=f"pmid:{pmid}",
        kind=table.kind(types),
        study_type=table.study_type(types),
        title=fields.title or fields.vernacular_title or fields.book_title or "(untitled)",
        authors=_author_names(fields.author_parts),
        journal=fields.journal or None,
        publisher=fields.publisher or None,
        year=year,
        published=published,
        pmid=pmid,
        doi=fields.doi,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
        publication_types=types,
        mesh_terms=fields.mesh,
        retracted=table.is_retracted(types) or "RetractionIn" in fields.refs,
        concern="ExpressionOfConcernIn" in fields.refs,
        version=version,
    )


def _author_names(parts: list[dict[str, str]]) -> list[str]:
    names = (p.get("CollectiveName") or " ".join(
        x for x in (p.get("LastName"), p.get("Initials")) if x) for p in parts)
    return [name for name in names if name]


def _text(elem: etree._Element | None) -> str:
    """All text of an element, inline markup included (HbA<sub>1c</sub> -> HbA1c)."""
    if elem is None:
        return ""
    text = elem.text or "" if len(elem) == 0 else "".join(elem.itertext())
    return " ".join(text.split())


def _parent_tag(node: etree._Element) -> str:
    parent = node.getparent()
    return str(parent.tag) if parent is not None else ""


def _on_title(node: etree._Element, fields: _Fields) -> None:
    if not fields.title and _parent_tag(node) in {"Article", "BookDocument"}:
        fields.title = _text(node)


def _on_vernacular(node: etree._Element, fields: _Fields) -> None:
    fields.vernacular_title = fields.vernacular_title or _text(node)


def _on_book_title(node: etree._Element, fields: _Fields) -> None:
    fields.book_title = fields.book_title or _text(node)


def _on_abstract(node: etree._Element, fields: _Fields) -> None:
    text = _text(node)
    if text and _parent_tag(node) == "Abstract":  # not OtherAbstract (translations)
        label = (node.get("Label") or "").strip().capitalize()
        fields.sections.append(DocSection(title=label, category=node.get("NlmCategory"),
                                          text=text))


def _on_author(node: etree._Element, fields: _Fields) -> None:
    # The name parts are children visited right after this element (document order).
    if _parent_tag(node) == "AuthorList":
        fields.author_parts.append({})


def _on_name_part(node: etree._Element, fields: _Fields) -> None:
    if fields.author_parts and node.text and _parent_tag(node) == "Author":
        fields.author_parts[-1][str(node.tag)] = " ".join(node.text.split())


def _on_journal_title(node: etree._Element, fields: _Fields) -> None:
    if not fields.journal and _parent_tag(node) == "Journal":
        fields.journal = _text(node)


def _on_publisher(node: etree._Element, fields: _Fields) -> None:
    fields.publisher = fields.publisher or _text(node)


def _on_pub_date(node: etree._Element, fields: _Fields) -> None:
    if fields.pub_date is None and _parent_tag(node) in {"JournalIssue", "Book"}:
        fields.pub_date = node


def _on_article_date(node: etree._Element, fields: _Fields) -> None:
    if fields.article_date is None:
        fields.article_date = node


def _on_publication_type(node: etree._Element, fields: _Fields) -> None:
    fields.types.append(_text(node))


def _on_correction(node: etree._Element, fields: _Fields) -> None:
    fields.refs.add(node.get("RefType") or "")


def _on_descriptor(node: etree._Element, fields: _Fields) -> None:
    star = "*" if node.get("MajorTopicYN") == "Y" else ""
    fields.mesh.append(f"{node.get('UI') or ''}:{_text(node)}{star}")


def _on_elocation(node: etree._Element, fields: _Fields) -> None:
    if fields.doi is None and node.get("EIdType") == "doi" and _text(node):
        fields.doi = _text(node)


_HANDLERS = {
    "ArticleTitle": _on_title,
    "VernacularTitle": _on_vernacular,
    "BookTitle": _on_book_title,
    "AbstractText": _on_abstract,
    "Author": _on_author,
    "LastName": _on_name_part,
    "Initials": _on_name_part,
    "CollectiveName": _on_name_part,
    "Title": _on_journal_title,
    "PublisherName": _on_publisher,
    "PubDate": _on_pub_date,
    "ArticleDate": _on_article_date,
    "PublicationType": _on_publication_type,
    "CommentsCorrections": _on_correction,
    "DescriptorName": _on_descriptor,
    "ELocationID": _on_elocation,
}


def _date(
    pub_date: etree._Element | None, article_date: etree._Element | None
) -> tuple[int | None, dt.date | None]:
    """Year and (when complete) date from PubDate, MedlineDate or ArticleDate."""
    for candidate in (pub_date, article_date):
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
