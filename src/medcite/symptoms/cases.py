"""A library of published patients (GA4GH phenopackets) that rare-disease ranking compares with.

HPO's disease annotations miss features that later case reports describe, and curators word a
disease's features at other terms than its annotations. A local collection of phenopackets
(for example a copy of phenopacket-store, which is BSD-3-Clause) fills both gaps: a disease
whose reported patients look like the query patient gains, whatever its annotations say.

Similarity is an information-content weighted Jaccard index of the two term sets with their
ancestors (each term weighs ``-log`` of the share of diseases reaching it, as in Resnik
similarity): ``sum IC(shared) / sum IC(either)``. A disease scores the similarity of its most
similar reported patient. Only the patient's findings and diagnosis are kept, and each case's
publication ids (PMIDs) so that an explanation can cite the report; no subject identifier is.

Usage::

    library = load_case_library(Path("phenopacket-store/notebooks"), load_hpo())
    best, case = library.similarity({2315, 1250})     # per disease: similarity, case position
    library.cases[case[42]].sources                   # -> frozenset({"PMID:123"})
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medcite.errors import MalformedSourceError
from medcite.symptoms.hpo import FloatArray, HpoIndex, IntArray, parse_id

MAX_FILE_BYTES = 5_000_000  # a phenopacket is a few kB; larger JSON files are not one


@dataclass(frozen=True)
class ReportedCase:
    """One published patient: diagnosis, observed and excluded HPO terms, publication ids."""

    id: str  # the phenopacket's id
    disease: str  # e.g. "OMIM:616211"
    observed: frozenset[int]
    excluded: frozenset[int]
    sources: frozenset[str]  # "PMID:…" of the report(s)


def read_phenopacket(record: object, hpo: HpoIndex) -> ReportedCase | None:
    """The case a phenopacket (v2 JSON, parsed) describes; None when it has no diagnosis or no
    observed term this ontology knows."""
    if not isinstance(record, dict):
        return None
    disease = _diagnosis(record)
    observed: set[int] = set()
    excluded: set[int] = set()
    for feature in record.get("phenotypicFeatures") or []:
        kind = feature.get("type") if isinstance(feature, dict) else None
        term = parse_id(str(kind.get("id", ""))) if isinstance(kind, dict) else None
        if term is not None and hpo.known(term):
            (excluded if feature.get("excluded") else observed).add(term)
    if disease is None or not observed:
        return None
    references = (record.get("metaData") or {}).get("externalReferences") or []
    sources = frozenset(str(r["id"]) for r in references
                        if isinstance(r, dict) and str(r.get("id", "")).startswith("PMID:"))
    return ReportedCase(str(record.get("id", "")), disease, frozenset(observed),
                        frozenset(excluded - observed), sources)


def _diagnosis(record: dict[str, object]) -> str | None:
    """The first interpretation's diagnosed disease id, else the first listed disease's."""
    for interpretation in record.get("interpretations") or []:  # type: ignore[attr-defined]
        try:
            return str(interpretation["diagnosis"]["disease"]["id"])
        except (KeyError, TypeError):
            continue
    for disease in record.get("diseases") or []:  # type: ignore[attr-defined]
        try:
            return str(disease["term"]["id"])
        except (KeyError, TypeError):
            continue
    return None


class CaseLibrary:
    """Reported cases indexed for similarity with a query patient, per disease of ``hpo``.

    Cases whose diagnosis is not among ``hpo``'s diseases are kept out (they cannot be ranked).
    """

    def __init__(self, hpo: HpoIndex, cases: Iterable[ReportedCase]) -> None:
        position = {d.id: i for i, d in enumerate(hpo.diseases)}
        self.hpo = hpo
        self.cases = [c for c in cases if c.disease in position]
        self.disease: IntArray = np.asarray([position[c.disease] for c in self.cases], np.int64)
        closures = [sorted(hpo.closure(c.observed)) for c in self.cases]
        terms = sorted({t for closure in closures for t in closure})
        self._column = {t: i for i, t in enumerate(terms)}
        self._weight: FloatArray = np.asarray([self._ic(t) for t in terms], np.float64)
        self._members: IntArray = np.asarray(
            [self._column[t] for closure in closures for t in closure], np.int64)
        self._case_of: IntArray = np.repeat(np.arange(len(closures)),
                                            [len(c) for c in closures]).astype(np.int64)
        self._size = np.bincount(self._case_of, self._weight[self._members],
                                 minlength=len(self.cases)).astype(np.float64)
        self._by_key: dict[str, list[int]] = {}  # case id or PMID -> case positions
        for i, case in enumerate(self.cases):
            for key in {case.id, *case.sources}:
                self._by_key.setdefault(key, []).append(i)

    def _ic(self, term: int) -> float:
        """Information content of a term: -log of the share of diseases reaching it."""
        return -math.log(self.hpo.frequency(term))

    def __len__(self) -> int:
        return len(self.cases)

    def similarity(self, observed: Iterable[int], skip: frozenset[str] = frozenset()
                   ) -> tuple[FloatArray, IntArray]:
        """Per disease of ``hpo``: the best similarity of a reported case to ``observed``, and
        that case's position in :attr:`cases` (-1 where the disease has no case).

        ``skip``: case ids or publication ids whose cases are left out (a patient is never
        matched against their own report).
        """
        best = np.zeros(len(self.hpo.diseases), np.float64)
        which = np.full(len(self.hpo.diseases), -1, np.int64)
        if not self.cases:
            return best, which
        closure = self.hpo.closure(frozenset(observed))
        query = np.zeros(len(self._weight), np.float64)
        for term in closure:
            if (column := self._column.get(term)) is not None:
                query[column] = self._weight[column]
        query_size = sum(self._ic(t) for t in closure)
        shared = np.bincount(self._case_of, query[self._members], minlength=len(self.cases))
        scores = shared / np.maximum(self._size + query_size - shared, 1e-12)
        for key in skip:
            scores[self._by_key.get(key, [])] = 0.0
        order = np.lexsort((scores, self.disease))  # by disease, then similarity
        diseases = self.disease[order]
        last = np.r_[diseases[1:] != diseases[:-1], True]  # each disease's most similar case
        best[diseases[last]] = scores[order[last]]
        which[diseases[last]] = order[last]
        which[best <= 0] = -1
        return best, which


def load_case_library(path: Path, hpo: HpoIndex) -> CaseLibrary:
    """All phenopackets under ``path`` (a folder, searched recursively, or one JSON file).

    Files that are not phenopackets (other JSON, no diagnosis, no known observed term) are
    skipped.

    Raises:
        MalformedSourceError: ``path`` does not exist or holds no usable phenopacket.
    """
    if not path.exists():
        raise MalformedSourceError(f"case library {path} does not exist",
                                   hint="give a folder of GA4GH phenopacket JSON files")
    files = [path] if path.is_file() else sorted(path.rglob("*.json"))
    cases = []
    for file in files:
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                continue
            case = read_phenopacket(json.loads(file.read_text(encoding="utf-8")), hpo)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if case is not None:
            cases.append(case)
    library = CaseLibrary(hpo, cases)
    if not library.cases:
        raise MalformedSourceError(
            f"no usable phenopacket in {path} ({len(files)} JSON files)",
            hint="each needs a diagnosed OMIM disease known to HPO and observed HPO terms")
    return library
