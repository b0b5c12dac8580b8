"""The board's work in a real browser (Debian chromium via Playwright), and axe-core scans of
the sign-in and review pages (R-A11Y-1).

An editor asks a question (it becomes Submitted); a reviewer signs in, starts the review and
edits a statement; having edited it, she cannot approve it herself (R-WF-3), so a second
reviewer approves it; the public page then names the reviewer and the date, while a reader
still gets 404 for a draft's id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from web_kit import serious_axe_violations

pytestmark = pytest.mark.browser


QUESTION = "How is restless legs syndrome treated?"
NEW_TEXT = "Check ferritin and treat iron deficiency before starting any medicine."


@pytest.fixture
def contexts(browser: Any, live_server: Any) -> Iterator[Any]:
    opened: list[Any] = []

    def new(**options: Any) -> Any:
        context = browser.new_context(base_url=live_server.url,
                                      viewport={"width": 1280, "height": 900}, **options)
        opened.append(context)
        return context.new_page()

    yield new
    for context in opened:
        context.close()


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/review$"))


def test_an_editors_question_is_reviewed_edited_approved_and_published(
    contexts: Any, staff: Any, spasm: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    editor = contexts()
    sign_in(editor, "eve", staff.password)
    editor.goto("/")
    editor.get_by_label("Your question").fill(QUESTION)
    editor.get_by_role("button", name="Ask").click()
    editor.wait_for_url(re.compile(r"/articles/\d+/how-is-restless-legs"))
    expect(editor.locator(".status-line .status")).to_have_text("Submitted")
    article_path = urlparse(editor.url).path
    article_id = int(article_path.split("/")[2])

    reader = contexts()
    assert reader.goto(article_path).status == 404  # a draft, by id
    assert reader.goto(f"/api/v1/articles/{article_id}").status == 404

    ana = contexts()
    sign_in(ana, "ana", staff.password)
    ana.get_by_role("link", name=QUESTION).click()
    ana.get_by_role("button", name="Start review").click()
    expect(ana.locator(".status-line .status")).to_have_text("Under review")
    ana.get_by_text("Edit statement 1.1").click()
    ana.get_by_label("New text of statement 1.1").fill(NEW_TEXT)
    ana.get_by_label("Why (for the record)").first.fill("iron first, as the guideline says")
    ana.get_by_role("button", name="Save statement 1.1").click()
    expect(ana.locator(".statement-text").first).to_contain_text(NEW_TEXT)
    ana.get_by_role("button", name="Approve").click()
    expect(ana.get_by_role("alert")).to_contain_text("another reviewer must approve it")

    ben = contexts()
    sign_in(ben, "ben", staff.password)
    ben.goto(f"/review/articles/{article_id}")
    ben.get_by_role("button", name="Approve").click()
    expect(ben.locator(".status-line .status")).to_have_text("Approved")

    assert reader.goto(article_path).status == 200
    reviewed = reader.locator("p.reviewed")
    expect(reviewed).to_contain_text("Dr Ben Example, MD (Neurology)")
    expect(reviewed).to_contain_text(f"{dt.datetime.now(dt.UTC):%B %Y}")
    expect(reader.locator("ul.statements li").first).to_contain_text(NEW_TEXT)
    expect(reader.get_by_text("Pending review.")).to_have_count(0)
    assert reader.goto(f"/articles/{spasm['article']['id']}").status == 404  # still a draft


@pytest.mark.parametrize("path", ["/login", "/review", "/review?status=approved", "REVIEW",
                                  "HISTORY"])
def test_R_A11Y_1_axe_finds_no_serious_or_critical_violations_on_the_board_pages(
    contexts: Any, staff: Any, spasm: dict[str, Any], path: str
) -> None:
    tab = contexts(bypass_csp=True)  # the test injects axe; the app never runs inline scripts
    if path != "/login":
        sign_in(tab, "ana", staff.password)
    review = f"/review/articles/{spasm['article']['id']}"
    tab.goto(path.replace("REVIEW", review).replace("HISTORY", review + "/history"))
    assert serious_axe_violations(tab) == []
