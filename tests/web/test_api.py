"""The JSON API through a real uvicorn server: each route's happy path, bad input and problems.

Problem documents follow RFC 9457 (R-API-2); limits give 413/415/422/429 (R-SEC-5, R-SEC-6);
paging with a cursor never skips or repeats (R-API-3).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from web_kit import SPASM, StrictServer, assert_problem

# --- /api/v1/ask ----------------------------------------------------------------------------


def test_ask_creates_an_article_with_a_cited_answer(spasm: dict[str, Any]) -> None:
    answer = spasm["answer"]
    assert spasm["article"]["status"] == "submitted" and spasm["version"] == 1
    assert spasm["caution"].startswith("This answer was drafted by medcite")
    assert answer["sections"][0]["title"] == "Bottom line"
    assert all(s["citations"] for section in answer["sections"] for s in section["statements"])
    assert all(ref["quotes"] for ref in answer["references"])
    assert spasm["evidence_ids"] and spasm["settings_digest"]


def test_asking_the_same_question_again_returns_the_stored_article(
    client: httpx.Client, spasm: dict[str, Any]
) -> None:
    response = client.post("/api/v1/ask", json={"question": SPASM.upper(), "audience": "patient"})
    assert response.status_code == 200
    assert response.headers["location"] == f"/api/v1/articles/{spasm['article']['id']}"
    body = response.json()
    assert body["article"]["id"] == spasm["article"]["id"] and not body["created"]
    assert body["answer"]["audience"] == "patient"


def test_ask_answers_201_with_the_new_article_location(client: httpx.Client) -> None:
    response = client.post("/api/v1/ask", json={"question": "How is gout treated in an attack?"})
    assert response.status_code == 201
    assert response.json()["created"]
    assert response.headers["location"].startswith("/api/v1/articles/")


def test_a_follow_up_is_linked_to_its_parent(
    client: httpx.Client, published: dict[str, Any]
) -> None:
    parent = published["article"]["id"]
    response = client.post("/api/v1/ask", json={"question": "What about in older adults?",
                                                 "follow_up_of": parent})
    assert response.status_code in (200, 201)
    body = response.json()
    assert body["article"]["parent_id"] == parent
    assert body["parent"]["id"] == parent
    assert body["answer"]["understood"]["inherited_from"] == published["article"]["question"]


def test_R_SEC_11_a_follow_up_of_a_draft_by_id_is_not_found(
    client: httpx.Client, spasm: dict[str, Any]
) -> None:
    response = client.post("/api/v1/ask", json={"question": "What about in older adults?",
                                                 "follow_up_of": spasm["article"]["id"]})
    assert_problem(response, 404, "article-not-found")


@pytest.mark.parametrize(
    ("payload", "status", "kind"),
    [
        ({"question": ""}, 422, "empty-question"),
        ({"question": "?!"}, 422, "empty-question"),
        ({"question": "why " * 600}, 413, "input-too-large"),
        ({}, 422, "input"),
        ({"question": "gout", "colour": "red"}, 422, "input"),
        ({"question": "gout", "audience": "robot"}, 422, "input"),
        ({"question": ["gout"]}, 422, "input"),
        ({"question": "And the dose?", "follow_up_of": 999_999}, 404, "article-not-found"),
    ],
)
def test_ask_refuses_bad_input_with_a_problem(
    client: httpx.Client, payload: dict[str, Any], status: int, kind: str
) -> None:
    assert_problem(client.post("/api/v1/ask", json=payload), status, kind)


def test_validation_problems_list_the_invalid_fields_without_echoing_them(
    client: httpx.Client,
) -> None:
    response = client.post("/api/v1/ask", json={"question": "gout", "audience": "<robot>"})
    assert_problem(response, 422)
    errors = response.json()["errors"]
    assert errors[0]["loc"] == ["body", "audience"]
    assert "<robot>" not in response.text


def test_ask_needs_a_json_body(client: httpx.Client) -> None:
    response = client.post("/api/v1/ask", content="question=gout",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert_problem(response, 415, "unsupported-format")
    assert_problem(client.post("/api/v1/ask", content="{not json",
                               headers={"content-type": "application/json"}), 422)


def test_oversized_bodies_are_refused_with_413(client: httpx.Client) -> None:
    big = {"question": "x" * 70_000}
    assert_problem(client.post("/api/v1/ask", json=big), 413, "input-too-large")

    def chunks() -> Any:  # no Content-Length: the limit still holds while streaming
        for _ in range(20):
            yield b"x" * 8192

    response = client.post("/api/v1/ask", content=chunks(),
                           headers={"content-type": "application/json"})
    assert_problem(response, 413)


# --- /api/v1/articles -----------------------------------------------------------------------


def test_article_list_pages_with_a_cursor_without_repeats(
    client: httpx.Client, published: dict[str, Any], publish: Any
) -> None:
    asthma = client.post("/api/v1/ask", json={"question": "How is asthma treated in adults?"})
    publish(asthma.json()["article"]["id"])
    seen: list[int] = []
    url: str | None = "/api/v1/articles?limit=1"
    while url:
        page = client.get(url).json()
        assert page["limit"] == 1 and len(page["items"]) <= 1
        seen.extend(item["id"] for item in page["items"])
        url = page["next"]
    assert len(seen) == len(set(seen)) >= 2
    assert seen == sorted(seen, reverse=True)
    assert published["article"]["id"] in seen


@pytest.mark.parametrize(
    ("query", "status"),
    [("limit=0", 422), ("limit=101", 422), ("limit=ten", 422), ("cursor=%21%21", 400),
     ("cursor=YWJj", 400), ("topic=%3Cscript%3E", 422)],
)
def test_article_list_refuses_bad_paging(client: httpx.Client, query: str, status: int) -> None:
    assert_problem(client.get(f"/api/v1/articles?{query}"), status)


def test_article_list_filters_by_topic(client: httpx.Client, published: dict[str, Any]) -> None:
    items = client.get("/api/v1/articles?topic=muscle-spasm").json()["items"]
    assert published["article"]["id"] in [item["id"] for item in items]
    assert client.get("/api/v1/articles?topic=no-such-topic").json()["items"] == []


def test_one_article_renders_for_each_audience(
    client: httpx.Client, published: dict[str, Any]
) -> None:
    article_id = published["article"]["id"]
    patient = client.get(f"/api/v1/articles/{article_id}?audience=patient").json()
    assert patient["answer"]["audience"] == "patient"
    assert patient["evidence_ids"] == published["evidence_ids"]
    assert patient["audiences"]["patient"].endswith("?audience=patient")
    assert_problem(client.get("/api/v1/articles/424242"), 404, "article-not-found")
    assert_problem(client.get("/api/v1/articles/abc"), 422)
    assert_problem(client.get(f"/api/v1/articles/{article_id}?audience=robot"), 422)


# --- /api/v1/search, /api/v1/sources, /api/v1/topics -----------------------------------------


def test_search_returns_passages_with_their_sources(client: httpx.Client) -> None:
    body = client.get("/api/v1/search", params={"q": "baclofen dose", "k": 3}).json()
    assert 1 <= len(body["results"]) <= 3
    first = body["results"][0]
    assert first["rank"] == 1 and first["text"] and first["source"]["url"].startswith("/sources/")


@pytest.mark.parametrize(
    "query",
    ["'; DROP TABLE articles;--", '"unbalanced', "NEAR(a b", "a* OR b:", "-", "%00", "中文 😀",
     "<script>alert(1)</script>", "title:gout", "((((", "AND OR NOT"],
)
def test_R_SEC_1_hostile_search_text_never_fails(client: httpx.Client, query: str) -> None:
    response = client.get("/api/v1/search", params={"q": query})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("query", "status"), [("", 422), ("q=", 422), ("q=x&k=0", 422),
                                               ("q=x&k=51", 422), (f"q={'x' * 2001}", 422)])
def test_search_refuses_bad_queries(client: httpx.Client, query: str, status: int) -> None:
    assert_problem(client.get(f"/api/v1/search?{query}"), status)


def test_a_source_is_returned_with_its_passages(client: httpx.Client) -> None:
    body = client.get("/api/v1/sources/doc:gout-patient").json()
    assert body["source"]["id"] == "doc:gout-patient"
    assert body["passages"] and body["url"] == "/sources/doc:gout-patient"
    assert_problem(client.get("/api/v1/sources/pmid:0"), 404, "source-not-found")


def test_topics_are_listed_and_shown_with_their_articles(
    client: httpx.Client, published: dict[str, Any]
) -> None:
    topics = client.get("/api/v1/topics").json()
    assert len(topics) == 37
    body = client.get("/api/v1/topics/muscle-spasm").json()
    assert body["topic"]["name"] == "Muscle spasms"
    assert published["article"]["id"] in [a["id"] for a in body["articles"]]
    assert_problem(client.get("/api/v1/topics/unicorns"), 404, "topic-not-found")


# --- /api/v1/feedback -----------------------------------------------------------------------


def test_feedback_is_stored_for_the_version_read(
    client: httpx.Client, published: dict[str, Any], live_server: Any
) -> None:
    article_id = published["article"]["id"]
    vote = client.post("/api/v1/feedback", json={"article_id": article_id, "kind": "helpful",
                                                  "helpful": False, "audience": "patient"})
    report = client.post("/api/v1/feedback", json={"article_id": article_id, "kind": "error",
                                                    "comment": "The dose looks wrong."})
    assert vote.status_code == report.status_code == 201
    assert vote.json()["version"] == 1 and vote.json()["status"] == "open"
    stored = live_server.store.list_feedback(article_id=article_id)
    assert {f.id for f in stored} >= {vote.json()["id"], report.json()["id"]}


@pytest.mark.parametrize(
    ("payload", "status", "kind"),
    [
        ({"kind": "helpful"}, 422, "invalid-feedback"),
        ({"kind": "error", "comment": "   "}, 422, "invalid-feedback"),
        ({"kind": "error", "comment": "x" * 2001}, 413, "input-too-large"),
        ({"kind": "praise", "helpful": True}, 422, "input"),
        ({"kind": "helpful", "helpful": True, "version": 7}, 404, "article-not-found"),
        ({"kind": "helpful", "helpful": True, "ip": "1.2.3.4"}, 422, "input"),
    ],
)
def test_feedback_refuses_bad_input(
    client: httpx.Client, published: dict[str, Any], payload: dict[str, Any], status: int,
    kind: str,
) -> None:
    body = {"article_id": published["article"]["id"], **payload}
    assert_problem(client.post("/api/v1/feedback", json=body), status, kind)


def test_feedback_on_an_unknown_article_is_not_found(client: httpx.Client) -> None:
    response = client.post("/api/v1/feedback",
                           json={"article_id": 999_999, "kind": "helpful", "helpful": True})
    assert_problem(response, 404, "article-not-found")


# --- OpenAPI, unknown routes, methods ---------------------------------------------------------


def test_openapi_documents_every_route_and_the_problem_schema(client: httpx.Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert paths >= {"/api/v1/ask", "/api/v1/articles", "/api/v1/articles/{article_id}",
                     "/api/v1/search", "/api/v1/sources/{source_id}", "/api/v1/feedback",
                     "/api/v1/topics", "/api/v1/topics/{slug}"}
    assert all(path.startswith("/api/v1/") for path in paths)  # pages stay out of the API
    assert "Problem" in schema["components"]["schemas"]
    ask_errors = schema["paths"]["/api/v1/ask"]["post"]["responses"]
    assert {"413", "415", "422", "429"} <= set(ask_errors)


def test_unknown_routes_and_methods_are_problems(client: httpx.Client) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
    response = client.delete("/api/v1/articles/1")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]
    assert_problem(client.get("/api/v1/ask"), 405)


# --- limits and faults: a second server ------------------------------------------------------


def test_R_SEC_6_costly_routes_are_rate_limited_with_retry_after(
    strict_server: StrictServer,
) -> None:
    with httpx.Client(base_url=strict_server.url, timeout=120) as strict:
        first = strict.post("/api/v1/ask", json={"question": "How is gout treated?"})
        assert first.status_code in (200, 201)
        second = strict.post("/api/v1/ask", json={"question": "How is gout treated?"})
        assert_problem(second, 429, "rate-limited")
        assert int(second.headers["retry-after"]) >= 1
        assert strict.get("/api/v1/articles").status_code == 200  # cheap routes are not limited
        vote = {"article_id": strict_server.published_article_id, "kind": "helpful",
                "helpful": True}
        assert strict.post("/api/v1/feedback", json=vote).status_code == 201
        assert_problem(strict.post("/api/v1/feedback", json=vote), 429)


def test_R_SEC_12_an_unexpected_failure_is_a_500_without_a_traceback(
    strict_server: StrictServer,
) -> None:
    with httpx.Client(base_url=strict_server.url, timeout=120) as strict:
        path = f"/api/v1/articles/{strict_server.broken_article_id}"
        response = strict.get(path)
        assert_problem(response, 500, "internal-server")
        assert "ValidationError" not in response.text and "pydantic" not in response.text
        page = strict.get(f"/articles/{strict_server.broken_article_id}/broken")
        assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
        assert "Traceback" not in page.text and "ValidationError" not in page.text
