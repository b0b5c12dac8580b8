"""Security of every response: headers (R-SEC-8), CSRF (R-SEC-9), no state change on GET."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from web_kit import StrictServer, assert_secured, csrf_token

from medcite.errors import CsrfError, RateLimitedError
from medcite.web.limits import Rate, RateLimiter
from medcite.web.security import CsrfTokens

ROUTES = [
    ("GET", "/", 200),
    ("GET", "/topics", 200),
    ("GET", "/topics/gout", 200),
    ("GET", "/topics/no-such-topic", 404),
    ("GET", "/articles", 200),
    ("GET", "/articles/999999/nothing", 404),
    ("GET", "/articles/not-a-number/x", 422),
    ("GET", "/sources/doc:gout-patient", 200),
    ("GET", "/sources/pmid:0", 404),
    ("GET", "/search?q=gout", 200),
    ("GET", "/how-it-works", 200),
    ("GET", "/static/medcite.css", 200),
    ("GET", "/static/medcite.js", 200),
    ("GET", "/static/missing.css", 404),
    ("GET", "/no/such/page", 404),
    ("GET", "/ask", 405),
    ("DELETE", "/", 405),
    ("POST", "/ask", 403),
    ("GET", "/api/v1/articles", 200),
    ("GET", "/api/v1/articles/999999", 404),
    ("GET", "/api/v1/search?q=gout", 200),
    ("GET", "/api/v1/search", 422),
    ("GET", "/api/v1/sources/doc:gout-patient", 200),
    ("GET", "/api/v1/topics", 200),
    ("GET", "/api/v1/topics/gout", 200),
    ("GET", "/api/v1/openapi.json", 200),
    ("POST", "/api/v1/ask", 415),
    ("POST", "/api/v1/feedback", 415),
    ("PUT", "/api/v1/ask", 415),
]


@pytest.mark.parametrize(("method", "path", "status"), ROUTES)
def test_R_SEC_8_every_response_carries_the_security_headers(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status, response.text[:300]
    assert_secured(response)


def test_R_SEC_8_article_pages_redirects_and_limit_errors_carry_them_too(
    client: httpx.Client, spasm: dict[str, Any]
) -> None:
    article = spasm["article"]
    for response in (
        client.get(article["url"]),
        client.get(f"/articles/{article['id']}"),  # 308 to the canonical address
        client.get(f"/articles/{article['id']}/wrong-slug"),  # 301
        client.get(f"/api/v1/articles/{article['id']}"),
        client.post("/api/v1/ask", json={"question": "x" * 70_000}),  # 413
        client.post("/api/v1/ask", json={"question": ""}),  # 422
    ):
        assert_secured(response)


def test_R_SEC_8_rate_limited_and_failed_responses_carry_them_too(
    strict_server: StrictServer,
) -> None:
    with httpx.Client(base_url=strict_server.url, timeout=120) as strict:
        for _ in range(2):
            limited = strict.post("/api/v1/feedback",
                                  json={"article_id": 1, "kind": "helpful", "helpful": True})
        assert limited.status_code == 429
        assert_secured(limited)
        failed = strict.get(f"/api/v1/articles/{strict_server.broken_article_id}")
        assert failed.status_code == 500
        assert_secured(failed)


def test_redirects_point_to_the_canonical_article_address(
    client: httpx.Client, published: dict[str, Any]
) -> None:
    article = published["article"]
    assert client.get(f"/articles/{article['id']}").headers["location"] == article["url"]
    moved = client.get(f"/articles/{article['id']}/old-words?audience=patient")
    assert moved.status_code == 301
    assert moved.headers["location"] == article["url"] + "?audience=patient"


def test_R_SEC_9_the_csrf_cookie_is_httponly_and_same_site_strict(live_server: Any) -> None:
    with httpx.Client(base_url=live_server.url) as fresh:
        cookie = fresh.get("/").headers["set-cookie"].lower()
    assert cookie.startswith("medcite_csrf=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


def test_R_SEC_9_form_posts_need_the_token_of_their_own_cookie(live_server: Any) -> None:
    question = {"question": "How is gout treated?", "audience": "clinician"}
    with httpx.Client(base_url=live_server.url, timeout=120) as reader, \
            httpx.Client(base_url=live_server.url, timeout=120) as attacker:
        token = csrf_token(reader.get("/"))
        assert reader.post("/ask", data=question).status_code == 403  # no token
        forged = attacker.post("/ask", data={**question, "csrf_token": csrf_token(
            attacker.get("/"))[:-1] + "x"})
        assert forged.status_code == 403  # a token the server did not sign
        stolen = attacker.post("/ask", data={**question, "csrf_token": token})
        assert stolen.status_code == 403  # another reader's token, without their cookie
        assert "expired" in stolen.text and stolen.headers["content-type"].startswith("text/html")
        accepted = reader.post("/ask", data={**question, "csrf_token": token})
        assert accepted.status_code == 303
        assert accepted.headers["location"].startswith(("/articles/", "/drafts/"))


def test_GET_requests_never_change_anything(client: httpx.Client, live_server: Any,
                                            spasm: dict[str, Any]) -> None:
    before = (live_server.store.list_articles(limit=10_000),
              live_server.store.list_feedback())
    for path in ["/", "/articles", "/topics/gout", spasm["article"]["url"],
                 "/ask?question=How+is+asthma+treated", "/api/v1/ask?question=asthma",
                 f"/articles/{spasm['article']['id']}/feedback?kind=helpful&helpful=yes",
                 "/api/v1/feedback?article_id=1&kind=helpful&helpful=true",
                 "/search?q=asthma", "/how-it-works"]:
        client.get(path)
    after = (live_server.store.list_articles(limit=10_000), live_server.store.list_feedback())
    assert after == before


def test_csrf_tokens_are_signed_by_the_server() -> None:
    tokens = CsrfTokens(b"0" * 32)
    token = tokens.issue()
    tokens.check(cookie=token, field=token)
    assert not CsrfTokens(b"1" * 32).valid(token)
    for cookie, field in [(token, None), (None, token), (token, tokens.issue()), ("a.b", "a.b")]:
        with pytest.raises(CsrfError):
            tokens.check(cookie=cookie, field=field)


def test_the_token_bucket_refills_over_time_per_client() -> None:
    now = [0.0]
    limiter = RateLimiter({"ask": Rate(per_second=0.5, burst=2)}, clock=lambda: now[0])
    limiter.take("ask", "a")
    limiter.take("ask", "a")
    with pytest.raises(RateLimitedError) as refused:
        limiter.take("ask", "a")
    assert refused.value.retry_after == 2
    limiter.take("ask", "b")  # another client has its own bucket
    now[0] = 2.0
    limiter.take("ask", "a")
    RateLimiter({"ask": Rate(0.001, 1)}, enabled=False).take("ask", "a")
