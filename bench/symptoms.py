"""Rare-disease ranking on phenopacket-store (dev half): medcite vs a Resnik BMA baseline.

Each case's observed and excluded HPO terms go in; we score the rank of its OMIM diagnosis among
all OMIM diseases in hpo3. Ties are counted pessimistically (the right disease ranks last among
equal scores); optimistic figures (first among equals) are reported beside them.

Baseline: Phenomizer's query-to-disease similarity (Köhler et al., AJHG 2009): for each observed
term the information content of its most informative common ancestor with the disease's terms
(Resnik), averaged over the query terms (best-match average, one way); observed terms only.
``--hpo3-bma`` adds hpo3's symmetric Resnik BMA (``helper.batch_set_similarity``; ~0.5 s/case).

Figures are given for all cases and for the "rankable" ones, whose diagnosis is among hpo3's
OMIM diseases (newer OMIM entries are not, and count as misses in the all-case figures).

Run: ``python bench/symptoms.py [--limit N] [--hpo3-bma]``. Writes
``bench/results/symptoms-phenopackets.json``. The data stay in /work/shared/bench (licence).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medcite.symptoms.hpo import HpoIndex, load_hpo, parse_id
from medcite.symptoms.rare import RareModel

DATA = Path("/work/shared/bench/phenopacket-store")
OUT = Path(__file__).parent / "results" / "symptoms-phenopackets.json"
CUTOFFS = (1, 3, 10)


@dataclass(frozen=True)
class Case:
    """One phenopacket reduced to what the ranking sees."""

    name: str
    observed: frozenset[int]
    excluded: frozenset[int]
    disease: str


def load_cases(hpo: HpoIndex, limit: int | None) -> list[Case]:
    """Cases in a fixed, cohort-mixing order (by hash of the file name)."""
    files = sorted(DATA.glob("*/*.json"), key=lambda p: hashlib.sha256(p.name.encode()).digest())
    cases = []
    for path in files[:limit] if limit else files:
        record = json.loads(path.read_text())
        observed: set[int] = set()
        excluded: set[int] = set()
        for feature in record.get("phenotypicFeatures", []):
            term = parse_id(feature["type"]["id"])
            if term is not None and hpo.known(term):
                (excluded if feature.get("excluded") else observed).add(term)
        disease = record["interpretations"][0]["diagnosis"]["disease"]["id"]
        if observed:
            cases.append(Case(path.name, frozenset(observed), frozenset(excluded), disease))
    return cases


def ranks(scores: np.ndarray, target: int | None) -> tuple[float, float]:
    """(pessimistic, optimistic) 1-based rank of ``target``; inf when it is not a candidate."""
    if target is None:
        return float("inf"), float("inf")
    value = scores[target]
    higher = int(np.sum(scores > value))
    equal = int(np.sum(scores == value)) - 1
    return float(higher + equal + 1), float(higher + 1)


def resnik_scores(model: RareModel, case: Case) -> np.ndarray:
    """Phenomizer one-way Resnik best-match average of the observed terms, per disease."""
    total = np.zeros(len(model.hpo.diseases))
    for term in sorted(case.observed):
        total -= np.log(model._best_match(term))
    return total / len(case.observed)


def hpo3_bma_scores(case: Case, disease_sets: list[object]) -> np.ndarray:
    """Resnik BMA similarity of the case's observed terms with every OMIM disease."""
    from pyhpo import HPOSet, helper

    query = HPOSet.from_queries(sorted(case.observed))
    pairs = [(query, d) for d in disease_sets]
    return np.asarray(
        helper.batch_set_similarity(pairs, kind="omim", method="resnik", combine="BMA")
    )


def summarise(pess: list[float], opt: list[float], seconds: float) -> dict[str, float]:
    """top-k accuracies (pessimistic, and optimistic with an _opt suffix) and ms per case."""
    out: dict[str, float] = {}
    for k in CUTOFFS:
        out[f"top{k}"] = round(float(np.mean([r <= k for r in pess])), 4)
    for k in CUTOFFS:
        out[f"top{k}_opt"] = round(float(np.mean([r <= k for r in opt])), 4)
    out["ms_per_case"] = round(1000 * seconds / max(1, len(pess)), 2)
    return out


def evaluate(cases: list[Case], position: dict[str, int],
             scorer: Callable[[Case], np.ndarray]) -> dict[str, object]:
    """Rank every case with ``scorer``; figures for all cases and for rankable ones."""
    pess, opt, rankable, started = [], [], [], time.perf_counter()
    for case in cases:
        p, o = ranks(scorer(case), position.get(case.disease))
        pess.append(p)
        opt.append(o)
        rankable.append(case.disease in position)
    seconds = time.perf_counter() - started
    out: dict[str, object] = dict(summarise(pess, opt, seconds))
    keep = [i for i, ok in enumerate(rankable) if ok]
    out["rankable"] = summarise([pess[i] for i in keep], [opt[i] for i in keep],
                                seconds * len(keep) / max(1, len(cases)))
    return out


def main() -> None:
    """Run the benchmark and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases")
    parser.add_argument("--hpo3-bma", action="store_true", help="add hpo3 symmetric Resnik BMA")
    args = parser.parse_args()
    hpo = load_hpo()
    model = RareModel(hpo)
    position = {d.id: i for i, d in enumerate(hpo.diseases)}
    cases = load_cases(hpo, args.limit)
    results: dict[str, object] = {
        "cases": len(cases),
        "rankable_cases": sum(1 for c in cases if c.disease in position),
        "hpo_version": hpo.version,
        "diseases": len(hpo.diseases),
        "ties": "top-k = pessimistic (last among equal scores); top-k_opt = optimistic",
    }
    results["medcite"] = evaluate(
        cases, position, lambda c: model.scores(set(c.observed), set(c.excluded))
    )
    results["baseline"] = evaluate(cases, position, lambda c: resnik_scores(model, c))
    if args.hpo3_bma:
        from pyhpo import Ontology

        sets = [d.hpo_set() for d in sorted(Ontology.omim_diseases, key=lambda d: int(d.id))]
        results["baseline_hpo3_bma"] = evaluate(
            cases, position, lambda c: hpo3_bma_scores(c, sets)
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
