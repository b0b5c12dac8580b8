"""Rendered answer bodies, remembered per article version, content and audience.

An article version's renderings never change (a new edit is a new version with a new content
hash), so the HTML of its answer body and urgent notice is rendered once and reused; the rest
of the page (status, caution, related questions, forms with their CSRF token) is rendered for
every request. Fragments come from the autoescaped templates, so they are safe to embed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from markupsafe import Markup

from medcite.web.templates import Renderer
from medcite.web.views import ArticleView, references, sections

_Key = tuple[int, int, str, str]


class AnswerFragments:
    """Urgent notice and answer body HTML per (article, version, content, audience).

    Example:
        fragments = AnswerFragments(renderer)
        urgent_html, answer_html = fragments.get(view)
    """

    def __init__(self, renderer: Renderer, size: int = 512) -> None:
        """Render with ``renderer``; remember up to ``size`` fragments."""
        self.renderer = renderer
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[_Key, tuple[Markup, Markup]] = OrderedDict()

    def get(self, view: ArticleView) -> tuple[Markup, Markup]:
        """(urgent notice, answer body) of the view's version for its audience."""
        version = view.version
        key = (version.article_id, version.version, version.content_hash, view.audience.value)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        context = {"answer": view.answer, "sections": sections(view.answer),
                   "references": references(view.answer)}
        made = (Markup(self.renderer.render("_urgent.html", context)),  # noqa: S704 - escaped
                Markup(self.renderer.render("_answer.html", context)))  # noqa: S704 - escaped
        with self._lock:
            self._items[key] = made
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return made
