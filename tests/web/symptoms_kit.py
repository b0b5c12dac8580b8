"""Helpers of the symptom-checker tests: scripted patients and reading the checker's pages.

Each scripted patient is its own client address (sent as X-Forwarded-For, which uvicorn takes
from a loopback proxy), as real patients are: the checker's per-client rate limit then applies
to each session alone, and tests never share a bucket.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from web_kit import csrf_token

_ADDRESSES = (f"198.51.100.{n}" for n in itertools.count(1))  # RFC 5737 documentation range
_STATE = re.compile(r'name="state" value="([^"]+)"')
_QUESTION = re.compile(r'<legend class="question">([^<]+)</legend>')
EMERGENCY_TEXT = "crushing chest pain and sweating"
TEXT = "headache and fever for 2 days, no rash"


def new_address() -> str:
    """A client address no other scripted patient uses."""
    return next(_ADDRESSES)


@contextmanager
def patient(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client for one scripted patient (own address, own cookies)."""
    headers = {"X-Forwarded-For": new_address()}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        yield client


def start(client: httpx.Client, text: str, **fields: str) -> httpx.Response:
    """Open the start page and send the description (age, sex, duration as form fields)."""
    token = csrf_token(client.get("/symptoms"))
    return client.post("/symptoms", data={"csrf_token": token, "text": text, **fields})


def state_of(page: httpx.Response) -> str | None:
    """The session token of a question page (None on any other page)."""
    found = _STATE.search(page.text)
    return found.group(1) if found else None


def question_of(page: httpx.Response) -> str | None:
    """The question asked on a page (None when it asks none)."""
    found = _QUESTION.search(page.text)
    return found.group(1) if found else None


@dataclass
class Walk:
    """A scripted interview: the questions asked in order, and the last page."""

    questions: list[str] = field(default_factory=list)
    pages: list[httpx.Response] = field(default_factory=list)

    @property
    def last(self) -> httpx.Response:
        """The page the walk ended on."""
        return self.pages[-1]


def walk(client: httpx.Client, first: httpx.Response,
         reply: Callable[[int, str], str] = lambda n, q: "unsure", limit: int = 60) -> Walk:
    """Answer every question (``reply(number, question)``) until the result page."""
    done = Walk(pages=[first])
    page = first
    while (state := state_of(page)) is not None:
        question = question_of(page)
        assert question is not None and len(done.questions) < limit
        done.questions.append(question)
        page = client.post("/symptoms/answer", data={
            "csrf_token": csrf_token(page), "state": state,
            "answer": reply(len(done.questions), question)})
        assert page.status_code == 200, page.text[:500]
        done.pages.append(page)
    return done


def main_of(html: str) -> str:
    """The text between <main> and </main>."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
