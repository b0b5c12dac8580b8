"""``POST /api/v1/symptoms`` through a real uvicorn server: the CLI's JSON shape, the interview,
bad input as problems (R-SEC-5), rate limits (R-SEC-6), the site's emergency number (R-SC-6)
and the on/off switch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from symptoms_kit import EMERGENCY_TEXT, TEXT, main_of, patient, start
from web_kit import assert_problem, assert_secured, tags

from live_server import copy_store, serve
from medcite.cli.symptoms import assessment_json
from medcite.settings import AnswerSettings, Settings, SymptomsSettings, WebSettings
from medcite.symptoms.checker import check
from medcite.types import SymptomQuery

API = "/api/v1/symptoms"


def _site(starter: Settings, home: Path, **groups: Any) -> Iterator[str]:
    copied = copy_store(starter, home)
    from medcite.web.app import create_app

    with serve(create_app(copied.model_copy(update=groups))) as url:
        yield url


@pytest.fixture(scope="module")
def uk_site(starter_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site set up for the UK, with two questions per session and three steps per client."""
    yield from _site(
        starter_settings, tmp_path_factory.mktemp("uk"),
        answer=AnswerSettings(emergency_number="999", crisis_line="116 123"),
        symptoms=SymptomsSettings(max_questions=2),
        web=WebSettings(symptoms_burst=3, symptoms_per_minute=0.01),
    )


@pytest.fixture(scope="module")
def switched_off(starter_settings: Settings,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site with the symptom checker switched off."""
    yield from _site(starter_settings, tmp_path_factory.mktemp("off"),
                     symptoms=SymptomsSettings(enabled=False))


def _post(url: str, body: Any) -> httpx.Response:
    with patient(url) as client:
        return client.post(API, json=body)


# --- the happy path ---------------------------------------------------------------------------


def test_the_api_answers_the_cli_json_shape_plus_notice_and_links(live_server: Any) -> None:
    response = _post(live_server.url, {"text": TEXT})
    assert response.status_code == 200, response.text
    assert_secured(response)
    body = response.json()
    cli = assessment_json(check(SymptomQuery(text=TEXT), live_server.settings))
    for key in ("triage", "advice", "red_flags", "crisis", "findings", "next_question",
                "unknown_terms", "disclaimer"):
        assert body[key] == cli[key], key
    assert [{k: c[k] for k in cli["causes"][0]} for c in body["causes"]] == cli["causes"]
    assert {("f:rash", False), ("f:headache", True)} <= {
        (f["id"], f["present"]) for f in body["findings"]}
    assert body["urgent_notice"] is None and body["questions_left"] == 8
    assert body["next_question"]["text"].endswith("?")


def test_causes_link_to_the_library_pages_of_related_articles(live_server: Any) -> None:
    causes = _post(live_server.url, {"text": TEXT}).json()["causes"]
    migraine = next(c for c in causes if c["id"] == "c:migraine")
    assert {"kind": "topic", "title": "Migraine", "url": "/topics/migraine"} in migraine["related"]
    leaflet = next(r for r in migraine["related"] if r["kind"] == "patient_info")
    assert leaflet["url"] == "/sources/doc:migraine-patient"
    with httpx.Client(base_url=live_server.url) as client:
        assert all(client.get(r["url"]).status_code == 200
                   for c in causes for r in c["related"])


def test_answers_continue_the_interview_and_are_never_asked_again(live_server: Any) -> None:
    body: dict[str, Any] = {"text": TEXT, "answers": {}}
    asked = []
    with patient(live_server.url) as client:
        while (question := client.post(API, json=body).json()["next_question"]) is not None:
            asked.append(question["finding_id"])
            reply = ["yes", "no", "unsure"][len(asked) % 3]
            body["answers"][question["finding_id"]] = reply
            assert len(asked) <= 8
        final = client.post(API, json=body).json()
    assert len(asked) == len(set(asked))  # R-A11Y-5: never the same question twice
    known = {f["id"]: f["present"] for f in final["findings"]}
    for finding, reply in body["answers"].items():
        assert known.get(finding) == {"yes": True, "no": False, "unsure": None}[reply]
    assert final["questions_left"] == max(0, 8 - len(asked))


def test_an_emergency_is_triaged_first_with_the_number_and_no_more_questions(
    live_server: Any,
) -> None:
    body = _post(live_server.url, {"text": EMERGENCY_TEXT}).json()
    assert body["triage"] == "emergency"
    assert [f["id"] for f in body["red_flags"]] == ["rf:chest_pain"]
    assert body["urgent_notice"].startswith("Seek emergency care now: call 911.")
    assert body["next_question"] is None


def test_findings_by_id_and_hpo_terms_are_accepted(live_server: Any) -> None:
    body = _post(live_server.url, {
        "findings": [{"id": "f:fever"}, {"id": "f:cough"}, {"id": "HP:0002315", "present": False}],
        "age": 40, "sex": "female", "duration_days": 3,
    }).json()
    assert {("f:fever", True), ("f:cough", True)} <= {
        (f["id"], f["present"]) for f in body["findings"]}
    assert body["causes"] and all(c["source"] for c in body["causes"])


# --- bad input: problem documents with a hint, and the security headers -----------------------


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({}, 422, "empty-question"),
        ({"text": "   "}, 422, "empty-question"),
        ({"text": "wibble wobble"}, 422, "unknown-finding"),
        ({"findings": [{"id": "f:no_such_finding"}]}, 422, "unknown-finding"),
        ({"findings": [{"id": "HP:9999999"}]}, 422, "unknown-finding"),
        ({"findings": [{"id": "f:fever"}] * 150}, 413, "input-too-large"),
        ({"findings": [{"id": "f:fever"}] * 10_000}, 413, "input-too-large"),
        ({"text": "fever " * 1000}, 413, "input-too-large"),
        ({"text": "fever", "answers": {f"f:x{n}": "unsure" for n in range(101)}}, 413,
         "input-too-large"),
        ({"text": "fever", "sex": "other"}, 422, "input"),
        ({"text": "fever", "age": 200}, 422, "input"),
        ({"text": "fever", "answers": {"f:cough": "maybe"}}, 422, "input"),
        ({"text": "fever", "diagnosis": "flu"}, 422, "input"),
        ({"findings": [{"id": ""}]}, 422, "input"),
    ],
)
def test_R_SEC_5_bad_input_is_a_problem_with_a_hint(
    live_server: Any, body: Any, status: int, kind: str
) -> None:
    response = _post(live_server.url, body)
    assert_problem(response, status, kind)
    assert response.json()["hint"]
    assert_secured(response)


def test_unknown_terms_beside_known_ones_are_listed_not_refused(live_server: Any) -> None:
    body = _post(live_server.url, {"text": "fever, zorblax"}).json()
    assert body["unknown_terms"] == ["zorblax"]


def test_the_api_takes_json_only(live_server: Any) -> None:
    with patient(live_server.url) as client:
        response = client.post(API, content="text=fever",
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert_problem(response, 415)
    assert_secured(response)


def test_openapi_documents_the_route_and_its_problems(client: httpx.Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    route = schema["paths"][API]["post"]
    assert {"200", "404", "413", "415", "422", "429"} <= set(route["responses"])
    assert "answers" in schema["components"]["schemas"]["SymptomsIn"]["properties"]
    cause = schema["components"]["schemas"]["CauseOut"]["properties"]
    assert {"for", "against", "related"} <= set(cause)
    assert not any(path.startswith("/symptoms") for path in schema["paths"])


# --- the site's settings -----------------------------------------------------------------------


def test_self_harm_sets_crisis_and_the_notice_gives_the_crisis_line(live_server: Any) -> None:
    body = _post(live_server.url, {"text": "I want to hurt myself"}).json()
    assert body["crisis"] is True
    assert live_server.settings.answer.crisis_line in body["urgent_notice"]
    assert _post(live_server.url, {"text": TEXT}).json()["crisis"] is False


def test_R_SC_6_the_sites_emergency_number_is_in_the_notice_and_banner(uk_site: str) -> None:
    with patient(uk_site) as client:
        notice = client.post(API, json={"text": EMERGENCY_TEXT}).json()["urgent_notice"]
        assert notice.startswith("Seek emergency care now: call 999.")
        page = start(client, "I want to kill myself and have chest pain")
    banner = page.text.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "<strong>Urgent:</strong> Seek emergency care now: call 999." in banner
    assert "Crisis line: call or text 116 123" in banner


def test_the_interview_ends_after_the_sites_question_limit(uk_site: str) -> None:
    with patient(uk_site) as client:
        first = client.post(API, json={"text": TEXT}).json()
        one = first["next_question"]["finding_id"]
        second = client.post(API, json={"text": TEXT, "answers": {one: "no"}}).json()
        two = second["next_question"]["finding_id"]
        last = client.post(API, json={"text": TEXT, "answers": {one: "no", two: "no"}}).json()
    assert (first["questions_left"], second["questions_left"]) == (2, 1)
    assert last["next_question"] is None and last["questions_left"] == 0


def test_R_SEC_6_the_checker_is_rate_limited_per_client_with_retry_after(uk_site: str) -> None:
    with patient(uk_site) as client:
        for _ in range(3):
            assert client.post(API, json={"text": "fever"}).status_code == 200
        limited = client.post(API, json={"text": "fever"})
        assert_problem(limited, 429, "rate-limited")
        assert int(limited.headers["retry-after"]) >= 1
        assert_secured(limited)
        page = start(client, "fever")  # the pages spend the same client's bucket
        assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
        assert int(page.headers["retry-after"]) >= 1
        assert_secured(page)
    assert _post(uk_site, {"text": "fever"}).status_code == 200  # another client is served


def test_a_switched_off_checker_is_not_found_and_not_in_the_navigation(switched_off: str) -> None:
    with patient(switched_off) as client:
        response = client.post(API, json={"text": "fever"})
        assert_problem(response, 404, "feature-disabled")
        assert_secured(response)
        assert client.get("/symptoms").status_code == 404
        assert client.post("/symptoms/answer", data={}).status_code == 404
        home = client.get("/")
    assert home.status_code == 200
    assert not any(attrs.get("href") == "/symptoms" for _, attrs in tags(home.text))
    assert "Symptom checker" not in main_of(home.text)
