"""The symptom checker in Debian chromium: a keyboard-only walkthrough (R-A11Y-2), axe-core on
every step (R-A11Y-1), reflow at 320 px (R-A11Y-4) and the urgent banner's place (R-SC-1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from symptoms_kit import EMERGENCY_TEXT, TEXT, new_address
from web_kit import serious_axe_violations

pytestmark = pytest.mark.browser


FOCUSED = """() => {
  const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), id: e.id, name: e.name || "", value: e.value || "",
          text: (e.textContent || "").trim(), checked: !!e.checked,
          outline: getComputedStyle(e).outlineStyle};
}"""


def _context(browser: Any, url: str, **options: Any) -> Any:
    """A browser context for one patient (own client address, see symptoms_kit)."""
    return browser.new_context(base_url=url, viewport={"width": 1024, "height": 900},
                               extra_http_headers={"X-Forwarded-For": new_address()}, **options)


@pytest.fixture
def tab(browser: Any, live_server: Any) -> Iterator[Any]:
    context = _context(browser, live_server.url)
    yield context.new_page()
    context.close()


def _press_until(page: Any, wanted: Callable[[dict[str, Any]], bool], key: str = "Tab",
                 limit: int = 40) -> dict[str, Any]:
    """Press ``key`` until the focused element is the one ``wanted``; returns it."""
    for _ in range(limit):
        page.keyboard.press(key)
        focused: dict[str, Any] = page.evaluate(FOCUSED)
        if wanted(focused):
            return focused
    raise AssertionError(f"never reached the element with {key}")


def _submit(page: Any, button: str = "Continue") -> None:
    """Tab to a button, check its focus ring, and press Enter on it."""
    focused = _press_until(page, lambda f: f["tag"] == "button" and f["text"] == button)
    assert focused["outline"] != "none"  # the focus is visible
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _answer(page: Any, number: int) -> None:
    """Answer one question: reach the choices by the skip link and Tab, or by Shift-Tab back
    from Continue, then Space (arrow keys would move between the choices; not needed here)."""
    if number % 2:
        _press_until(page, lambda f: f["text"] == "Skip to main content")
        page.keyboard.press("Enter")  # to <main>: the form is the next stop
        _press_until(page, lambda f: f["name"] == "answer")
    else:
        _press_until(page, lambda f: f["text"] == "Continue")
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(FOCUSED)["name"] == "answer"
    page.keyboard.press("Space")
    assert page.evaluate(FOCUSED)["checked"]
    _submit(page)


def test_R_A11Y_2_a_keyboard_alone_goes_from_start_to_result_and_back(tab: Any) -> None:
    from playwright.sync_api import expect

    tab.goto("/symptoms")
    _press_until(tab, lambda f: f["id"] == "symptoms-text")
    tab.keyboard.type(TEXT)
    tab.keyboard.press("Tab")
    assert tab.evaluate(FOCUSED)["id"] == "age"
    tab.keyboard.type("34")
    tab.keyboard.press("Tab")  # the sex group: its checked choice, "Prefer not to say"
    assert tab.evaluate(FOCUSED)["value"] == "unknown"
    tab.keyboard.press("Shift+Tab")
    assert tab.evaluate(FOCUSED)["id"] == "age"
    _submit(tab)
    asked = []
    while tab.locator("legend.question").count():
        asked.append(tab.locator("legend.question").inner_text())
        assert len(asked) <= 8
        _answer(tab, len(asked))
    assert asked and len(asked) == len(set(asked))
    expect(tab.get_by_role("heading", level=1)).to_have_text("Your symptom check")
    expect(tab.get_by_role("heading", name="What to do now")).to_be_visible()
    _press_until(tab, lambda f: f["text"] == "Start a new symptom check")
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    expect(tab.get_by_label("Your symptoms")).to_have_value("")


def test_R_SC_1_the_banner_is_first_on_screen_and_never_covers_the_focus(tab: Any) -> None:
    tab.goto("/symptoms")
    tab.get_by_label("Your symptoms").fill(EMERGENCY_TEXT)
    tab.get_by_role("button", name="Continue").click()
    banner = tab.get_by_role("alert")
    assert "call 911" in banner.inner_text()
    assert banner.bounding_box()["y"] < tab.locator("header.site").bounding_box()["y"]
    assert banner.evaluate("e => getComputedStyle(e).position") in ("static", "relative")


def _start_page(page: Any) -> None:
    page.goto("/symptoms")


def _question_page(page: Any) -> None:
    page.goto("/symptoms")
    page.get_by_label("Your symptoms").fill(TEXT)
    page.get_by_role("button", name="Continue").click()
    page.locator("legend.question").wait_for()


def _emergency_result(page: Any) -> None:
    page.goto("/symptoms")
    page.get_by_label("Your symptoms").fill(EMERGENCY_TEXT)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("alert").wait_for()


def _result_page(page: Any) -> None:
    _question_page(page)
    page.get_by_role("button", name="See the result now").click()
    page.get_by_role("heading", name="Conditions that can cause these symptoms").wait_for()


STEPS = {"start": _start_page, "question": _question_page, "emergency": _emergency_result,
         "result": _result_page}


@pytest.mark.parametrize("step", list(STEPS))
def test_R_A11Y_1_axe_finds_no_serious_or_critical_violations_on_any_step(
    browser: Any, live_server: Any, step: str
) -> None:
    context = _context(browser, live_server.url, bypass_csp=True)  # to inject axe
    try:
        page = context.new_page()
        STEPS[step](page)
        serious = serious_axe_violations(page)
    finally:
        context.close()
    assert serious == []


@pytest.mark.parametrize("step", list(STEPS))
def test_R_A11Y_4_every_step_reflows_at_320_px(browser: Any, live_server: Any, step: str) -> None:
    context = _context(browser, live_server.url)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 320, "height": 640})
        STEPS[step](page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()
