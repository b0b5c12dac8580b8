"""``medcite serve``: the command starts the app; with several workers, forms still work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from web_kit import assert_secured, csrf_token

from live_server import copy_store, free_port, store_env, wait_until_serving
from medcite.settings import Settings


def test_serve_with_two_workers_answers_pages_and_accepts_forms_across_them(
    starter_settings: Settings, tmp_path: Path
) -> None:
    copied = copy_store(starter_settings, tmp_path / "home")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "medcite", "serve", "--home", str(copied.home), "--port",
         str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=store_env(copied),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/api/v1/topics", server)
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
