"""Who may read which version of an article: the one visibility rule (R-SEC-11).

- Readers (anonymous, or signed in with the reader role) see an article's newest **approved**
  version and nothing else: a draft, an article under review or a rejected one is "not found"
  (404, never 403), whether asked for by id, slug, list, topic, related question or API.
- Whoever asked a question sees its draft through the draft's unlisted address: a random key
  in the path (``/drafts/<key>/<slug>``), which readers cannot guess and lists never show. A
  rejected draft is not shown even there.
- Staff (editors, reviewers, admins) see every version; public pages still show them the
  approved version when there is one (drafts are read on the review pages).

Lists (home, questions, topics, related questions, follow-ups, ``/api/v1/articles``) hold
approved articles only, for everyone: the board works from the review queue.

Example:
    shown = shown_version(article, Viewer(user=None, key=key_from_url))
    if shown is None:
        raise ArticleNotFoundError(...)
"""

from __future__ import annotations

import hmac

from medcite.types import Article, ReviewStatus, Viewer

ANONYMOUS = Viewer()
"""An anonymous reader without a draft key."""


def holds_key(article: Article, viewer: Viewer) -> bool:
    """Whether ``viewer`` presented the key of this article's draft address."""
    if not viewer.key or not article.preview_key:
        return False
    return hmac.compare_digest(viewer.key.encode(), article.preview_key.encode())


def shown_version(article: Article, viewer: Viewer = ANONYMOUS) -> int | None:
    """The version of ``article`` that ``viewer`` is shown, or None: hidden (answer 404)."""
    if article.approved_version is not None:
        return article.approved_version
    if viewer.staff:
        return article.latest_version
    if holds_key(article, viewer) and article.status is not ReviewStatus.REJECTED:
        return article.latest_version
    return None


def may_read(article: Article, version: int, viewer: Viewer = ANONYMOUS) -> bool:
    """Whether ``viewer`` may read this particular version (feedback names the version read)."""
    if viewer.staff:
        return 1 <= version <= article.latest_version
    return version == shown_version(article, viewer)


def is_public(article: Article) -> bool:
    """Whether the article has an approved version: the only ones readers find anywhere."""
    return article.approved_version is not None


def is_listed(article: Article) -> bool:
    """Whether an article appears in lists, topics and related questions (public, answered)."""
    return article.answered and is_public(article)


def public_face(article: Article) -> Article:
    """The article as readers know it: its approved version is its latest, nothing newer.

    A draft of the next version (under review) stays invisible to readers, even in counts.
    """
    if article.approved_version is None or article.latest_version == article.approved_version:
        return article
    return article.model_copy(update={
        "status": ReviewStatus.APPROVED, "latest_version": article.approved_version,
    })


def as_seen_by(article: Article, viewer: Viewer) -> Article:
    """The article as ``viewer`` knows it (staff: as it is; others: its public face)."""
    return article if viewer.staff else public_face(article)
