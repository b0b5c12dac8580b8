"""An article's history: every content state of every version, and readable diffs between them.

A version's content changes in place while it is in review (each edit keeps what it replaced),
and an edit of an approved version makes the next version; ``content_history`` lists all of
those states, oldest first. ``diff`` compares two states of one rendering line by line (each
heading and each statement is a line, with its citation numbers), with ``difflib``.

Example:
    states = content_history(store, 7)
    lines = diff(states[0].answer(Audience.CLINICIAN), states[-1].answer(Audience.CLINICIAN))
"""

from __future__ import annotations

import difflib

from medcite.answer.cite import citation_numbers
from medcite.errors import ArticleNotFoundError
from medcite.store import Store
from medcite.store.audit import transaction
from medcite.store.review import ReviewTx
from medcite.types import Answer, ContentState, DiffLine


def content_history(store: Store, article_id: int) -> list[ContentState]:
    """Every content state of an article, oldest first (raises ``ArticleNotFoundError``)."""
    with transaction(store, ReviewTx) as tx:
        states = tx.content_states(article_id)
    if not states:
        raise ArticleNotFoundError(f"no article with id {article_id}")
    return states


def find_state(states: list[ContentState], label: str | None, default: int) -> ContentState:
    """The state labelled ``label`` ('v1', 'v2.3'), or ``states[default]`` when not given.

    Raises:
        ArticleNotFoundError: no state has this label.
    """
    if not label:
        return states[default]
    for state in states:
        if state.revision.label == label:
            return state
    raise ArticleNotFoundError(f"this article has no {label!r}",
                               hint="pick one of the states listed in its history")


def lines(answer: Answer) -> list[str]:
    """A rendering as lines: '## heading', then '- statement [1, 2]' per statement."""
    if answer.abstained:
        return ["(no answer from the evidence)"]
    out: list[str] = []
    for section in answer.sections:
        out.append(f"## {section.title}")
        for statement in section.statements:
            numbers = ", ".join(str(n) for n in citation_numbers(statement, answer.citations))
            out.append(f"- {statement.text} [{numbers}]")
    return out


def diff(before: Answer, after: Answer) -> list[DiffLine]:
    """What changed from ``before`` to ``after``, line by line, unchanged lines included."""
    old, new = lines(before), lines(after)
    result: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            result.extend(DiffLine(change="same", text=text) for text in old[a1:a2])
            continue
        result.extend(DiffLine(change="removed", text=text) for text in old[a1:a2])
        result.extend(DiffLine(change="added", text=text) for text in new[b1:b2])
    return result
