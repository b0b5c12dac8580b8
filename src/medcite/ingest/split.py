"""Sentences and passages: a medical-abbreviation-aware sentence splitter and section windows.

Passages never cross a section boundary and never cut a sentence (unless one sentence alone is
longer than the window); their ids are ``<source_id>#<ordinal>``, so re-splitting the same
document yields the same passages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

from medcite.types import Document, Passage

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace,
# then something that can start a sentence (capital, digit, opening bracket or quote).
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+(?=[A-Z0-9(\[\"'\u201c\u2018])")


@lru_cache(maxsize=1)
def abbreviations() -> frozenset[str]:
    """Lower-case abbreviations (without final period) that do not end a sentence."""
    raw = resources.files("medcite.ingest").joinpath("rules/abbreviations.json").read_text()
    data = json.loads(raw)
    unknown = set(data) - {"source", "abbreviations"}
    if unknown:
        raise ValueError(
            f"abbreviations.json: unknown keys {sorted(unknown)}; allowed: source, abbreviations"
        )
    return frozenset(a.lower().rstrip(".") for a in data["abbreviations"])


def _is_abbreviation(text: str, start: int, period: int) -> bool:
    """True when the word ending at ``text[period]`` (a '.') is an abbreviation or an initial."""
    word_start = max(text.rfind(" ", start, period), text.rfind("(", start, period), start - 1) + 1
    word = text[word_start:period]
    if len(word) == 1 and word.isupper():  # an initial, as in "J. Smith"
        return True
    return word.lower() in abbreviations()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace between them excluded)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start() + 1
        if text[match.start()] == "." and _is_abbreviation(text, start, match.start()):
            continue
        end = match.end() - len(match.group(0)) + len(match.group(0).rstrip())
        spans.append((start, end))
        start = match.end()
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of ``text``."""
    return [text[a:b] for a, b in sentence_spans(text)]


def _windows(text: str, limit: int) -> Iterator[tuple[int, int]]:
    """Group consecutive sentences into spans of at most ``limit`` characters."""
    if len(text) <= limit:  # most abstract sections: one passage, no sentence splitting needed
        yield 0, len(text)
        return
    spans = sentence_spans(text)
    begin, end = spans[0] if spans else (0, 0)
    for a, b in spans[1:]:
        if b - begin > limit:
            yield begin, end
            begin = a
        end = b
    if end > begin:
        yield begin, end


def split_document(doc: Document, *, max_chars: int = 1200) -> list[Passage]:
    """Split a document into passages, section by section, in reading order."""
    passages: list[Passage] = []
    for section in doc.sections:
        for start, end in _windows(section.text, max_chars):
            passages.append(
                Passage(
                    id=f"{doc.source.id}#{len(passages)}",
                    source_id=doc.source.id,
                    ordinal=len(passages),
                    section=section.title,
                    category=section.category,
                    text=section.text[start:end],
                    char_start=start,
                    char_end=end,
                )
            )
    return passages
