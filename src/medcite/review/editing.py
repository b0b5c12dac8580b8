"""Editing an article version's statements and sections without breaking its citations.

An edit changes one rendering (clinician or patient): a statement's text, or removes a
statement or a whole section. Every statement left must still cite a stored passage whose
stored text holds its quote verbatim, so each edit is re-cited against the store
(``medcite.answer.cite``): an edit that would leave a statement without a resolvable citation,
or leave nothing at all, is refused (``InvalidEditError``), as is an edit of content that
changed since the editor read it (``StaleEditError``).

Where the edit lands is the workflow's business (``medcite.review.workflow``): a version still
in review is edited in place (its earlier content is kept as a revision, its approvals lapse,
the editor becomes one of its authors); an approved or rejected version is final, so editing it
makes the next version, Submitted, while the approved one stays public.

Example:
    edit = ContentEdit(kind=EditKind.EDIT_STATEMENT, audience=Audience.CLINICIAN, section=1,
                       statement=1, text="Stretch the muscle gently.", base_hash=v.content_hash)
    state = edit_article(store, article_id, 1, edit, reviewer.actor, comment="plainer")
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence

from medcite.answer.ask import readability
from medcite.answer.cite import cite, support
from medcite.errors import InvalidEditError, StaleEditError, TransitionError
from medcite.review import workflow
from medcite.review.audit import emit, now_utc, retrying
from medcite.store import Store
from medcite.store.articles import renderings_hash
from medcite.store.audit import transaction
from medcite.store.review import ReviewTx
from medcite.types import (
    Actor,
    Answer,
    AnswerSection,
    ArticleVersion,
    Audience,
    AuditRecord,
    ContentEdit,
    EditKind,
    Evidence,
    ReviewState,
    ReviewStatus,
    ReviewSubject,
)

MAX_STATEMENT_CHARS = 1000
FINAL = frozenset({ReviewStatus.APPROVED, ReviewStatus.REJECTED})


# --- the edit itself (pure) -----------------------------------------------------------------


def clean_text(text: str) -> str:
    """A statement's new text: spaces collapsed; refused if empty, too long or with controls."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidEditError("a statement needs some text", hint="or remove the statement")
    if len(cleaned) > MAX_STATEMENT_CHARS:
        raise InvalidEditError(f"a statement is at most {MAX_STATEMENT_CHARS:,} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in cleaned):
        raise InvalidEditError("a statement cannot hold control or formatting characters")
    return cleaned


def _edited_sections(answer: Answer, edit: ContentEdit) -> list[AnswerSection]:
    sections = list(answer.sections)
    if not 1 <= edit.section <= len(sections):
        raise InvalidEditError(f"there is no section {edit.section} in the {edit.audience.value} "
                               "rendering", hint="reload the page")
    index = edit.section - 1
    if edit.kind is EditKind.REMOVE_SECTION:
        del sections[index]
        return sections
    statements = list(sections[index].statements)
    if edit.statement is None or not 1 <= edit.statement <= len(statements):
        raise InvalidEditError(f"there is no statement {edit.statement} in section "
                               f"{edit.section}", hint="reload the page")
    position = edit.statement - 1
    if edit.kind is EditKind.REMOVE_STATEMENT:
        del statements[position]
    else:
        old = statements[position]
        text = clean_text(edit.text or "")
        statements[position] = old.model_copy(update={
            "text": text, "support": support(text, [q.text for q in old.quotes])})
    if statements:
        sections[index] = sections[index].model_copy(update={"statements": statements})
    else:
        del sections[index]
    return sections


def apply_edit(answer: Answer, edit: ContentEdit, evidence: Sequence[Evidence]) -> Answer:
    """``answer`` with ``edit`` applied, re-cited against ``evidence`` (the stored passages).

    Raises:
        InvalidEditError: no such section or statement, bad text, nothing left, or a remaining
            statement whose citation no longer resolves to a stored passage.
    """
    if answer.abstained:
        raise InvalidEditError("this rendering makes no statements to edit")
    sections = _edited_sections(answer, edit)
    if not sections:
        raise InvalidEditError("the edit would leave no statement",
                               hint="reject the article instead of emptying it")
    kept, citations = cite(sections, evidence)
    wanted = [s.text for section in sections for s in section.statements]
    resolved = {s.text for section in kept for s in section.statements}
    lost = [text for text in wanted if text not in resolved]
    if lost:
        raise InvalidEditError(
            f"this statement would no longer cite a stored passage: {lost[0][:120]!r}",
            hint="its source was removed or changed since drafting; remove the statement",
        )
    grade = readability(kept) if answer.audience is Audience.PATIENT else answer.readability_grade
    return Answer(**{**dict(answer), "sections": kept, "citations": citations,
                     "readability_grade": grade})


def stored_evidence(store: Store, answer: Answer) -> list[Evidence]:
    """The stored passages (with their sources) that ``answer`` cites, as evidence to re-cite."""
    ids = list(dict.fromkeys(pid for c in answer.citations for pid in c.passage_ids))
    passages = store.passages(ids)
    sources = store.sources(list({p.source_id for p in passages.values()}))
    return [
        Evidence(id=pid, passage=passages[pid], source=sources[passages[pid].source_id],
                 score=1.0, rank=rank)
        for rank, pid in enumerate(ids, start=1)
        if pid in passages and passages[pid].source_id in sources
    ]


def edited_renderings(store: Store, version: ArticleVersion, edit: ContentEdit
                      ) -> tuple[Answer, Answer]:
    """(clinician, patient) of ``version`` after ``edit`` (see ``apply_edit``)."""
    answer = version.answer(edit.audience)
    changed = apply_edit(answer, edit, stored_evidence(store, answer))
    if edit.audience is Audience.CLINICIAN:
        return changed, version.patient
    return version.clinician, changed


# --- the use case -------------------------------------------------------------------------


def edit_article(
    store: Store, article_id: int, version: int, edit: ContentEdit, actor: Actor, *,
    comment: str = "",
) -> ReviewState:
    """Apply ``edit`` to a version: in place while in review, else as the next version.

    Returns the review state of the version that now holds the edit.

    Raises:
        ArticleNotFoundError, ReviewNotFoundError: no such version.
        InvalidEditError: the edit would break the citation invariants (422).
        StaleEditError: the content changed since ``edit.base_hash`` was read (409).
        TransitionError, ForbiddenError: the workflow refuses (409 / 403; audited).
    """
    current = store.get_article_version(article_id, version)
    if current.content_hash != edit.base_hash:
        raise _stale()
    clinician, patient = edited_renderings(store, current, edit)
    state = workflow.review_state(store, article_id, version)
    if state.status in FINAL:
        return _next_version(store, current, clinician, patient, actor, comment)
    new_hash = renderings_hash(clinician, patient)

    def check(before: ReviewState) -> None:
        if before.content_hash != edit.base_hash:
            raise _stale()

    def write(tx: ReviewTx, at: dt.datetime) -> None:
        tx.replace_content(article_id, version, clinician, patient, by=actor.id, when=at)

    return workflow.edit(store, article_id, version, new_hash, actor, comment=comment,
                         check=check, also=write)


def _next_version(
    store: Store, base: ArticleVersion, clinician: Answer, patient: Answer, actor: Actor,
    comment: str,
) -> ReviewState:
    """Submit the edited content of a final version as the article's next version."""
    workflow.check_comment(comment)

    def attempt() -> tuple[ReviewState, AuditRecord]:
        at = now_utc()
        with transaction(store, ReviewTx) as tx:
            newest = tx.latest_version(base.article_id)
            latest = tx.state(base.article_id, newest, lock=True) if newest else None
            if latest is None or latest.version != base.version:
                raise TransitionError(f"version {base.version} is not the newest version",
                                      hint="edit the newest version instead")
            if latest.content_hash != base.content_hash:
                raise _stale()
            added = tx.add_version(base, clinician, patient, created_by=actor.id)
            assert added is not None  # the article exists: its version was just read
            subject = ReviewSubject(article_id=base.article_id, version=added.version,
                                    content_hash=added.content_hash)
            state = workflow.decide_submit(subject, actor, latest, now=at)
            tx.create(state)
            note = f"edit of version {base.version}" + (f": {comment}" if comment else "")
            return state, tx.audit(workflow.audit_event(actor, "edit", None, state, note, at))

    state, record = retrying(attempt)
    emit(record)
    return state


def _stale() -> StaleEditError:
    return StaleEditError("this version changed since you opened it",
                          hint="reload the page and make the edit again")
