"""The case library: published patients (phenopackets) that rare-disease ranking compares with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medcite.errors import ConfigurationError, MalformedSourceError
from medcite.settings import Settings, SymptomsSettings
from medcite.symptoms.cases import CaseLibrary, ReportedCase, load_case_library, read_phenopacket
from medcite.symptoms.checker import check, prepare
from medcite.symptoms.hpo import Disease, HpoIndex, build_index
from medcite.symptoms.rare import CITED_SIMILARITY, RareModel
from medcite.types import Finding, SymptomQuery

# HP:0000001 All > HP:0000118 Phenotypic abnormality > eye (cataract, glaucoma), seizure, ...
NAMES = {1: "All", 118: "Phenotypic abnormality", 10: "Abnormality of the eye",
         11: "Cataract", 12: "Glaucoma", 20: "Seizure", 30: "Short stature",
         40: "Hearing impairment"}
PARENTS = {1: (), 118: (1,), 10: (118,), 11: (10,), 12: (10,), 20: (118,), 30: (118,),
           40: (118,)}
EYE, EPILEPSY = "OMIM:100001", "OMIM:100002"
DISEASES = [
    Disease(EYE, "Cataract with short stature", frozenset({11, 30})),
    Disease(EPILEPSY, "Epilepsy with deafness", frozenset({20, 40})),
    *[Disease(f"OMIM:2000{i:02d}", f"Glaucoma {i}", frozenset({12})) for i in range(8)],
]


def phenopacket(disease: str, observed: list[str], excluded: list[str] = (),  # type: ignore[assignment]
                pmid: str = "PMID:1", case_id: str = "case-1") -> dict[str, object]:
    features = ([{"type": {"id": t, "label": t}} for t in observed]
                + [{"type": {"id": t, "label": t}, "excluded": True} for t in excluded])
    return {
        "id": case_id,
        "subject": {"id": "patient 7", "sex": "FEMALE"},
        "phenotypicFeatures": features,
        "interpretations": [{"diagnosis": {"disease": {"id": disease, "label": "x"}}}],
        "metaData": {"externalReferences": [{"id": pmid, "description": "case report"}]},
    }


@pytest.fixture(scope="module")
def hpo() -> HpoIndex:
    return build_index("test", NAMES, PARENTS, DISEASES)


def write(folder: Path, name: str, record: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(record))


def test_a_phenopacket_gives_diagnosis_findings_and_report_but_no_identifier(
        hpo: HpoIndex) -> None:
    case = read_phenopacket(phenopacket(EYE, ["HP:0000011", "HP:0000099"], ["HP:0000020"],
                                        pmid="PMID:123"), hpo)
    assert case == ReportedCase("case-1", EYE, frozenset({11}), frozenset({20}),
                                frozenset({"PMID:123"}))  # HP:0000099 is unknown here
    assert "patient 7" not in repr(case)


def test_records_without_a_diagnosis_or_a_known_finding_are_not_cases(hpo: HpoIndex) -> None:
    no_diagnosis = phenopacket(EYE, ["HP:0000011"])
    no_diagnosis["interpretations"] = []
    assert read_phenopacket(no_diagnosis, hpo) is None
    assert read_phenopacket(phenopacket(EYE, ["HP:0000099"]), hpo) is None
    assert read_phenopacket(["not", "a", "phenopacket"], hpo) is None


def test_a_folder_is_read_recursively_skipping_what_is_not_a_phenopacket(
        tmp_path: Path, hpo: HpoIndex) -> None:
    write(tmp_path / "cohort", "a.json", phenopacket(EYE, ["HP:0000011"]))
    write(tmp_path, "b.json", {"some": "other json"})
    (tmp_path / "broken.json").write_text("{ not json")
    write(tmp_path, "unranked.json", phenopacket("OMIM:999999", ["HP:0000011"]))
    library = load_case_library(tmp_path, hpo)
    assert [c.disease for c in library.cases] == [EYE]  # the unknown disease cannot be ranked


@pytest.mark.parametrize("make", ["missing", "empty", "no-phenopacket"])
def test_a_library_without_usable_cases_is_a_clear_error(tmp_path: Path, hpo: HpoIndex,
                                                         make: str) -> None:
    folder = tmp_path / "cases"
    if make != "missing":
        folder.mkdir()
    if make == "no-phenopacket":
        write(folder, "x.json", {"id": "x"})
    with pytest.raises(MalformedSourceError, match="case library|no usable phenopacket"):
        load_case_library(folder, hpo)


def test_similarity_is_one_for_the_same_findings_and_lower_for_fewer_shared(
        hpo: HpoIndex) -> None:
    library = CaseLibrary(hpo, [
        ReportedCase("a", EYE, frozenset({11, 30}), frozenset(), frozenset({"PMID:1"})),
        ReportedCase("b", EPILEPSY, frozenset({20, 11}), frozenset(), frozenset({"PMID:2"})),
    ])
    best, which = library.similarity({11, 30})
    eye, epilepsy, glaucoma = 0, 1, 2
    assert best[eye] == pytest.approx(1.0)
    assert 0 < best[epilepsy] < best[eye]
    assert best[glaucoma] == 0 and which[glaucoma] == -1  # no reported case
    assert list(which[:2]) == [0, 1]


def test_a_patient_is_never_matched_against_their_own_report(hpo: HpoIndex) -> None:
    library = CaseLibrary(hpo, [
        ReportedCase("a", EYE, frozenset({11, 30}), frozenset(), frozenset({"PMID:1"})),
        ReportedCase("b", EYE, frozenset({11}), frozenset(), frozenset({"PMID:2"})),
    ])
    assert library.similarity({11, 30}, skip=frozenset({"PMID:1"}))[1][0] == 1
    assert library.similarity({11, 30}, skip=frozenset({"a", "PMID:2"}))[0][0] == 0


def test_a_reported_patient_like_this_one_lifts_a_disease_its_annotations_miss(
        hpo: HpoIndex) -> None:
    # Cataract, short stature and a seizure: the annotations favour the cataract disease, but a
    # published patient with this epilepsy had all three.
    plain = RareModel(hpo)
    library = CaseLibrary(hpo, [ReportedCase("r", EPILEPSY, frozenset({11, 20, 30}), frozenset(),
                                             frozenset({"PMID:42"}))])
    with_cases = RareModel(hpo, cases=library)
    observed = {11, 20, 30}
    assert plain.rank(observed, limit=1)[0].id == EYE
    top = with_cases.rank(observed, limit=2)
    assert top[0].id == EPILEPSY and top[0].similar_case == ("PMID:42",)
    assert top[1].similar_case == ()  # the cataract disease has no reported patient


def test_the_checker_cites_the_reported_patient_it_drew_on(tmp_path: Path) -> None:
    # Marfan syndrome, as a published patient showed it.
    marfan = ["HP:0001166", "HP:0001083", "HP:0000098", "HP:0002616"]
    write(tmp_path, "marfan.json", phenopacket("OMIM:154700", marfan, pmid="PMID:31"))
    settings = Settings(symptoms=SymptomsSettings(case_library=tmp_path))
    result = check(SymptomQuery(findings=[Finding(id=t, label=t) for t in marfan]), settings)
    top = next(c for c in result.causes if c.id == "OMIM:154700")
    assert "PMID:31" in top.source
    assert top.source.startswith("HPO disease annotations")


def test_only_a_close_resemblance_is_cited(hpo: HpoIndex) -> None:
    # The reported patient shares the cataract only: it still counts, but is not cited.
    library = CaseLibrary(hpo, [ReportedCase("r", EYE, frozenset({11, 12, 20, 40}), frozenset(),
                                             frozenset({"PMID:42"}))])
    similarity = library.similarity({11, 30})[0][0]
    assert 0 < similarity < CITED_SIMILARITY
    model = RareModel(hpo, cases=library)
    assert model.scores({11, 30}, set())[0] > RareModel(hpo).scores({11, 30}, set())[0]
    assert model.rank({11, 30}, limit=1)[0].similar_case == ()


def test_a_case_library_setting_without_cases_fails_at_start_up_with_the_reason(
        tmp_path: Path) -> None:
    write(tmp_path, "notes.json", {"not": "a phenopacket"})
    config = SymptomsSettings(case_library=tmp_path)
    with pytest.raises(ConfigurationError, match="no usable phenopacket") as error:
        prepare(config)
    assert error.value.hint and "OMIM" in error.value.hint
    from medcite.web.app import create_app

    with pytest.raises(ConfigurationError):
        create_app(Settings(home=tmp_path / "home", symptoms=config))
