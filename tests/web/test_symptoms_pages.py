"""The symptom-checker pages through a real server: start page, one question per step, result.

Safety first: an emergency puts the urgent banner first in the page (R-SC-1); the result always
says what to do now and words causes as possibilities (R-SC-5); no question comes twice
(R-A11Y-5); nothing is stored (R-SC-7) and nothing typed reaches the server log (R-AUD-2).
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, text
from symptoms_kit import EMERGENCY_TEXT, TEXT, main_of, patient, start, state_of, walk
from web_kit import assert_secured, csrf_token, tags

from live_server import copy_store, free_port, store_env, wait_until_serving
from medcite.settings import Settings
from medcite.web.symptom_session import SessionTokens, SymptomSession


def _first_in_body(html: str) -> tuple[str, dict[str, str]]:
    found = tags(html)
    return found[[tag for tag, _ in found].index("body") + 1]


# --- the start page ----------------------------------------------------------------------------


def test_the_start_page_has_labelled_fields_and_grouped_choices(live_server: Any) -> None:
    with patient(live_server.url) as client:
        response = client.get("/symptoms")
    assert response.status_code == 200
    assert_secured(response)
    html = response.text
    assert '<label for="symptoms-text">Your symptoms</label>' in html
    assert '<label for="age">Age in years (optional)</label>' in html
    assert re.search(r"<legend>Sex \(optional[^<]*</legend>", html)
    assert "<legend>How long have you had these symptoms?</legend>" in html
    assert 'action="/symptoms"' in html and csrf_token(response)
    assert '<a href="/symptoms" aria-current="page">Symptom checker</a>' in html
    assert "call\n<strong>911</strong>" in html


def test_the_navigation_links_to_the_checker_from_every_page(client: httpx.Client) -> None:
    for path in ("/", "/topics", "/how-it-works"):
        assert '<a href="/symptoms">Symptom checker</a>' in client.get(path).text


def test_an_empty_description_is_shown_again_with_the_error_beside_it(live_server: Any) -> None:
    with patient(live_server.url) as client:
        response = start(client, "   ", age="41")
    assert response.status_code == 422
    assert 'id="text-error"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="41"' in response.text


def test_unrecognised_words_and_a_bad_age_are_explained_on_the_form(live_server: Any) -> None:
    with patient(live_server.url) as client:
        words = start(client, "wibble wobble")
        age = start(client, "fever", age="-3")
    assert words.status_code == 422 and 'use plain words such as' in words.text
    assert ">wibble wobble</textarea>" in words.text
    assert age.status_code == 400 and 'id="age-error"' in age.text
    assert "the age must be a number from 0 to 130" in age.text


def test_R_SEC_9_a_step_without_the_csrf_token_is_refused(live_server: Any) -> None:
    with patient(live_server.url) as client:
        client.get("/symptoms")
        response = client.post("/symptoms", data={"text": "fever"})
    assert response.status_code == 403
    assert_secured(response)


# --- the interview -----------------------------------------------------------------------------


def test_each_step_asks_one_question_with_yes_no_not_sure(live_server: Any) -> None:
    with patient(live_server.url) as client:
        first = start(client, TEXT, age="30", sex="male")
    assert first.status_code == 200
    assert_secured(first)
    radios = [a for tag, a in tags(first.text) if tag == "input" and a.get("type") == "radio"]
    assert [(r["name"], r["value"]) for r in radios] == [
        ("answer", "yes"), ("answer", "no"), ("answer", "unsure")]
    assert first.text.count('<legend class="question">') == 1
    assert "<h1 id=\"question-heading\">Question 1</h1>" in first.text
    assert "Headache: <strong>yes</strong>" in first.text
    assert "Skin rash: <strong>no</strong>" in first.text
    assert "Age: <strong>30 years</strong>" in first.text


def test_R_A11Y_5_no_question_is_asked_twice_and_the_interview_ends(live_server: Any) -> None:
    replies = ["yes", "no", "unsure"]
    for offset in range(3):
        with patient(live_server.url) as client:
            done = walk(client, start(client, TEXT, age="30", duration="2"),
                        reply=lambda n, q, o=offset: replies[(n + o) % 3])
            assert len(done.questions) == len(set(done.questions)), done.questions
            assert 1 <= len(done.questions) <= 8  # settings.symptoms.max_questions
            assert "<h1>Your symptom check</h1>" in done.last.text
            for question in done.questions:  # age and duration were given: never asked again
                assert not re.search(r"\b(how old|your age|how long)\b", question, re.I)


def test_an_unanswered_question_is_asked_again_with_an_error(live_server: Any) -> None:
    with patient(live_server.url) as client:
        first = start(client, TEXT)
        again = client.post("/symptoms/answer", data={
            "csrf_token": csrf_token(first), "state": state_of(first)})
    assert again.status_code == 400
    assert "choose Yes, No or Not sure" in again.text
    assert re.findall(r'class="question">([^<]+)<', again.text) == re.findall(
        r'class="question">([^<]+)<', first.text)


def test_the_result_can_be_seen_before_the_last_question(live_server: Any) -> None:
    with patient(live_server.url) as client:
        first = start(client, TEXT)
        result = client.post("/symptoms/answer", data={
            "csrf_token": csrf_token(first), "state": state_of(first), "finish": "1"})
    assert result.status_code == 200
    assert "<h1>Your symptom check</h1>" in result.text


def test_an_altered_or_expired_session_starts_again(live_server: Any) -> None:
    with patient(live_server.url) as client:
        first = start(client, TEXT)
        state = state_of(first)
        assert state is not None
        altered = client.post("/symptoms/answer", data={
            "csrf_token": csrf_token(first), "state": "x" + state, "answer": "yes"})
    assert altered.status_code == 400
    assert "has expired or its page was changed" in altered.text
    assert 'action="/symptoms"' in altered.text  # the start form again


def test_session_tokens_are_signed_and_short_lived() -> None:
    now = [1_000_000.0]
    tokens = SessionTokens(b"k" * 32, max_age=60, clock=lambda: now[0])
    token = tokens.issue(SymptomSession(age=30, findings=[("f:fever", True)], pending="f:cough"))
    assert tokens.read(token).answered(False).findings == [("f:fever", True), ("f:cough", False)]
    assert tokens.read(token).answered(None).asked == ["f:cough"]
    payload, _, signature = token.partition(".")
    for bad in (payload + ".0" + signature[1:], "", "no-dot", token + "é", "é." + signature):
        with pytest.raises(Exception, match="expired or its page was changed"):
            tokens.read(bad)
    assert SessionTokens(b"j" * 32, clock=lambda: now[0]).issue(SymptomSession()) != token
    now[0] += 61
    with pytest.raises(Exception, match="expired"):
        tokens.read(token)


# --- the result --------------------------------------------------------------------------------


def test_R_SC_1_an_emergency_puts_the_banner_first_and_skips_the_questions(
    live_server: Any,
) -> None:
    with patient(live_server.url) as client:
        result = start(client, EMERGENCY_TEXT)
    assert result.status_code == 200
    assert _first_in_body(result.text) == ("div", {"class": "urgent", "role": "alert"})
    banner = result.text.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "Seek emergency care now: call 911." in banner and "Chest pain" in banner
    main = main_of(result.text)
    assert "Emergency: get help now" in main and 'class="question"' not in main
    assert main.index("What to do now") < main.index("Conditions that can cause")


def test_R_SC_1_a_warning_sign_stays_first_on_every_question_step(live_server: Any) -> None:
    with patient(live_server.url) as client:
        done = walk(client, start(client, "I fainted this morning"))
    assert done.questions  # an urgent (not emergency) sign: the interview goes on
    for page in done.pages:
        assert _first_in_body(page.text) == ("div", {"class": "urgent", "role": "alert"})
        assert "Get medical advice today" in page.text.split("</div>", 1)[0]


def test_R_SC_5_causes_are_possibilities_with_reasons_sources_and_links(
    live_server: Any,
) -> None:
    with patient(live_server.url) as client:
        result = walk(client, start(client, TEXT)).last
    main = main_of(result.text)
    assert "What to do now" in main and "See a doctor: book an appointment" in main
    causes = main.split('<h2 id="causes-heading">', 1)[1].split("</section>", 1)[0]
    assert causes.startswith("Conditions that can cause these symptoms</h2>")
    assert "not a diagnosis" in causes
    assert not re.search(r"\byou have\b|\byou've got\b|\bdiagnosed with\b", causes, re.I)
    items = causes.split("<li>")[1:]
    assert 1 <= len(items) <= 5
    assert all('class="source">Source: ' in item for item in items)
    assert any("What fits:" in item for item in items)
    assert '<a href="/topics/migraine">Migraine</a>' in causes
    assert '<a href="/sources/doc:migraine-patient">' in causes
    assert 'class="disclaimer"' in main and "not a diagnosis" in main


def test_R_SC_7_a_session_stores_nothing(live_server: Any) -> None:
    marker = "headache and fever, zebracornish"
    with patient(live_server.url) as client:
        done = walk(client, start(client, marker))
    assert "zebracornish" in done.pages[0].text  # shown back as not recognised, then dropped
    assert all("zebracornish" not in page.text for page in done.pages[1:])
    home = Path(live_server.settings.home)
    for path in home.glob("medcite.db*"):  # SQLite: the file, its WAL and free pages
        assert b"zebracornish" not in path.read_bytes(), path.name
    store = live_server.store  # any database: every row of every table
    with store.engine.connect() as db:
        for table in inspect(store.engine).get_table_names():
            rows = db.execute(text(f'SELECT * FROM "{table}"')).all()
            assert "zebracornish" not in repr(rows), table
    for state in filter(None, map(state_of, done.pages)):  # the session holds ids only
        payload = state.split(".", 1)[0]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        assert "zebracornish" not in decoded and '"f:headache"' in decoded


# --- R-AUD-2: the server log of `medcite serve` after a scripted session -----------------------


def test_R_AUD_2_free_text_and_session_tokens_never_reach_the_server_log(
    starter_settings: Settings, tmp_path: Path
) -> None:
    copied = copy_store(starter_settings, tmp_path / "home")
    port = free_port()
    log = tmp_path / "server.log"
    words = "quixotic headache and fever since tuesday, no rash"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "medcite", "serve", "--home", str(copied.home), "--port",
             str(port)],
            stdout=sink, stderr=subprocess.STDOUT, env=store_env(copied),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base + "/symptoms", server)
            with httpx.Client(base_url=base, timeout=120) as client:
                done = walk(client, start(client, words, age="37"))
                client.post("/api/v1/symptoms", json={"text": words, "answers": {"f:cough": "no"}})
                client.post("/api/v1/symptoms", json={"text": "quixotic"})  # 422
                start(client, "quixotic")  # 422 on the page
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert "POST /symptoms/answer" in text and "POST /api/v1/symptoms" in text  # logging is on
    assert "quixotic" not in text and "tuesday" not in text
    tokens = [state for page in done.pages if (state := state_of(page))]
    assert tokens and all(token[:40] not in text for token in tokens)
    assert all(token.split(".")[1] not in text for token in tokens)
