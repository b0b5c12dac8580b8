"""Signing in and out through the live server: session cookies (R-SEC-7), CSRF on the forms
(R-SEC-9), throttling as 429 with Retry-After, and API tokens (Bearer)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from web_kit import assert_problem, assert_secured, csrf_token

from medcite.web.auth_pages import safe_next


def _login(client: httpx.Client, username: str, password: str, *,
           next_path: str = "/review", headers: dict[str, str] | None = None) -> httpx.Response:
    token = csrf_token(client.get("/login", headers=headers))
    return client.post("/login", headers=headers, data={
        "username": username, "password": password, "next": next_path, "csrf_token": token})


@pytest.fixture
def fresh(live_server: Any) -> Any:
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        yield client


def test_R_SEC_7_the_session_cookie_is_httponly_lax_and_scoped_to_the_site(
    fresh: httpx.Client, staff: Any
) -> None:
    response = _login(fresh, "ana", staff.password)
    assert response.status_code == 303 and response.headers["location"] == "/review"
    cookie = response.headers["set-cookie"]
    name, _, attributes = cookie.partition(";")
    assert name.startswith("medcite_session=mcs_")  # plain http: no __Host- prefix possible
    lowered = attributes.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "domain=" not in lowered and "max-age=43200" in lowered
    assert fresh.get("/review").status_code == 200
    assert_secured(response)


def test_R_SEC_7_over_https_the_cookie_is_host_prefixed_and_secure(
    fresh: httpx.Client, staff: Any
) -> None:
    # uvicorn trusts X-Forwarded-Proto from loopback, as from a TLS-terminating proxy. The
    # client talks plain http, so it keeps Secure cookies to itself: send the CSRF one by hand.
    https = {"X-Forwarded-Proto": "https"}
    form = fresh.get("/login", headers=https)
    csrf_cookie = form.cookies["__Host-medcite_csrf"]
    response = httpx.post(f"{fresh.base_url}/login", headers={
        **https, "Cookie": f"__Host-medcite_csrf={csrf_cookie}"}, data={
        "username": "ben", "password": staff.password, "csrf_token": csrf_token(form)})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-medcite_session=mcs_")
    lowered = cookie.lower()
    assert "; secure" in lowered and "path=/" in lowered and "domain=" not in lowered
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_a_wrong_password_shows_the_form_again_with_401(
    fresh: httpx.Client, staff: Any
) -> None:
    response = _login(fresh, "eve", "not the password at all")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "wrong username or password" in response.text
    assert 'value="eve"' in response.text and "not the password" not in response.text
    assert "set-cookie" not in response.headers or "session" not in response.headers["set-cookie"]


def test_login_throttling_answers_429_with_retry_after(
    fresh: httpx.Client, live_server: Any
) -> None:
    limit = live_server.settings.review.login_max_failures
    for _ in range(limit):
        assert _login(fresh, "mallory-guesses", "guess guess guess").status_code == 401
    throttled = _login(fresh, "mallory-guesses", "guess guess guess")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert "too many failed logins" in throttled.text
    assert_secured(throttled)


def test_R_SEC_9_login_and_logout_need_the_csrf_token(
    fresh: httpx.Client, staff: Any
) -> None:
    fields = {"username": "ana", "password": staff.password}
    assert fresh.post("/login", data=fields).status_code == 403
    assert _login(fresh, "ana", staff.password).status_code == 303
    assert fresh.post("/logout", data={}).status_code == 403
    assert fresh.get("/review").status_code == 200  # still signed in


def test_logout_ends_the_session_on_the_server(fresh: httpx.Client, staff: Any) -> None:
    assert _login(fresh, "ana", staff.password).status_code == 303
    stolen = fresh.cookies.get("medcite_session")
    token = csrf_token(fresh.get("/review"))
    out = fresh.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert 'medcite_session=""' in out.headers["set-cookie"]
    with httpx.Client(base_url=str(fresh.base_url), cookies={"medcite_session": stolen}) as replay:
        assert replay.get("/review").status_code == 303  # the old token no longer works


def test_an_anonymous_visit_to_a_review_page_is_sent_to_sign_in_and_back(
    fresh: httpx.Client, staff: Any
) -> None:
    response = fresh.get("/review?status=approved")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/review%3Fstatus%3Dapproved"
    page = fresh.get(response.headers["location"])
    assert 'name="next" value="/review?status=approved"' in page.text
    signed_in = _login(fresh, "ana", staff.password, next_path="/review?status=approved")
    assert signed_in.headers["location"] == "/review?status=approved"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil",
                                    "javascript:alert(1)", "", None, "/ok\r\nSet-Cookie: x"])
def test_sign_in_never_redirects_off_the_site(target: str | None) -> None:
    assert safe_next(target) == "/review"
    assert safe_next("/articles?cursor=x") == "/articles?cursor=x"


def test_the_api_signs_in_with_a_bearer_token_only(
    live_server: Any, staff: Any, fresh: httpx.Client
) -> None:
    me = fresh.get("/api/v1/me", headers=staff.headers("eve"))
    assert me.status_code == 200 and me.json()["username"] == "eve"
    assert me.json()["role"] == "editor" and "password" not in me.text
    assert_problem(fresh.get("/api/v1/me"), 401, "auth")
    bad = fresh.get("/api/v1/me", headers={"Authorization": "Bearer mct_not-a-real-token"})
    assert_problem(bad, 401, "auth")
    assert bad.headers["www-authenticate"].startswith("Bearer")
    assert_problem(fresh.get("/api/v1/me", headers={"Authorization": "Basic YTpi"}), 401)
    assert _login(fresh, "eve", staff.password).status_code == 303
    assert_problem(fresh.get("/api/v1/me"), 401)  # a session cookie does not sign in the API
    assert fresh.get("/review").status_code == 200  # while it does sign in the pages


def test_R_AUD_2_no_session_or_api_token_reaches_the_audit_trail(
    live_server: Any, staff: Any, fresh: httpx.Client
) -> None:
    from medcite.review import audit

    _login(fresh, "ben", staff.password)
    session = fresh.cookies.get("medcite_session")
    trail = " ".join(audit.audit_line(r) for r in audit.records(live_server.store, limit=10_000))
    assert session and session not in trail
    assert all(token not in trail for token in staff.tokens.values())
    assert "ben" in trail and "login" in trail
