"""``medcite serve``: the command starts the app; with several workers, forms still work."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from web_kit import assert_secured, csrf_token

from live_server import copy_store
from medcite.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, f"medcite serve exited with {server.returncode}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("medcite serve did not start")


def test_serve_with_two_workers_answers_pages_and_accepts_forms_across_them(
    starter_settings: Settings, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    copy_store(starter_settings.home / "medcite.db", home)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "medcite", "serve", "--home", str(home), "--port", str(port),
         "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base + "/api/v1/topics", server)
        # No keep-alive: every request is a new connection, so both workers serve some.
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=base, limits=limits, timeout=120) as client:
            home_page = client.get("/")
            assert home_page.status_code == 200
            assert_secured(home_page)
            for question in ["How is gout treated?", "How is migraine treated?",
                             "How is asthma treated?", "How is insomnia treated?"]:
                token = csrf_token(client.get("/"))
                asked = client.post("/ask", data={"question": question, "audience": "patient",
                                                  "csrf_token": token})
                assert asked.status_code == 303, asked.text[:300]
    finally:
        server.terminate()
        server.wait(timeout=30)
