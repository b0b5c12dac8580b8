"""The sentences of a stored passage with their content stems, worked out once per text.

Sufficiency and composition both read every sentence of the gathered evidence, for each
audience of a drafting, and the same passages come back for every question on their topic. A
passage's text does not change, so its sentences are split and stemmed once and remembered
(bounded, keyed by the text itself, so an edited passage is simply a new entry).

Example:
    for sentence in passage_sentences(passage.text):
        print(sentence.start, sentence.text, sorted(sentence.stems))
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from medcite.answer.question import content_stems
from medcite.ingest.split import sentence_spans

_REMEMBERED_TEXTS = 2048


@dataclass(frozen=True, slots=True)
class PassageSentence:
    """One sentence of a passage: its span, its text (trimmed) and its content stems."""

    start: int
    end: int
    text: str
    stems: frozenset[str]


@lru_cache(maxsize=_REMEMBERED_TEXTS)
def passage_sentences(text: str) -> tuple[PassageSentence, ...]:
    """The sentences of ``text`` in reading order (``medcite.ingest.split`` rules)."""
    found = []
    for start, end in sentence_spans(text):
        sentence = text[start:end].strip()
        found.append(PassageSentence(start, end, sentence, frozenset(content_stems(sentence))))
    return tuple(found)
