"""Guideline and patient-information documents (Markdown or HTML with metadata) -> Documents.

Markdown files start with a YAML front-matter block; HTML files carry the same fields as
``<meta name="medcite:FIELD" content="...">``. Sections are the level-2 headings. Text a reader
would not see (HTML comments, scripts, hidden elements) is dropped, so it cannot reach an answer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from lxml import html as lxml_html

from medcite.errors import MalformedSourceError
from medcite.types import DocSection, Document, Source, SourceKind

FIELDS = {
    "id",
    "title",
    "kind",
    "audience",
    "publisher",
    "year",
    "topics",
    "starter",
    "based_on",
    "url",
    "authors",
    "published",
}
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,150}$")


def read_document(path: Path) -> Document:
    """Read one Markdown (.md) or HTML (.html/.htm) document.

    Raises:
        MalformedSourceError: missing or invalid metadata, or no text.
    """
    # NUL bytes are not text (and PostgreSQL refuses them in text columns): drop them.
    text = path.read_text(encoding="utf-8", errors="replace").replace("\x00", "")
    if path.suffix.lower() in {".html", ".htm"}:
        meta, sections = _parse_html(text, path)
    else:
        meta, sections = _parse_markdown(text, path)
    if not sections:
        raise MalformedSourceError("the document has no text", path=str(path))
    try:
        source = _source(meta)
        return Document(source=source, sections=sections, origin=str(path))
    except ValueError as exc:
        raise MalformedSourceError(
            f"invalid metadata: {_short(exc)}", path=str(path), line=1
        ) from None


def _short(exc: ValueError) -> str:
    return " ".join(line.strip() for line in str(exc).splitlines()[:3])


def _source(meta: dict[str, Any]) -> Source:
    unknown = set(meta) - FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}; allowed: {sorted(FIELDS)}")
    slug = str(meta.get("id", ""))
    if not _SLUG.match(slug):
        raise ValueError("'id' must be lowercase letters, digits and hyphens")
    kind = SourceKind(meta.get("kind", "guideline"))
    return Source(
        id=f"doc:{slug}",
        kind=kind,
        study_type="guideline" if kind == SourceKind.GUIDELINE else None,
        title=str(meta.get("title", "")),
        authors=_as_list(meta.get("authors")),
        publisher=meta.get("publisher"),
        year=meta.get("year"),
        published=meta.get("published"),
        url=meta.get("url"),
        audience=meta.get("audience"),
        topics=_as_list(meta.get("topics")),
        starter=bool(meta.get("starter", False)),
        based_on=_as_list(meta.get("based_on")),
    )


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise ValueError(f"expected a list, got {type(value).__name__}")


def _parse_markdown(text: str, path: Path) -> tuple[dict[str, Any], list[DocSection]]:
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise MalformedSourceError(
            "no front matter (a '---' block at the top)", path=str(path), line=1
        )
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        raise MalformedSourceError(
            f"invalid front matter: {exc}", path=str(path), line=line
        ) from None
    if not isinstance(meta, dict):
        raise MalformedSourceError("front matter must be a mapping", path=str(path), line=1)
    body = _COMMENT.sub("", text[match.end() :])
    return meta, _markdown_sections(body)


def _markdown_sections(body: str) -> list[DocSection]:
    sections: list[DocSection] = []
    title, lines = "", list[str]()
    for raw in body.splitlines() + ["## "]:
        if raw.startswith("## ") or raw.strip() == "##":
            text = _join_markdown(lines)
            if text:
                sections.append(DocSection(title=title, text=text))
            title, lines = raw[3:].strip(), []
        elif not raw.startswith("# "):
            lines.append(raw)
    return sections


def _join_markdown(lines: list[str]) -> str:
    """Paragraphs and bullets as one run of sentences; each bullet ends with punctuation."""
    parts = []
    for line in lines:
        item = line.strip()
        bullet = item[:2] in {"- ", "* "} or bool(re.match(r"\d+\. ", item))
        item = re.sub(r"^([-*]|\d+\.)\s+", "", item)
        item = _EMPHASIS.sub("", _LINK.sub(r"\1", item)).strip()
        if bullet and item and item[-1] not in ".?!:":
            item += "."
        if item:
            parts.append(item)
    return " ".join(" ".join(parts).split())


def _parse_html(text: str, path: Path) -> tuple[dict[str, Any], list[DocSection]]:
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise MalformedSourceError(f"cannot parse HTML: {exc}", path=str(path)) from None
    meta: dict[str, Any] = {}
    for tag in root.iterfind(".//meta"):
        name = tag.get("name") or ""
        if name.startswith("medcite:"):
            key = name.removeprefix("medcite:")
            value: Any = tag.get("content", "")
            meta[key] = value.split(";") if key in {"topics", "based_on", "authors"} else value
    if "year" in meta:
        meta["year"] = int(meta["year"]) if str(meta["year"]).isdigit() else None
    meta.setdefault("title", " ".join(root.findtext(".//title", "").split()))
    _drop_hidden(root)
    return meta, _html_sections(root)


def _drop_hidden(root: lxml_html.HtmlElement) -> None:
    hidden = root.xpath(
        "//script|//style|//template|//noscript|//head|//*[@hidden]|//*[@aria-hidden='true']"
        "|//*[contains(translate(@style,' ',''),'display:none')]"
        "|//*[contains(translate(@style,' ',''),'visibility:hidden')]"
    )
    for elem in hidden:
        elem.drop_tree()


def _html_sections(root: lxml_html.HtmlElement) -> list[DocSection]:
    sections: list[DocSection] = []
    title, chunks = "", list[str]()
    for elem in root.iter("h2", "p", "li", "td"):
        if elem.tag == "h2":
            _flush(sections, title, chunks)
            title, chunks = " ".join(elem.text_content().split()), []
        else:
            chunk = " ".join(elem.text_content().split())
            if chunk and elem.tag == "li" and chunk[-1] not in ".?!:":
                chunk += "."
            chunks.append(chunk)
    _flush(sections, title, chunks)
    return sections


def _flush(sections: list[DocSection], title: str, chunks: list[str]) -> None:
    text = " ".join(c for c in chunks if c)
    if text:
        sections.append(DocSection(title=title, text=text))
