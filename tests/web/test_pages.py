"""The pages as a reader gets them (HTML from the live server): ask, article, follow-up,
feedback, topics, sources, search and "How this answer was made"."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_kit import SPASM, csrf_token, tags

from medcite.web.method import benchmark_figures


def _post_form(client: httpx.Client, page_url: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_token(client.get(page_url))
    return client.post(action, data={**fields, "csrf_token": token})


def _draft_key(page_url: str) -> str:
    """The key of a draft's unlisted address (its forms send it back as a hidden field)."""
    found = re.match(r"^/drafts/([\w-]+)/", page_url)
    assert found, page_url
    return found.group(1)


@pytest.fixture(scope="module")
def article_html(client: httpx.Client, spasm: dict[str, Any]) -> str:
    response = client.get(spasm["article"]["url"])
    assert response.status_code == 200
    return response.text


def test_home_has_the_ask_box_and_the_topic_library(client: httpx.Client) -> None:
    html = client.get("/").text
    assert '<html lang="en">' in html
    assert '<label for="question">Your question</label>' in html
    assert "<legend>Which best describes you?</legend>" in html
    assert html.count('href="/topics/') == 37
    assert 'href="/topics/muscle-spasm">Muscle spasms</a>' in html


def test_asking_from_the_home_page_leads_to_the_article(client: httpx.Client) -> None:
    response = _post_form(client, "/", "/ask", question="How is an acute gout flare treated?",
                          audience="patient")
    assert response.status_code == 303
    assert response.headers["location"].endswith("?audience=patient")
    page = client.get(response.headers["location"])
    assert "How is an acute gout flare treated?</h1>" in page.text


def test_an_empty_question_is_shown_again_with_the_error_beside_it(client: httpx.Client) -> None:
    response = _post_form(client, "/", "/ask", question="  ?  ", audience="clinician")
    assert response.status_code == 422
    assert 'aria-invalid="true" aria-describedby="question-error"' in response.text
    assert 'id="question-error"' in response.text and "the question has no words" in response.text


def test_R_CDS_1_the_article_page_cites_every_statement(article_html: str) -> None:
    statements = re.findall(r"<ul class=\"statements\">(.*?)</ul>", article_html, re.S)
    items = [li for block in statements for li in block.split("<li>")[1:]]
    assert items and all('<details class="cite">' in li for li in items)
    marks = {int(n) for n in re.findall(r'aria-label="reference (\d+)"', article_html)}
    listed = {int(n) for n in re.findall(r'<li id="ref-(\d+)">', article_html)}
    assert marks and marks == listed


def test_R_CDS_2_each_citation_reveals_its_quote(article_html: str) -> None:
    boxes = re.findall(r'<span class="quote-box">(.*?)</span></details>', article_html, re.S)
    assert boxes and all("<q>" in box for box in boxes)


def test_the_article_page_has_the_parts_readers_expect(article_html: str) -> None:
    for part in [
        f"<h1>{SPASM}</h1>", '<span class="status status-submitted">Submitted</span>',
        "Last updated <time", 'href="/how-it-works">How this answer was made</a>',
        'class="caution" role="note"', "has not yet been reviewed by the medical advisory board",
        'aria-current="page">Health professional</a>', "?audience=patient\">Patient or caregiver",
        '<h2 id="sec-1">Bottom line</h2>', "<li><strong>", '<h2 id="refs-heading">References</h2>',
        '<span class="kind">Guideline</span>', "Related questions", "Ask a follow-up question",
        "Was this page helpful?", "<summary>Report an error</summary>", 'class="disclaimer"',
    ]:
        assert part in article_html, part


def test_the_patient_rendering_uses_the_same_page(client: httpx.Client,
                                                   spasm: dict[str, Any]) -> None:
    html = client.get(spasm["article"]["url"] + "?audience=patient").text
    assert 'aria-current="page">Patient or caregiver</a>' in html
    assert "Patient information</span>" in html
    assert "does not replace advice from your doctor" in html


def test_R_SC_1_an_urgent_notice_comes_first_on_the_page(client: httpx.Client) -> None:
    response = _post_form(client, "/", "/ask", audience="patient",
                          question="I have crushing chest pain and sweating, what should I do?")
    html = client.get(response.headers["location"]).text
    body = [tag for tag in tags(html)]
    first = body[[t for t, _ in body].index("body") + 1]
    assert first == ("div", {"class": "urgent", "role": "alert"})
    assert "911" in html.split('role="alert"')[1].split("</div>")[0]


def test_an_unanswerable_question_says_so_and_makes_no_claims(client: httpx.Client) -> None:
    response = _post_form(client, "/", "/ask", audience="clinician",
                          question="What is the best treatment for zebra fever?")
    html = client.get(response.headers["location"]).text
    assert "No answer from the evidence" in html
    assert '<ul class="statements">' not in html


def test_a_follow_up_keeps_context_and_links_both_ways(
    client: httpx.Client, published: dict[str, Any], publish: Any
) -> None:
    url, question = published["article"]["url"], published["article"]["question"]
    response = _post_form(client, url, f"/articles/{published['article']['id']}/follow-up",
                          question="What about in pregnancy?", audience="clinician")
    assert response.status_code == 303
    child = client.get(response.headers["location"]).text
    assert f'Follow-up of: <a href="{url}">{question}</a>' in child
    assert "What about in pregnancy?</a>" not in client.get(url).text  # listed once approved
    publish(int(re.findall(r'action="/articles/(\d+)/follow-up"', child)[0]))
    assert "What about in pregnancy?</a>" in client.get(url).text


def test_feedback_is_thanked_and_stored(client: httpx.Client, spasm: dict[str, Any],
                                        live_server: Any) -> None:
    url, article_id = spasm["article"]["url"], spasm["article"]["id"]
    before = len(live_server.store.list_feedback(article_id=article_id))
    sent = _post_form(client, url, f"/articles/{article_id}/feedback", kind="helpful",
                      version="1", audience="clinician", helpful="yes", comment="Clear.",
                      key=_draft_key(url))
    assert sent.status_code == 303 and sent.headers["location"].endswith("feedback=sent#feedback")
    assert "Thank you: your feedback was sent" in client.get(sent.headers["location"]).text
    report = _post_form(client, url, f"/articles/{article_id}/feedback", kind="error",
                        version="1", audience="clinician", comment="Reference 2 is outdated.",
                        key=_draft_key(url))
    assert report.status_code == 303
    stored = live_server.store.list_feedback(article_id=article_id)
    assert len(stored) == before + 2
    assert stored[-1].comment == "Reference 2 is outdated."


def test_an_empty_error_report_is_refused_on_the_page(client: httpx.Client,
                                                      spasm: dict[str, Any]) -> None:
    url, article_id = spasm["article"]["url"], spasm["article"]["id"]
    response = _post_form(client, url, f"/articles/{article_id}/feedback", kind="error",
                          version="1", audience="clinician", comment=" ", key=_draft_key(url))
    assert response.status_code == 422
    assert "describe the error you found" in response.text


def test_a_topic_page_lists_its_documents_and_articles(
    client: httpx.Client, published: dict[str, Any], spasm: dict[str, Any]
) -> None:
    html = client.get("/topics/muscle-spasm").text
    assert "<h1>Muscle spasms</h1>" in html
    assert 'href="/sources/doc:muscle-spasm-clinician"' in html
    assert f'href="{published["article"]["url"]}"' in html
    assert f'/articles/{spasm["article"]["id"]}/' not in html  # a draft is never listed


def test_a_source_page_shows_its_stored_text(client: httpx.Client) -> None:
    html = client.get("/sources/doc:baclofen-patient").text
    assert "<h1>Baclofen: what you need to know</h1>" in html
    assert html.count('<p id="p') >= 3 and "Based on" in html


def test_the_search_page_lists_passages(client: httpx.Client) -> None:
    html = client.get("/search", params={"q": "night leg cramps"}).text
    assert "<ol class=\"results\">" in html and "cramps" in html.lower()


def test_how_it_works_states_use_corpus_method_limits_and_figures(client: httpx.Client) -> None:
    html = client.get("/how-it-works").text
    for heading in ["Intended use and users", "The evidence library and its currency", "Method",
                    "Limitations", "Measured results"]:
        assert heading in html
    assert "<dt>Sources</dt><dd>74" in html and "Newest publication year" in html


def test_benchmark_figures_skip_missing_and_malformed_files(tmp_path: Path) -> None:
    assert benchmark_figures(tmp_path / "absent") == []
    (tmp_path / "answers.json").write_text("{not json")
    (tmp_path / "load.json").write_text(json.dumps({"summary": {"article_rps_c8": 123.4}}))
    (tmp_path / "retrieval-scifact.json").write_text(json.dumps({"medcite": {"ndcg@10": "?"}}))
    figures = benchmark_figures(tmp_path)
    assert [(f.measure, f.value) for f in figures] == [
        ("article pages per second (8 at once)", "123 /s")]
