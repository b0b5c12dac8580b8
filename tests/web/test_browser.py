"""The reader's journey in a real browser (Debian chromium via Playwright) and an axe-core scan.

Ask from the home page, land on the article, switch audience, open a citation's quote, follow a
related question, send feedback, ask a follow-up; screenshots of the article in both audiences
go to docs/screenshots/. axe-core (npm, in .cache/node) checks WCAG 2.2 AA on the key pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_kit import SPASM, serious_axe_violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent.parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
RELATED = "What helps muscle spasms and cramps?"


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1024, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def related_asked(published: dict[str, Any]) -> str:
    """An approved question near the acceptance question, so the article has a related
    question (readers are only ever pointed to approved articles)."""
    assert published["article"]["question"] == RELATED
    return str(published["article"]["url"])


def test_a_reader_asks_reads_switches_quotes_follows_sends_feedback_and_follows_up(
    page: Any, related_asked: str
) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_label("Your question").fill(SPASM)
    page.get_by_label("Health professional").check()
    page.get_by_role("button", name="Ask").click()
    page.wait_for_url(re.compile(r"/drafts/[\w-]+/how-should-muscle-spasms"))  # unlisted
    expect(page.get_by_role("heading", level=1)).to_have_text(SPASM)
    expect(page.get_by_role("note")).to_contain_text("not yet been reviewed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "article-clinician.png"), full_page=True)

    page.get_by_role("link", name="Patient or caregiver").click()
    expect(page).to_have_url(re.compile(r"audience=patient"))
    expect(page.get_by_role("link", name="Patient or caregiver")).to_have_attribute(
        "aria-current", "page")
    page.screenshot(path=str(SCREENSHOTS / "article-patient.png"), full_page=True)

    citation = page.locator("details.cite").first
    citation.locator("summary").click()
    expect(citation.locator(".quote-box q").first).to_be_visible()
    expect(citation.locator("summary")).to_have_attribute(
        "aria-label", re.compile(r"reference \d+"))

    page.locator("ul.related a", has_text=RELATED).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(RELATED)
    expect(page).to_have_url(re.compile(r"audience=patient"))  # the reader's choice is kept

    page.get_by_label("Comment (optional)").fill("Clear, thank you.")
    page.get_by_role("button", name="Yes, it helped").click()
    expect(page.get_by_role("status").filter(has_text="Thank you")).to_be_visible()

    page.get_by_label(re.compile("Your follow-up question")).fill("What about at night?")
    page.locator("#follow-up ~ button").click()
    expect(page.get_by_text("Follow-up of:")).to_be_visible()
    expect(page.locator(".context a")).to_have_text(RELATED)


def test_a_citation_opens_from_the_keyboard_and_is_a_large_enough_target(
    page: Any, spasm: dict[str, Any]
) -> None:
    page.goto(spasm["article"]["url"])
    summary = page.locator("details.cite summary").first
    box = summary.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.cite").first.get_attribute("open") is not None


@pytest.mark.parametrize("path", ["/", "ARTICLE", "ARTICLE?audience=patient",
                                  "/topics/muscle-spasm", "/how-it-works"])
def test_R_A11Y_4_pages_reflow_at_320_px_without_horizontal_scrolling(
    page: Any, spasm: dict[str, Any], path: str
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path.replace("ARTICLE", spasm["article"]["url"]))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320


@pytest.mark.parametrize(
    "path",
    ["/", "ARTICLE", "ARTICLE?audience=patient", "/topics/muscle-spasm", "/topics",
     "/how-it-works", "/articles", "/sources/doc:muscle-spasm-patient", "/no-such-page"],
)
def test_R_A11Y_1_axe_finds_no_serious_or_critical_wcag22aa_violations(
    browser: Any, live_server: Any, spasm: dict[str, Any], path: str
) -> None:
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)  # to inject axe
    try:
        tab = context.new_page()
        tab.goto(path.replace("ARTICLE", spasm["article"]["url"]))
        serious = serious_axe_violations(tab)
    finally:
        context.close()
    assert serious == []
