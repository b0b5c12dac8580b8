"""Web fixtures: HTTP clients of the live server, and a strict server for limits and faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from web_kit import SPASM, StrictServer, approve, broken_article

from live_server import copy_store, serve
from medcite.review.publish import get_or_create_article
from medcite.settings import Settings, WebSettings


@pytest.fixture(scope="session")
def client(live_server: Any) -> Iterator[httpx.Client]:
    """An HTTP client of the shared live server (keeps cookies, does not follow redirects)."""
    with httpx.Client(base_url=live_server.url, timeout=120) as opened:
        yield opened


@pytest.fixture(scope="session")
def spasm(client: httpx.Client) -> dict[str, Any]:
    """The acceptance question asked once through the API (the ArticleOut JSON)."""
    response = client.post("/api/v1/ask", json={"question": SPASM})
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture(scope="module")
def strict_server(
    starter_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StrictServer]:
    """Rate limits of one request per group per client, and a broken article (own store)."""
    from medcite.web.app import create_app

    copied = copy_store(starter_settings, tmp_path_factory.mktemp("strict"))
    settings = copied.model_copy(update={"web": WebSettings(
        ask_burst=1, ask_per_minute=1, feedback_burst=1, feedback_per_minute=1)})
    app = create_app(settings)
    library = app.state.library
    broken = broken_article(library.store, settings)
    published, _ = get_or_create_article(library, "How is gout treated?")
    approve(library.store, settings, published.id)
    with serve(app) as url:
        yield StrictServer(url=url, broken_article_id=broken,
                           published_article_id=published.id)
