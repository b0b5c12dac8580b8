"""Answer templates per audience (``rules/sections.json``), validated on load.

A template says which sections an answer has, which source headings (or PubMed section
categories) feed each one, which question intents call for it, and which cue phrases make a
sentence a better fit. Medical wording lives in the JSON, not here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from medcite.errors import RuleFileError
from medcite.types import Audience, Intent

_FILE_KEYS = frozenset({"source", "skip_sentence", "clinician_directives", "clinician", "patient"})
_SECTION_KEYS = frozenset({"title", "intents", "headings", "categories", "cues", "fallback"})
_BOTTOM_KEYS = frozenset({"title", "count", "headings", "categories", "cues"})
ANY = "*"


@dataclass(frozen=True, slots=True)
class SectionRule:
    """One section of a template."""

    title: str
    intents: frozenset[str]
    headings: frozenset[str]
    categories: frozenset[str]
    cues: tuple[re.Pattern[str], ...]
    fallback: bool = False
    count: int = 0

    def wanted(self, intents: list[Intent], populations: list[str]) -> bool:
        """Whether a question with these intents and populations calls for this section."""
        if ANY in self.intents or not intents:
            return True
        if populations and self.title == "Special populations":
            return True
        return bool(self.intents & {intent.value for intent in intents})

    def feeds(self, heading: str, category: str | None) -> bool:
        """Whether a passage with this heading and category belongs in this section."""
        if category is not None and category.upper() in self.categories:
            return True
        return ANY in self.headings or heading.strip().lower() in self.headings


@dataclass(frozen=True, slots=True)
class Template:
    """The sections of an answer for one audience, bottom line first."""

    bottom_line: SectionRule
    sections: tuple[SectionRule, ...]


@dataclass(frozen=True, slots=True)
class Templates:
    """Both audiences' templates plus the sentence filters."""

    clinician: Template
    patient: Template
    skip_sentence: tuple[re.Pattern[str], ...]
    clinician_directives: tuple[re.Pattern[str], ...]

    def for_audience(self, audience: Audience) -> Template:
        """The template for ``audience``."""
        return self.clinician if audience is Audience.CLINICIAN else self.patient


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _rule(data: dict[str, Any], allowed: frozenset[str]) -> SectionRule:
    unknown = set(data) - allowed
    if unknown:
        raise RuleFileError(
            f"sections.json {data.get('title')!r}: unknown keys {sorted(unknown)}; "
            f"allowed: {sorted(allowed)}"
        )
    intents = frozenset(data.get("intents", [ANY]))
    bad = intents - {i.value for i in Intent} - {ANY}
    if bad:
        raise RuleFileError(f"sections.json {data['title']!r}: unknown intents {sorted(bad)}")
    return SectionRule(
        title=data["title"],
        intents=intents,
        headings=frozenset(h.lower() for h in data["headings"]),
        categories=frozenset(c.upper() for c in data.get("categories", [])),
        cues=_compile(data.get("cues", [])),
        fallback=bool(data.get("fallback", False)),
        count=int(data.get("count", 0)),
    )


def parse_templates(data: dict[str, Any]) -> Templates:
    """Validate the templates document and build it."""
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise RuleFileError(
            f"sections.json: unknown keys {sorted(unknown)}; allowed: {sorted(_FILE_KEYS)}"
        )
    try:
        built = {
            name: Template(
                bottom_line=_rule(data[name]["bottom_line"], _BOTTOM_KEYS),
                sections=tuple(_rule(s, _SECTION_KEYS) for s in data[name]["sections"]),
            )
            for name in ("clinician", "patient")
        }
        return Templates(
            clinician=built["clinician"],
            patient=built["patient"],
            skip_sentence=_compile(data["skip_sentence"]),
            clinician_directives=_compile(data["clinician_directives"]),
        )
    except (KeyError, re.error) as exc:
        raise RuleFileError(f"sections.json: {exc}") from exc


@lru_cache(maxsize=1)
def templates() -> Templates:
    """The bundled templates, validated (cached)."""
    raw = resources.files("medcite.answer").joinpath("rules/sections.json").read_text("utf-8")
    return parse_templates(json.loads(raw))
