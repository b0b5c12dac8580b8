"""A site with a case library (``symptoms.case_library``): the API names the report of a
published patient like the user, and the result page links to it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from symptoms_kit import main_of, patient, start, walk

from live_server import copy_store, serve
from medcite.settings import Settings, SymptomsSettings

MARFAN = "OMIM:154700"
TEXT = "arachnodactyly, ectopia lentis, scoliosis, tall stature"
PHENOPACKET = {  # a published patient, as phenopacket-store holds them
    "id": "PMID_31_patient_1",
    "subject": {"id": "patient 1", "sex": "MALE"},
    "phenotypicFeatures": [{"type": {"id": t}} for t in
                           ("HP:0001166", "HP:0001083", "HP:0002650", "HP:0000098")],
    "interpretations": [{"diagnosis": {"disease": {"id": MARFAN, "label": "Marfan syndrome"}}}],
    "metaData": {"externalReferences": [{"id": "PMID:31"}]},
}


@pytest.fixture(scope="module")
def site(starter_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cases = tmp_path_factory.mktemp("cases")
    (cases / "case.json").write_text(json.dumps(PHENOPACKET))
    copied = copy_store(starter_settings, tmp_path_factory.mktemp("site"))
    from medcite.web.app import create_app

    settings = copied.model_copy(update={"symptoms": SymptomsSettings(case_library=cases)})
    with serve(create_app(settings)) as url:
        yield url


def test_the_api_names_the_report_of_a_patient_like_the_user(site: str) -> None:
    with patient(site) as client:
        causes = client.post("/api/v1/symptoms", json={"text": TEXT}).json()["causes"]
    assert causes[0]["id"] == MARFAN  # familial ectopia lentis first without the library
    assert causes[0]["reports"] == ["PMID:31"]
    assert all(c["reports"] == [] for c in causes[1:])  # no reported patient of theirs


def test_the_result_page_links_to_that_report(site: str) -> None:
    with patient(site) as client:
        result = walk(client, start(client, TEXT)).last
    first = main_of(result.text).split('<ol class="causes">', 1)[1].split("</li>", 1)[0]
    assert "Marfan syndrome" in first
    link = '<a href="https://pubmed.ncbi.nlm.nih.gov/31/">A reported patient like you (PMID 31)</a>'
    assert link in first
