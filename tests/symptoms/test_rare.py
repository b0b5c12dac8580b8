"""The rare-disease ranking on a small ontology: ancestors, specific terms, absent findings,
frequencies and the calibration that keeps big annotation sets from winning by volume."""

from __future__ import annotations

import math

import pytest

from medcite.symptoms.hpo import (
    AnnotationFrequencies,
    Disease,
    Frequency,
    HpoIndex,
    build_index,
    gene_links,
)
from medcite.symptoms.rare import (
    GENE_DISCOUNT,
    SOLE_GENE_DISCOUNT,
    UNEXPLAINED_LR,
    RareModel,
    feature_frequency,
)
from medcite.types import Sex

# HP:0000001 All > HP:0000118 Phenotypic abnormality > ...
NAMES = {1: "All", 118: "Phenotypic abnormality", 10: "Abnormality of the eye",
         11: "Cataract", 12: "Glaucoma", 20: "Seizure", 21: "Focal-onset seizure",
         22: "Absence seizure", 30: "Short stature", 40: "Hearing impairment"}
PARENTS = {1: (), 118: (1,), 10: (118,), 11: (10,), 12: (10,), 20: (118,), 21: (20,),
           22: (20,), 30: (118,), 40: (118,)}
EYE, EPILEPSY, ABSENCE, SYNDROME = "OMIM:100001", "OMIM:100002", "OMIM:100003", "OMIM:100004"
DISEASES = [
    Disease(EYE, "Cataract with short stature", frozenset({11, 30})),
    Disease(EPILEPSY, "Epilepsy", frozenset({20})),
    Disease(ABSENCE, "Absence epilepsy", frozenset({22})),
    Disease(SYNDROME, "Everything syndrome", frozenset({11, 12, 21, 22, 30, 40})),
    *[Disease(f"OMIM:2000{i:02d}", f"Deafness {i}", frozenset({40})) for i in range(8)],
]


@pytest.fixture(scope="module")
def hpo() -> HpoIndex:
    return build_index("test", NAMES, PARENTS, DISEASES)


def ranked(model: RareModel, observed: set[int], excluded: set[int] | None = None) -> list[str]:
    return [r.id for r in model.rank(observed, excluded, limit=len(DISEASES))]


def test_a_more_specific_finding_counts_for_the_annotated_broader_term(hpo: HpoIndex) -> None:
    # Epilepsy is annotated with "Seizure"; the patient has a focal-onset seizure.
    order = ranked(RareModel(hpo), {21})
    assert order.index(EPILEPSY) < order.index(EYE)
    top = RareModel(hpo).rank({21}, limit=len(DISEASES))
    assert 21 in next(r for r in top if r.id == EPILEPSY).supporting


def test_a_finding_counts_for_its_ancestors(hpo: HpoIndex) -> None:
    # The eye disease is annotated with "Cataract"; the patient reports an eye abnormality.
    order = ranked(RareModel(hpo), {10})
    assert order.index(EYE) < order.index(EPILEPSY)


def test_an_exact_match_beats_a_match_on_a_broad_ancestor(hpo: HpoIndex) -> None:
    model = RareModel(hpo)
    lr = model.observed_log_lr(22)
    positions = {d.id: i for i, d in enumerate(hpo.diseases)}
    assert lr[positions[ABSENCE]] > lr[positions[EPILEPSY]] > lr[positions[EYE]]


def test_an_excluded_annotated_finding_lowers_that_disease_only(hpo: HpoIndex) -> None:
    model = RareModel(hpo)
    before = model.scores({30}, set())
    after = model.scores({30}, {11})  # no cataract
    positions = {d.id: i for i, d in enumerate(hpo.diseases)}
    assert after[positions[EYE]] < before[positions[EYE]]
    assert after[positions[EPILEPSY]] == before[positions[EPILEPSY]]
    eye = next(r for r in model.rank({30}, {11}, limit=len(DISEASES)) if r.id == EYE)
    assert eye.opposing == (11,)


def test_a_big_annotation_set_does_not_win_by_volume(hpo: HpoIndex) -> None:
    # Both diseases explain cataract and short stature; the syndrome also has four more features,
    # so it matches a typical finding better and that is taken off (every term is "typical" in
    # this small ontology; with hpo3 the terms of at least 20 diseases are).
    assert ranked(RareModel(hpo, calibration_min_diseases=1), {11, 30})[0] == EYE
    assert ranked(RareModel(hpo, calibration_min_diseases=100), {11, 30})[0] == SYNDROME


def test_frequencies_make_a_frequent_feature_stronger_evidence(hpo: HpoIndex) -> None:
    positions = {d.id: i for i, d in enumerate(hpo.diseases)}
    rare_in_eye = AnnotationFrequencies("test", {
        (EYE, 11): Frequency(1 / 40, 40), (SYNDROME, 11): Frequency(38 / 40, 40)})
    plain, weighted = RareModel(hpo).scores({11}, set()), RareModel(hpo, rare_in_eye).scores(
        {11}, set())
    gap = positions[SYNDROME], positions[EYE]
    assert weighted[gap[0]] - weighted[gap[1]] > plain[gap[0]] - plain[gap[1]]


def test_small_series_say_less_than_large_ones() -> None:
    assert feature_frequency(None) == 0.5
    assert 0.5 < feature_frequency(Frequency(1.0, 1)) < feature_frequency(Frequency(1.0, 100))
    assert 0 < feature_frequency(Frequency(0.0, 100)) < 0.1
    assert feature_frequency(Frequency(0.895)) == 0.895  # an HPO frequency class, no counts


def test_ranking_is_deterministic_and_probabilities_sum_to_one(hpo: HpoIndex) -> None:
    model = RareModel(hpo)
    everything = model.rank({40}, limit=len(DISEASES))
    assert [r.id for r in everything] == [r.id for r in model.rank({40}, limit=len(DISEASES))]
    assert sum(r.probability for r in everything) == pytest.approx(1.0)
    assert model.labels((11, 999)) == ["Cataract (HP:0000011)"]


def test_an_exact_match_beats_a_broader_report_of_a_more_specific_annotation(
    hpo: HpoIndex,
) -> None:
    # "Seizure" observed: Epilepsy is annotated with it; Absence epilepsy only with a subtype.
    positions = {d.id: i for i, d in enumerate(hpo.diseases)}
    lr = RareModel(hpo).observed_log_lr(20)
    assert lr[positions[EPILEPSY]] > lr[positions[ABSENCE]] > lr[positions[EYE]]


def test_an_annotation_above_the_finding_counts_less_than_an_exact_one(hpo: HpoIndex) -> None:
    # "Focal-onset seizure" observed: the syndrome has it; Epilepsy stops at "Seizure".
    positions = {d.id: i for i, d in enumerate(hpo.diseases)}
    lr = RareModel(hpo).observed_log_lr(21)
    assert lr[positions[SYNDROME]] > lr[positions[EPILEPSY]] > lr[positions[EYE]]


def test_an_unexplained_finding_costs_the_same_constant_ratio_everywhere(hpo: HpoIndex) -> None:
    # Hearing impairment shares only "Phenotypic abnormality" with the eye disease and epilepsy.
    positions = {d.id: i for i, d in enumerate(hpo.diseases)}
    lr = RareModel(hpo).observed_log_lr(40)
    assert lr[positions[EYE]] == lr[positions[EPILEPSY]] == pytest.approx(math.log(UNEXPLAINED_LR))


def test_the_background_is_weighted_by_frequency(hpo: HpoIndex) -> None:
    # Cataract is rare in the eye disease: a cataract is then less common across diseases, so
    # matching it says more for the syndrome than without frequencies.
    positions = {d.id: i for i, d in enumerate(hpo.diseases)}
    rare_in_eye = AnnotationFrequencies("test", {(EYE, 11): Frequency(1 / 40, 40)})
    plain, weighted = RareModel(hpo), RareModel(hpo, rare_in_eye)
    syndrome = positions[SYNDROME]
    assert weighted.observed_log_lr(11)[syndrome] > plain.observed_log_lr(11)[syndrome]


# A second small world for gene lists and sex: inheritance terms sit beside the phenotypes, and
# enough other diseases make hearing impairment a specific finding.
INHERITANCE = {5: "Mode of inheritance", 6: "Autosomal dominant inheritance",
               1419: "X-linked recessive inheritance"}
WIDE_NAMES = {**NAMES, **INHERITANCE}
WIDE_PARENTS = {**PARENTS, 5: (1,), 6: (5,), 1419: (5,)}
X_EYE, AD_EYE, GENE_EYE = "OMIM:300001", "OMIM:100011", "OMIM:100012"


def wide_index() -> HpoIndex:
    diseases = [
        Disease(X_EYE, "X-linked cataract", frozenset({11, 1419})),
        Disease(AD_EYE, "Dominant cataract", frozenset({11, 6})),
        # Its gene's list (from an allelic disease) also has hearing impairment.
        Disease(GENE_EYE, "Cataract, gene-listed deafness", frozenset({11, 6}),
                gene_terms=frozenset({11, 40, 6})),
        *[Disease(f"OMIM:2001{i:02d}", f"Deafness {i}", frozenset({40, 6})) for i in range(4)],
        *[Disease(f"OMIM:2002{i:02d}", f"Dwarfism {i}", frozenset({30, 6})) for i in range(20)],
    ]
    return build_index("test", WIDE_NAMES, WIDE_PARENTS, diseases)


def test_a_woman_makes_an_x_linked_recessive_disease_less_likely() -> None:
    model = RareModel(wide_index())
    positions = {d.id: i for i, d in enumerate(model.hpo.diseases)}
    unknown, woman, man = (model.scores({11}, set(), sex) for sex in
                           (None, Sex.FEMALE, Sex.MALE))
    assert woman[positions[X_EYE]] < unknown[positions[X_EYE]] == man[positions[X_EYE]]
    assert woman[positions[AD_EYE]] == unknown[positions[AD_EYE]]
    chance = {r.id: r.probability for r in model.rank({11}, sex=Sex.FEMALE, limit=3)}
    assert chance[X_EYE] < chance[AD_EYE]


def test_a_finding_only_the_gene_list_explains_counts_between_own_and_none() -> None:
    # Hearing impairment: annotated for the deafness diseases, only on the gene list of one
    # cataract disease, unrelated to the other.
    model = RareModel(wide_index())
    positions = {d.id: i for i, d in enumerate(model.hpo.diseases)}
    lr = model.observed_log_lr(40)
    assert lr[positions["OMIM:200100"]] > lr[positions[GENE_EYE]] > lr[positions[AD_EYE]]
    order = [r.id for r in model.rank({11, 40}, limit=3)]
    assert order[0] == GENE_EYE


def test_each_annotated_feature_the_patient_shows_counts() -> None:
    # The syndrome's cataract and absence-seizure annotations are both shown; "Eye" and
    # "Seizure" are ancestors of what the patient has, not annotations of the syndrome.
    model = RareModel(build_index("test", NAMES, PARENTS, DISEASES))
    positions = {d.id: i for i, d in enumerate(model.hpo.diseases)}
    shown = model.confirmed_features({11, 22})
    assert shown[positions[SYNDROME]] == 2
    assert shown[positions[EYE]] == shown[positions[ABSENCE]] == 1
    assert shown[positions[EPILEPSY]] == 1  # "Seizure", shown as an absence seizure


def test_a_disease_is_linked_to_the_one_gene_whose_list_holds_all_its_terms() -> None:
    genes = [frozenset({11, 30, 40}), frozenset({11, 12}), frozenset({11, 20})]
    links = gene_links([frozenset({11, 30}), frozenset({11}), frozenset({99}), frozenset()],
                       genes)
    assert links == [genes[0], frozenset(), frozenset(), frozenset()]  # {11} fits three genes


def test_a_gene_list_of_one_disease_is_discounted_less_than_a_shared_one() -> None:
    # Hearing impairment is on both gene lists; the glaucoma list is shared by two allelic
    # diseases, so it may come from the sister disease; the cataract list is its disease's own.
    sole, shared = "OMIM:100021", "OMIM:100022"
    diseases = [
        Disease(sole, "Cataract", frozenset({11, 6}), gene_terms=frozenset({11, 40, 6})),
        Disease(shared, "Glaucoma A", frozenset({12, 6}), gene_terms=frozenset({12, 40, 6})),
        Disease("OMIM:100023", "Glaucoma B", frozenset({12, 6}),
                gene_terms=frozenset({12, 40, 6})),
        *[Disease(f"OMIM:2003{i:02d}", f"Dwarfism {i}", frozenset({30, 6})) for i in range(20)],
    ]
    model = RareModel(build_index("test", WIDE_NAMES, WIDE_PARENTS, diseases))
    positions = {d.id: i for i, d in enumerate(model.hpo.diseases)}
    lr = model.observed_log_lr(40)
    assert lr[positions[sole]] - lr[positions[shared]] == pytest.approx(
        math.log(SOLE_GENE_DISCOUNT / GENE_DISCOUNT))
