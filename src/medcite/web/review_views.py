"""What the review pages show: statements beside the passages they cite, actions a reviewer
may take, and a version's place in the workflow. No HTML here (templates do the markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medcite.answer.cite import citation_numbers
from medcite.review.publish import Library
from medcite.review.workflow import ACTIONS, EDITORS, MOVES, ROLES
from medcite.types import (
    Answer,
    ArticleVersion,
    Audience,
    Passage,
    ReviewState,
    ReviewStatus,
    Role,
    Source,
    User,
)

ACTION_LABELS = {
    "start_review": "Start review",
    "approve": "Approve",
    "request_changes": "Request changes",
    "reject": "Reject",
    "resubmit": "Resubmit for review",
}
WAITING = "waiting"
STATUS_FILTERS = {
    WAITING: (ReviewStatus.SUBMITTED, ReviewStatus.UNDER_REVIEW, ReviewStatus.CHANGES_REQUESTED),
    **{status.value: (status,) for status in ReviewStatus},
}
"""The queue's status filter: its value -> the statuses it lists."""


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of a passage's text; ``quoted`` when a statement quotes it."""

    text: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class CitedPassage:
    """A stored passage cited by a statement, with the quoted words marked."""

    passage_id: str
    source: Source | None
    section: str
    segments: list[Segment]
    missing: bool


@dataclass(frozen=True, slots=True)
class ReviewedStatement:
    """A statement, its citation numbers and the passages it rests on."""

    number: int
    text: str
    bold: bool
    citations: list[int]
    support: float
    passages: list[CitedPassage]


@dataclass(frozen=True, slots=True)
class ReviewedSection:
    """A section of the rendering under review."""

    number: int
    title: str
    statements: list[ReviewedStatement]


@dataclass(frozen=True, slots=True)
class Move:
    """A workflow move the signed-in account may try from the version's status."""

    to: ReviewStatus
    label: str


def marked(text: str, quotes: Sequence[str]) -> list[Segment]:
    """``text`` cut into runs, those inside any of ``quotes`` marked."""
    spans = sorted((text.find(q), text.find(q) + len(q)) for q in quotes if q and q in text)
    segments: list[Segment] = []
    at = 0
    for start, end in spans:
        if end <= at:
            continue
        start = max(start, at)
        if start > at:
            segments.append(Segment(text[at:start], False))
        segments.append(Segment(text[start:end], True))
        at = end
    if at < len(text):
        segments.append(Segment(text[at:], False))
    return segments


def reviewed_sections(library: Library, answer: Answer) -> list[ReviewedSection]:
    """The rendering's statements, each beside the stored passages it cites."""
    ids = list(dict.fromkeys(pid for c in answer.citations for pid in c.passage_ids))
    passages = library.store.passages(ids)
    sources = library.store.sources(list({p.source_id for p in passages.values()}))
    return [
        ReviewedSection(s_no, section.title, [
            ReviewedStatement(
                number=st_no, text=st.text, bold=st.bold, support=st.support,
                citations=citation_numbers(st, answer.citations),
                passages=[_cited(pid, passages.get(pid), sources, [q.text for q in st.quotes
                                                                   if q.passage_id == pid])
                          for pid in st.evidence_ids],
            )
            for st_no, st in enumerate(section.statements, start=1)
        ])
        for s_no, section in enumerate(answer.sections, start=1)
    ]


def _cited(passage_id: str, passage: Passage | None, sources: dict[str, Source],
           quotes: list[str]) -> CitedPassage:
    if passage is None:
        return CitedPassage(passage_id, None, "", [Segment(" / ".join(quotes), True)], True)
    return CitedPassage(passage_id, sources.get(passage.source_id), passage.section,
                        marked(passage.text, quotes), False)


def moves(state: ReviewState, user: User) -> list[Move]:
    """The moves from ``state`` that ``user``'s role may take (the workflow still decides)."""
    return [
        Move(to, ACTION_LABELS[ACTIONS[to]])
        for to in sorted(MOVES[state.status], key=lambda s: list(ReviewStatus).index(s))
        if user.role in ROLES[ACTIONS[to]]
    ]


def may_edit(state: ReviewState, role: Role, *, newest: bool) -> bool:
    """Whether the edit forms are offered (in place, or as the next version of a final one)."""
    if state.status in (ReviewStatus.APPROVED, ReviewStatus.REJECTED):
        return newest and role in ROLES["submit"]
    return role in EDITORS.get(state.status, frozenset())


def audience_of(value: str | None) -> Audience:
    """The audience named in a query (clinician when missing or unknown)."""
    return Audience.PATIENT if value == Audience.PATIENT.value else Audience.CLINICIAN


def version_or_latest(states: Sequence[ReviewState], asked: int | None) -> ReviewState | None:
    """The state of the version asked for, else the newest one."""
    if asked is not None:
        return next((s for s in states if s.version == asked), None)
    return max(states, key=lambda s: s.version) if states else None


def version_content(library: Library, state: ReviewState) -> ArticleVersion:
    """The stored content of a version under review (raises ``ArticleNotFoundError``)."""
    return library.store.get_article_version(state.article_id, state.version)
