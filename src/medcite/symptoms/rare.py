"""Rare-disease ranking from HPO terms: per-finding likelihood ratios, in the spirit of LIRICAL.

For a disease D with directly annotated terms A(D), and its closure C(D) (A(D) and all ancestors):

* an **observed** term q is explained by its most specific ancestor-or-self ``a`` in C(D)
  (q itself when D is annotated with q or a descendant). Its log likelihood ratio is
  ``log f - log bg(a)`` with ``bg`` the share of diseases whose closure holds the term (so an
  exact match on a rare term is strong evidence, a match only on a broad ancestor is weak). With
  a constant feature frequency ``f`` this sum ranks diseases like Phenomizer's one-way Resnik
  similarity; hpo3 does not expose HPO's per-annotation frequencies, so ``f`` is constant here.
* an **excluded** term x that D is annotated with argues (weakly) against D. Curated cases often
  list the disease's own optional features as excluded, and without frequencies we cannot tell
  an obligatory feature from an occasional one, so the weight is small (set on the dev half).
* a **prior** grows slowly with the number of annotated features (``|A(D)|^PRIOR_EXPONENT``):
  well-described diseases are the ones diagnosed and reported more often.

Reference: Robinson PN et al., "Interpretable clinical genomics with a likelihood ratio paradigm",
Am J Hum Genet 2020 (LIRICAL); Köhler S et al., "Clinical diagnostics in human genetics with
semantic similarity searches in ontologies", Am J Hum Genet 2009 (Phenomizer).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from medcite.symptoms.hpo import FloatArray, HpoIndex, IntArray, format_id, load_hpo

FEATURE_FREQUENCY = 0.5  # f: chance an annotated feature is reported (no per-term data)
EXCLUDED_WEIGHT = 0.01  # log-LR penalty per excluded term that D is annotated with
PRIOR_EXPONENT = 0.25  # prior ∝ (|A(D)| + 1) ** PRIOR_EXPONENT
MIN_LR = 0.02  # floor of any single likelihood ratio, so one odd finding cannot veto a disease


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


class RareModel:
    """Ranks OMIM diseases for observed and excluded HPO terms.

    Usage::

        model = RareModel(load_hpo())
        top = model.rank({2315, 1250}, excluded={1945}, limit=10)
    """

    def __init__(self, hpo: HpoIndex) -> None:
        self.hpo = hpo
        sizes = np.asarray([len(d.terms) for d in hpo.diseases], dtype=np.float64)
        self.log_prior: FloatArray = PRIOR_EXPONENT * np.log(sizes + 1.0)
        self._direct: dict[int, IntArray] = {}
        members: dict[int, list[int]] = {}
        for position, disease in enumerate(hpo.diseases):
            for term in disease.terms:
                members.setdefault(term, []).append(position)
        self._direct = {t: np.asarray(p, dtype=np.int64) for t, p in members.items()}

    def _best_match(self, term: int) -> FloatArray:
        """Per disease: bg of the most specific ancestor-or-self of ``term`` in its closure."""
        best = np.ones(len(self.hpo.diseases), dtype=np.float64)
        for ancestor in self.hpo.ancestors(term):
            members = self.hpo.term_diseases.get(ancestor)
            if members is not None:
                best[members] = np.minimum(best[members], self.hpo.frequency(ancestor))
        return best

    def observed_log_lr(self, term: int) -> FloatArray:
        """log LR per disease for one observed term."""
        log_lr = math.log(FEATURE_FREQUENCY) - np.log(self._best_match(term))
        return np.maximum(log_lr, math.log(MIN_LR))

    def excluded_log_lr(self, term: int) -> FloatArray:
        """log LR per disease for one explicitly excluded term (negative where annotated)."""
        out = np.zeros(len(self.hpo.diseases), dtype=np.float64)
        members = self._direct.get(term)
        if members is not None:
            out[members] = -EXCLUDED_WEIGHT
        return out

    def scores(self, observed: set[int], excluded: set[int]) -> FloatArray:
        """Log prior plus summed log likelihood ratios, per disease."""
        total = self.log_prior.copy()
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
        disease = self.hpo.diseases[index]
        closure = self.hpo.closure(disease.terms)
        supporting = tuple(t for t in sorted(observed) if t in closure)
        opposing = tuple(t for t in sorted(excluded) if t in closure)
        return RareScore(index, disease.id, disease.name, log_lr, probability,
                         supporting, opposing)

    def labels(self, terms: tuple[int, ...]) -> list[str]:
        """Readable labels, e.g. ``"Headache (HP:0002315)"``."""
        return [f"{self.hpo.name(t)} ({format_id(t)})" for t in terms if self.hpo.known(t)]


@functools.cache
def rare_model() -> RareModel:
    """The rare-disease model over the bundled HPO (built once per process)."""
    return RareModel(load_hpo())
