"""Helpers of the web tests: the acceptance question, problem checks, HTML inspection."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from medcite.review import workflow
from medcite.review.accounts import MEDCITE
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Actor, Answer, ArticleDraft, Audience, ReviewStatus, Role

SPASM = "How should muscle spasms be evaluated and managed?"
PROBLEM = "application/problem+json"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "img-src 'self'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
AXE = Path(__file__).parent.parent.parent / ".cache" / "node" / "node_modules" / "axe-core" \
    / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]  # WCAG 2.2 AA


def serious_axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as loaded (R-A11Y-1), readable.

    The page's CSP forbids inline scripts: the page's browser context must bypass CSP so that
    axe can be injected (the app itself never runs inline scripts).
    """
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run "
                    "`npm install --prefix .cache/node axe-core@4.14.1` (.ci/run does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run({runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


@dataclass(frozen=True)
class StrictServer:
    """A second app over its own store: one ask and one feedback per client, one broken page,
    and one approved article readers can send feedback on."""

    url: str
    broken_article_id: int
    published_article_id: int


BOARD_MEMBER = Actor(id="ana", role=Role.REVIEWER)


def approve(store: Store, settings: Settings, article_id: int) -> None:
    """Version 1 of an article, started and approved by a reviewer (readers can see it)."""
    for status in (ReviewStatus.UNDER_REVIEW, ReviewStatus.APPROVED):
        workflow.transition(store, settings, article_id, 1, status, BOARD_MEMBER)


def broken_article(store: Store, settings: Settings) -> int:
    """An approved article whose stored rendering no longer parses (a fault to force a 500)."""
    def answer(audience: Audience) -> Answer:
        return Answer(question="Broken?", audience=audience, abstained=True, disclaimer="d")

    article, _ = workflow.submit_article(store, ArticleDraft(
        question="Broken?", question_key="broken", slug="broken",
        clinician=answer(Audience.CLINICIAN), patient=answer(Audience.PATIENT),
        retrieved_ids=[], evidence_ids=[], settings_digest="x"), MEDCITE)
    approve(store, settings, article.id)
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE article_versions SET clinician = :bad WHERE article_id = :id"),
            {"bad": '{"not": "an answer"}', "id": article.id},
        )
    return article.id


def assert_problem(response: httpx.Response, status: int, type_suffix: str | None = None) -> None:
    """A problem document with the RFC 9457 members and medcite's hint, no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:medcite:problem:")
    assert body["title"] and body["detail"]
    if type_suffix is not None:
        assert body["type"].endswith(type_suffix)
    assert "Traceback" not in response.text and 'File "' not in response.text


def assert_secured(response: httpx.Response) -> None:
    """The security headers of R-SEC-8 are on the response."""
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.request.url)


def csrf_token(page: httpx.Response) -> str:
    """The anti-forgery token of the first form on a page."""
    found = _TOKEN.search(page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Tags(HTMLParser):
    """Every start tag of a page with its attributes, in document order."""

    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """The start tags of ``html`` (parsed as a browser would tokenise them)."""
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.tags
