"""PubMed publication types -> reference label (Guideline / Research) and a finer study type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from medcite.types import SourceKind

_ALLOWED_KEYS = {"source", "guideline", "study_types", "retracted"}


@dataclass(frozen=True, slots=True)
class EvidenceTable:
    """The publication-type rules, validated on load."""

    guideline: frozenset[str]
    study_types: tuple[tuple[str, frozenset[str]], ...]
    retracted: frozenset[str]

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> EvidenceTable:
        """Build the table from its JSON form, rejecting unknown keys."""
        unknown = set(data) - _ALLOWED_KEYS
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(_ALLOWED_KEYS)}")
        if not data.get("source"):
            raise ValueError("publication type rules need a 'source'")
        rules, guideline, retracted = data["study_types"], data["guideline"], data["retracted"]
        if not (isinstance(rules, list) and isinstance(guideline, list)
                and isinstance(retracted, list)):
            raise ValueError("study_types, guideline and retracted must be lists")
        return cls(
            guideline=frozenset(guideline),
            study_types=tuple((r["study_type"], frozenset(r["publication_types"])) for r in rules),
            retracted=frozenset(retracted),
        )

    def kind(self, publication_types: list[str]) -> SourceKind:
        """Guideline when any type is a guideline type, otherwise research."""
        if self.guideline.intersection(publication_types):
            return SourceKind.GUIDELINE
        return SourceKind.RESEARCH

    def study_type(self, publication_types: list[str]) -> str | None:
        """The highest-ranked study type among the publication types, if any is known."""
        for name, types in self.study_types:
            if types.intersection(publication_types):
                return name
        return None

    def is_retracted(self, publication_types: list[str]) -> bool:
        """True for 'Retracted Publication' (not for a 'Retraction of Publication' notice)."""
        return bool(self.retracted.intersection(publication_types))


@lru_cache(maxsize=1)
def evidence_table() -> EvidenceTable:
    """The bundled publication-type table."""
    raw = resources.files("medcite.ingest").joinpath("rules/publication_types.json").read_text()
    return EvidenceTable.from_dict(json.loads(raw))
