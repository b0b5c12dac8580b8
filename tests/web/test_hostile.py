"""R-SEC-2: hostile source text is shown as text; nothing from a source can run or link out.

A Markdown guideline whose title, publisher and body carry ``<script>``, ``onerror=`` and
``javascript:`` links is ingested into its own store, asked about, and every page that shows
it is parsed as a browser would: no script but medcite's own, no event-handler attribute, no
``javascript:`` address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from web_kit import csrf_token, tags

from live_server import serve
from medcite.ingest.pipeline import ingest_paths
from medcite.settings import Settings
from medcite.store import Store

HOSTILE = """---
id: zebra-fever-clinician
title: "Zebra fever <script>alert('title')</script> management"
kind: guideline
audience: clinician
publisher: "Hostile <img src=x onerror=alert('publisher')> Society"
year: 2025
topics: [zebra fever, zebrafen]
---

## Overview
Zebra fever is an illness used to test escaping <script>alert('xss')</script> in passages.
Zebra fever treatment starts with rest <img src=x onerror=alert('img')> and fluids for zebra fever.
Read [the zebra fever guide](javascript:alert('link')) for zebra fever dosing.

## Drug treatment
Zebra fever is treated with zebrafen 10 mg daily <a href="javascript:alert('a')">click</a>.
Zebrafen for zebra fever is taken <b onmouseover=alert('b')>with food</b> for five days.
"""


@pytest.fixture(scope="module")
def hostile_url(
    make_shared_settings: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    from medcite.web.app import create_app

    folder = tmp_path_factory.mktemp("hostile")
    (folder / "zebra-fever-clinician.md").write_text(HOSTILE)
    settings = make_shared_settings(folder / "home")
    store = Store.open(settings)
    assert ingest_paths([folder / "zebra-fever-clinician.md"], store, settings).ok
    store.close()
    with serve(create_app(settings)) as url:
        yield url


def assert_inert(html: str) -> None:
    """Only medcite's own script; no handler attributes; no javascript: or data: addresses."""
    for tag, attrs in tags(html):
        if tag == "script":
            assert attrs == {"src": "/static/medcite.js", "defer": ""}, attrs
        assert tag not in {"img", "iframe", "object", "embed", "b"}, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src", "action", "formaction"}:
                assert not value.strip().lower().startswith(("javascript:", "data:")), value


def test_R_SEC_2_an_article_from_a_hostile_source_renders_inert(hostile_url: str) -> None:
    with httpx.Client(base_url=hostile_url, timeout=120) as client:
        token = csrf_token(client.get("/"))
        asked = client.post("/ask", data={"question": "How is zebra fever treated?",
                                          "audience": "clinician", "csrf_token": token})
        assert asked.status_code == 303
        page = client.get(asked.headers["location"])
    assert "Zebra fever is treated with zebrafen" in page.text  # it did answer from the source
    assert "&lt;script&gt;alert(" in page.text
    assert_inert(page.text)


@pytest.mark.parametrize(
    "path",
    ["/", "/topics", "/topics/zebra-fever", "/sources/doc:zebra-fever-clinician",
     "/search?q=zebra+fever", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", "/articles",
     "/topics/%3Cscript%3E"],
)
def test_R_SEC_2_every_page_showing_hostile_text_renders_inert(
    hostile_url: str, path: str
) -> None:
    with httpx.Client(base_url=hostile_url, timeout=120) as client:
        response = client.get(path)
    assert response.status_code in (200, 404)
    assert_inert(response.text)


def test_R_SEC_2_the_api_returns_hostile_text_as_json_only(hostile_url: str) -> None:
    with httpx.Client(base_url=hostile_url, timeout=120) as client:
        response = client.get("/api/v1/sources/doc:zebra-fever-clinician")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" in response.json()["source"]["title"]  # stored verbatim, never rendered

