"""R-SEC-11: the role x endpoint authorisation matrix, over every route of the app.

Each row names a route of ``app.routes`` (method and path template), a concrete request and
the status expected for each role: an anonymous reader, a signed-in reader, an editor, a
reviewer of the board and an admin. Pages are requested with the role's session cookie (and
its CSRF token for posts), the API with the role's bearer token. A route without a row fails
``test_every_route_has_a_row``, so a new route cannot ship without its authorisation decided.

Drafts are the IDOR target: by id, readers get 404 (never 403: nothing leaks), staff see them;
review routes are 401/redirect for anonymous, 403 for readers. Refused workflow moves on the
draft (submitted -> approved) are 409 for every staff role: the request got past authorisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from web_kit import SPASM, csrf_token

ROLES = ("anonymous", "reader", "editor", "reviewer", "admin")
ACCOUNTS = {"reader": "rita", "editor": "eve", "reviewer": "ana", "admin": "root"}


@dataclass(frozen=True)
class Row:
    """One request and the status each role gets: ``anonymous reader editor reviewer admin``."""

    method: str
    route: str  # the path template as in app.routes
    path: str  # concrete; {draft} {public} {slug} {draft_slug} {key} are filled in
    expect: str
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    name: str = ""

    @property
    def statuses(self) -> dict[str, int]:
        """The expected status per role."""
        codes = [int(code) for code in self.expect.split()]
        if len(codes) == 1:
            codes *= len(ROLES)
        return dict(zip(ROLES, codes, strict=True))


ALL_200, STAFF = "200", "404 404 200 200 200"
REVIEW_PAGE, REVIEW_API = "303 403 200 200 200", "401 403 200 200 200"
STALE = {"kind": "edit_statement", "audience": "clinician", "section": "1", "statement": "1",
         "text": "Changed.", "base_hash": "stale"}
V1 = "/versions/{version}"
ROWS = [
    # --- public pages ------------------------------------------------------------------------
    Row("GET", "/", "/", ALL_200),
    Row("POST", "/ask", "/ask", "303", form={"question": SPASM, "audience": "clinician"}),
    Row("GET", "/articles", "/articles", ALL_200),
    Row("GET", "/articles/{article_id}", "/articles/{draft}", "404 404 308 308 308", name="draft"),
    Row("GET", "/articles/{article_id}", "/articles/{public}", "308", name="public"),
    Row("GET", "/articles/{article_id}", "/articles/999999", "404", name="unknown"),
    Row("GET", "/articles/{article_id}/{slug}", "/articles/{draft}/{draft_slug}", STAFF,
        name="draft"),
    Row("GET", "/articles/{article_id}/{slug}", "/articles/{public}/{slug}", ALL_200,
        name="public"),
    Row("POST", "/articles/{article_id}/follow-up", "/articles/{draft}/follow-up",
        "404 404 303 303 303", form={"question": "And at night?", "audience": "clinician"},
        name="draft"),
    Row("POST", "/articles/{article_id}/follow-up", "/articles/{public}/follow-up", "303",
        form={"question": "And at night?", "audience": "clinician"}, name="public"),
    Row("POST", "/articles/{article_id}/feedback", "/articles/{draft}/feedback",
        "404 404 303 303 303", form={"kind": "helpful", "helpful": "yes", "version": "1"},
        name="draft"),
    Row("POST", "/articles/{article_id}/feedback", "/articles/{public}/feedback", "303",
        form={"kind": "helpful", "helpful": "yes", "version": "1"}, name="public"),
    Row("GET", "/drafts/{key}/{slug}", "/drafts/{key}/{draft_slug}", ALL_200, name="key"),
    Row("GET", "/drafts/{key}/{slug}", "/drafts/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/x", "404",
        name="guessed"),
    Row("GET", "/topics", "/topics", ALL_200),
    Row("GET", "/topics/{slug}", "/topics/muscle-spasm", ALL_200),
    Row("GET", "/sources/{source_id:path}", "/sources/doc:gout-patient", ALL_200),
    Row("GET", "/search", "/search?q=gout", ALL_200),
    Row("GET", "/how-it-works", "/how-it-works", ALL_200),
    Row("GET", "/symptoms", "/symptoms", ALL_200),
    Row("POST", "/symptoms", "/symptoms", ALL_200, form={"text": "headache", "age": "40"}),
    Row("POST", "/symptoms/answer", "/symptoms/answer", "400", form={"state": "forged"}),
    Row("GET", "/static", "/static/medcite.css", ALL_200),
    # --- signing in --------------------------------------------------------------------------
    Row("GET", "/login", "/login", ALL_200),
    Row("POST", "/login", "/login", "403", form={"username": "x", "password": "y"},
        name="no-csrf"),
    Row("POST", "/logout", "/logout", "403", form={}, name="no-csrf"),
    # --- the board's pages -------------------------------------------------------------------
    Row("GET", "/review", "/review", REVIEW_PAGE),
    Row("POST", "/review/feedback/{feedback_id}", "/review/feedback/999999",
        "401 403 422 422 422", form={"status": "addressed"}),
    Row("GET", "/review/articles/{article_id}", "/review/articles/{draft}", REVIEW_PAGE),
    Row("GET", "/review/articles/{article_id}/history", "/review/articles/{draft}/history",
        REVIEW_PAGE),
    Row("POST", "/review/articles/{article_id}" + V1 + "/transition",
        "/review/articles/{draft}/versions/1/transition", "401 403 409 409 409",
        form={"to": "approved"}),
    Row("POST", "/review/articles/{article_id}" + V1 + "/edit",
        "/review/articles/{draft}/versions/1/edit", "401 403 409 409 409", form=STALE),
    Row("POST", "/review/articles/{article_id}" + V1 + "/notes",
        "/review/articles/{draft}/versions/1/notes", "401 403 303 303 303",
        form={"comment": "matrix note"}),
    # --- the API -----------------------------------------------------------------------------
    Row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", ALL_200),
    Row("POST", "/api/v1/ask", "/api/v1/ask", ALL_200, json={"question": SPASM}),
    Row("GET", "/api/v1/articles", "/api/v1/articles", ALL_200),
    Row("GET", "/api/v1/articles/{article_id}", "/api/v1/articles/{draft}", STAFF, name="draft"),
    Row("GET", "/api/v1/articles/{article_id}", "/api/v1/articles/{public}", ALL_200,
        name="public"),
    Row("GET", "/api/v1/search", "/api/v1/search?q=gout", ALL_200),
    Row("GET", "/api/v1/sources/{source_id:path}", "/api/v1/sources/doc:gout-patient", ALL_200),
    Row("GET", "/api/v1/topics", "/api/v1/topics", ALL_200),
    Row("GET", "/api/v1/topics/{slug}", "/api/v1/topics/gout", ALL_200),
    Row("POST", "/api/v1/feedback", "/api/v1/feedback", "404 404 201 201 201",
        json={"article_id": "{draft}", "kind": "helpful", "helpful": True}, name="draft"),
    Row("POST", "/api/v1/feedback", "/api/v1/feedback", "201",
        json={"article_id": "{public}", "kind": "helpful", "helpful": True}, name="public"),
    Row("POST", "/api/v1/symptoms", "/api/v1/symptoms", ALL_200, json={"text": "headache"}),
    Row("GET", "/api/v1/me", "/api/v1/me", "401 200 200 200 200"),
    Row("GET", "/api/v1/review/queue", "/api/v1/review/queue", REVIEW_API),
    Row("GET", "/api/v1/review/articles/{article_id}", "/api/v1/review/articles/{draft}",
        REVIEW_API),
    Row("GET", "/api/v1/review/articles/{article_id}", "/api/v1/review/articles/999999",
        "401 403 404 404 404", name="unknown"),
    Row("GET", "/api/v1/review/articles/{article_id}/history",
        "/api/v1/review/articles/{draft}/history", REVIEW_API),
    Row("GET", "/api/v1/review/articles/{article_id}/diff",
        "/api/v1/review/articles/{draft}/diff", REVIEW_API),
    Row("POST", "/api/v1/review/articles/{article_id}" + V1 + "/transition",
        "/api/v1/review/articles/{draft}/versions/1/transition", "401 403 409 409 409",
        json={"to": "approved"}),
    Row("POST", "/api/v1/review/articles/{article_id}" + V1 + "/edit",
        "/api/v1/review/articles/{draft}/versions/1/edit", "401 403 409 409 409",
        json={**STALE, "section": 1, "statement": 1}),
    Row("POST", "/api/v1/review/articles/{article_id}" + V1 + "/notes",
        "/api/v1/review/articles/{draft}/versions/1/notes", "401 403 201 201 201",
        json={"comment": "matrix note"}),
    Row("POST", "/api/v1/review/feedback/{feedback_id}", "/api/v1/review/feedback/999999",
        "401 403 422 422 422", json={"status": "addressed"}),
]


def _app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path template) of every route, included routers flattened (HEAD left out)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            found.add(("GET", str(context.path)))
        else:
            found.update((method, str(context.path)) for method in context.methods or ()
                         if method != "HEAD")
    return found


def test_every_route_has_a_row(live_server: Any) -> None:
    routes = _app_routes(live_server.app)
    covered = {(row.method, row.route) for row in ROWS}
    assert sorted(routes - covered) == [], "add these routes to the authorisation matrix"
    assert sorted(covered - routes) == [], "these rows name routes the app does not have"


@dataclass
class Caller:
    """One role's HTTP client: session cookie and CSRF token for pages, token for the API."""

    client: httpx.Client
    csrf: str
    headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def callers(live_server: Any, staff: Any) -> Iterator[dict[str, Caller]]:
    opened: dict[str, Caller] = {}
    for role in ROLES:
        client = httpx.Client(base_url=live_server.url, timeout=120)
        token = csrf_token(client.get("/login"))
        if role != "anonymous":
            username = ACCOUNTS[role]
            signed = client.post("/login", data={"username": username, "password": staff.password,
                                                 "csrf_token": token, "next": "/"})
            assert signed.status_code == 303, signed.text
            opened[role] = Caller(client, token, staff.headers(username))
        else:
            opened[role] = Caller(client, token)
    yield opened
    for caller in opened.values():
        caller.client.close()


@pytest.fixture(scope="module")
def places(spasm: dict[str, Any], published: dict[str, Any]) -> dict[str, str]:
    key = re.match(r"^/drafts/([\w-]+)/", spasm["article"]["url"])
    assert key, spasm["article"]["url"]
    return {"draft": str(spasm["article"]["id"]), "draft_slug": spasm["article"]["slug"],
            "key": key.group(1), "public": str(published["article"]["id"]),
            "slug": published["article"]["slug"], "version": "1"}


def _fill(value: Any, places: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return int(places[value[1:-1]])
    return value


def _call(caller: Caller, row: Row, places: dict[str, str]) -> httpx.Response:
    path = row.path.format(**places)
    if row.path.startswith("/api/"):
        body = {k: _fill(v, places) for k, v in (row.json or {}).items()}
        return caller.client.request(row.method, path, headers=caller.headers,
                                     json=body if row.method == "POST" else None)
    if row.method == "POST":
        fields = dict(row.form or {})
        if row.name != "no-csrf":
            fields["csrf_token"] = caller.csrf
        return caller.client.post(path, data=fields)
    return caller.client.get(path)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.path} {r.name}".strip() for r in ROWS])
def test_R_SEC_11_each_role_gets_the_expected_status(
    row: Row, callers: dict[str, Caller], places: dict[str, str]
) -> None:
    got = {role: _call(callers[role], row, places).status_code for role in ROLES}
    assert got == row.statuses


def test_R_SEC_11_hidden_drafts_are_not_found_with_no_hint_of_existence(
    callers: dict[str, Caller], places: dict[str, str]
) -> None:
    anonymous = callers["anonymous"].client
    hidden = anonymous.get(f"/api/v1/articles/{places['draft']}")
    unknown = anonymous.get("/api/v1/articles/999999")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["type"] == unknown.json()["type"]
    assert hidden.json()["detail"].replace(places["draft"], "N") == \
        unknown.json()["detail"].replace("999999", "N")
    listed = anonymous.get("/api/v1/articles?limit=100").json()["items"]
    assert int(places["draft"]) not in [item["id"] for item in listed]
    assert places["key"] not in anonymous.get("/articles").text
