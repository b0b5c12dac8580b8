"""Question analysis: intents, subject, population, and follow-up context.

The vocabulary is data (``rules/question.json``). A follow-up question that names no subject
of its own ("and in pregnancy?", "what is the maximum dose of it?") inherits the subject of the
question it follows.

Example:
    analysis = analyse("What about in pregnancy?", follow_up_of="How is migraine treated?")
    assert analysis.subject_terms == ["migraine"]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from medcite.errors import RuleFileError
from medcite.types import Intent, QuestionAnalysis

_KEYS = frozenset(
    {"source", "intents", "populations", "stopwords", "generic_terms", "follow_up_cues"}
)
# Hyphens split words, as in the full-text index ("post-exposure" -> post, exposure).
_WORD = re.compile(r"[a-z0-9]+(?:'s)?")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The question-analysis vocabulary (see ``rules/question.json``)."""

    intents: tuple[tuple[Intent, tuple[re.Pattern[str], ...]], ...]
    populations: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    stopwords: frozenset[str]
    generic_terms: frozenset[str]
    follow_up_cues: tuple[re.Pattern[str], ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        """Build the vocabulary, rejecting unknown keys, intents and bad patterns."""
        unknown = set(data) - _KEYS
        if unknown:
            raise RuleFileError(
                f"question.json: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}"
            )
        try:
            intents = tuple(
                (Intent(name), _compile(patterns)) for name, patterns in data["intents"].items()
            )
            populations = tuple(
                (name, _compile(patterns)) for name, patterns in data["populations"].items()
            )
            cues = _compile(data["follow_up_cues"])
        except (KeyError, ValueError, re.error) as exc:
            raise RuleFileError(f"question.json: {exc}") from exc
        return cls(
            intents=intents,
            populations=populations,
            stopwords=frozenset(data["stopwords"]),
            generic_terms=frozenset(stem(w) for w in data["generic_terms"]),
            follow_up_cues=cues,
        )


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The bundled vocabulary, validated (cached)."""
    raw = resources.files("medcite.answer").joinpath("rules/question.json").read_text("utf-8")
    return Vocabulary.from_dict(json.loads(raw))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stem for matching: lower case, plural and common suffixes removed."""
    word = word.lower().strip("'-")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and not word.endswith(("ss", "us", "is")):
            return word[: -len(suffix)] + replacement
    return word


def words(text: str) -> list[str]:
    """Lower-case word tokens of ``text``."""
    return _WORD.findall(text.lower())


def content_stems(text: str) -> list[str]:
    """Stems of the content words of ``text`` (stopwords removed), in order, without repeats."""
    if len(text) <= _REMEMBERED_CHARS:
        return list(_short_content_stems(text))
    return _content_stems(text)


# Titles, topics and sentences recur across answers (both audiences of a drafting, and every
# question on the same topic), so their stems are remembered; long texts are not kept.
_REMEMBERED_CHARS = 1000


@lru_cache(maxsize=8192)
def _short_content_stems(text: str) -> tuple[str, ...]:
    return tuple(_content_stems(text))


def _content_stems(text: str) -> list[str]:
    stop = vocabulary().stopwords
    return list(dict.fromkeys(stem(w) for w in words(text) if w not in stop))


def _subject_terms(text: str, vocab: Vocabulary) -> list[str]:
    """Content stems that are neither generic nor population words."""
    population_words = {
        stem(w)
        for _, patterns in vocab.populations
        for pattern in patterns
        for found in pattern.finditer(text)
        for w in words(found.group(0))
    }
    return [
        term
        for term in content_stems(text)
        if term not in vocab.generic_terms and term not in population_words and len(term) > 1
    ]


def _matches(patterns: tuple[re.Pattern[str], ...], text: str) -> int | None:
    """Offset of the first match of any pattern, or None."""
    offsets = [m.start() for p in patterns if (m := p.search(text)) is not None]
    return min(offsets) if offsets else None


def _intents(text: str, vocab: Vocabulary) -> list[Intent]:
    found = [(at, order, intent) for order, (intent, patterns) in enumerate(vocab.intents)
             if (at := _matches(patterns, text)) is not None]
    intents = [intent for _, _, intent in sorted(found)]
    # "What is the treatment for X?" asks for treatment, not a definition.
    return [i for i in intents if i is not Intent.DEFINITION] or intents


def _is_follow_up(text: str, subject: list[str], vocab: Vocabulary) -> bool:
    return not subject or any(p.search(text) for p in vocab.follow_up_cues[:1])


def analyse(question: str, *, follow_up_of: str | None = None) -> QuestionAnalysis:
    """Analyse a question; a follow-up without its own subject inherits the earlier one's.

    Args:
        question: The question as asked.
        follow_up_of: The text of the question this one follows, if any.
    """
    vocab = vocabulary()
    text = " ".join(question.split())
    subject = _subject_terms(text, vocab)
    intents = _intents(text, vocab)
    populations = [
        name for name, patterns in vocab.populations if _matches(patterns, text) is not None
    ]
    inherited: str | None = None
    search_text = text
    if follow_up_of and _is_follow_up(text, subject, vocab):
        earlier = analyse(follow_up_of)
        inherited = earlier.text
        subject = list(dict.fromkeys(earlier.subject_terms + subject))
        intents = intents or earlier.intents
        populations = list(dict.fromkeys(populations + earlier.population))
        search_text = f"{text} {' '.join(earlier.subject_terms)}"
    return QuestionAnalysis(
        text=text,
        intents=intents,
        subject_terms=subject,
        population=populations,
        inherited_from=inherited,
        search_text=search_text,
    )
