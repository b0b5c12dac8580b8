"""What a question asks for (symptoms, treatment, inheritance …) and which passages answer it.

A consumer question such as "What are the treatments for Williams syndrome?" shares its words
with every passage about Williams syndrome: the one on its treatment, but also those on its
causes, its frequency and its inheritance. Words and embeddings alike rank those siblings
close together. The kind of answer the question wants separates them: a passage that answers
a treatment question usually says so in its first words ("There is no cure …, treatment is
…"). The retriever adds ``index.answer_type_weight``, times the flatness of the lexical
scores (``fuse.lexical_flatness``), to the fused score of the top candidates whose first
``index.answer_type_lead`` characters match the answer pattern of a type the question asks for.

Only questions get a type (text ending in "?" or opening with a question word), so claims and
keyword searches ("Statins reduce mortality") are ranked as before. The types come from
``index/rules/question_types.json``; each names its source.

Example:
    >>> [t.name for t in asked_types("Is Huntington disease inherited?")]
    ['inheritance']
    >>> asked_types("Huntington disease is inherited.")
    ()
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_QUESTION_WORDS = frozenset(
    "what which how who whom whose why when where is are was were can could do does did should "
    "will would may might has have".split()
)
_FIRST_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class QuestionType:
    """One kind of question, how to recognise it, and how its answers begin."""

    name: str
    question: re.Pattern[str]
    answer: re.Pattern[str]
    source: str

    def answered_by(self, lead: str) -> bool:
        """Whether a passage beginning with ``lead`` reads as an answer of this kind."""
        return self.answer.search(lead) is not None


@lru_cache(maxsize=1)
def question_types() -> tuple[QuestionType, ...]:
    """The bundled table (``index/rules/question_types.json``), validated."""
    raw = resources.files("medcite.index").joinpath("rules/question_types.json")
    types = []
    for entry in json.loads(raw.read_text("utf-8"))["types"]:
        if not entry.get("source"):
            raise ValueError(f"question types: {entry.get('type')!r} has no source")
        types.append(QuestionType(
            name=entry["type"],
            question=re.compile(entry["question"], re.IGNORECASE),
            answer=re.compile(entry["answer"], re.IGNORECASE),
            source=entry["source"],
        ))
    return tuple(types)


def is_question(text: str) -> bool:
    """Whether ``text`` is put as a question: it ends in "?" or opens with a question word."""
    stripped = text.strip()
    first = _FIRST_WORD.match(stripped)
    return stripped.endswith("?") or (first is not None and first[0].lower() in _QUESTION_WORDS)


def asked_types(text: str) -> tuple[QuestionType, ...]:
    """The kinds of answer the question ``text`` asks for; none when it is not a question."""
    if not is_question(text):
        return ()
    return tuple(t for t in question_types() if t.question.search(text))
