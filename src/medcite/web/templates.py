"""The Jinja2 environment: every template autoescaped, undefined names are errors.

All source and answer text reaches the page through autoescaping only; nothing is marked
safe, so an ingested ``<script>`` or ``onerror=`` is shown as text (R-SEC-2).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def _date(value: dt.datetime | dt.date | None) -> str:
    """'24 November 2026' (UTC), or '' for no date."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def _iso(value: dt.datetime | dt.date | None) -> str:
    return "" if value is None else value.isoformat()


class Renderer:
    """Renders the package's templates to strings.

    Example:
        renderer = Renderer()
        html = renderer.render("error.html", {"status": 404, "title": "Not found", ...})
    """

    def __init__(self, globals_: dict[str, Any] | None = None) -> None:
        """Load templates from the package; ``globals_`` are visible in every template."""
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["date"] = _date
        self.env.filters["iso"] = _iso
        self.env.globals.update(globals_ or {})

    def render(self, name: str, context: dict[str, Any]) -> str:
        """The template ``name`` rendered with ``context``."""
        return self.env.get_template(name).render(context)
