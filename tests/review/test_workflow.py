"""The review workflow: every allowed and forbidden move, roles, self-approval, N approvals."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from review_kit import Team, fast_review

from medcite.errors import (
    ForbiddenError,
    InputTooLargeError,
    ReviewNotFoundError,
    SelfApprovalError,
    TransitionError,
)
from medcite.review import audit, workflow
from medcite.review.accounts import MEDCITE
from medcite.review.workflow import decide, decide_edit, decide_submit
from medcite.settings import Settings
from medcite.store import Store
from medcite.types import Actor, ReviewState, ReviewStatus, ReviewSubject, Role

S = ReviewStatus
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
AUTHOR = Actor(id="eve", role=Role.EDITOR)
REVIEWER = Actor(id="ana", role=Role.REVIEWER)
ALLOWED = {
    (S.SUBMITTED, S.UNDER_REVIEW),
    (S.UNDER_REVIEW, S.APPROVED),
    (S.UNDER_REVIEW, S.CHANGES_REQUESTED),
    (S.UNDER_REVIEW, S.REJECTED),
    (S.CHANGES_REQUESTED, S.SUBMITTED),
}
ALL_PAIRS = list(itertools.product(S, S))


def _state(status: ReviewStatus, **changes: object) -> ReviewState:
    base = ReviewState(
        article_id=1, version=1, status=status, authors=["eve"], content_hash="h2",
        revision=1, changes_requested_hash="h1", submitted_at=NOW, updated_at=NOW,
    )
    return base.model_copy(update=changes)


def _actor_for(to: ReviewStatus) -> Actor:
    return AUTHOR if to is S.SUBMITTED else REVIEWER


@pytest.mark.parametrize(("start", "to"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_R_WF_1_every_move_is_allowed_exactly_when_the_workflow_has_it(
    start: ReviewStatus, to: ReviewStatus
) -> None:
    state = _state(start)
    if (start, to) in ALLOWED:
        after = decide(state, to, _actor_for(to), now=NOW)
        assert after.status is to
        assert after.revision == state.revision + 1
    else:
        with pytest.raises(TransitionError) as refused:
            decide(state, to, _actor_for(to), now=NOW)
        assert refused.value.status == 409


def test_the_move_table_has_exactly_the_documented_moves() -> None:
    moves = {(a, b) for a, targets in workflow.MOVES.items() for b in targets}
    assert moves == ALLOWED
    assert workflow.MOVES[S.APPROVED] == workflow.MOVES[S.REJECTED] == frozenset()


ROLE_CASES = [
    (start, to, role)
    for start, to in sorted(ALLOWED)
    for role in Role
]


@pytest.mark.parametrize(("start", "to", "role"), ROLE_CASES,
                         ids=[f"{a}->{b}-as-{r}" for a, b, r in ROLE_CASES])
def test_only_the_listed_roles_may_take_each_action(
    start: ReviewStatus, to: ReviewStatus, role: Role
) -> None:
    actor = Actor(id="someone", role=role)
    action = workflow.ACTIONS[to]
    if role in workflow.ROLES[action]:
        assert decide(_state(start), to, actor, now=NOW).status is to
    else:
        with pytest.raises(ForbiddenError) as refused:
            decide(_state(start), to, actor, now=NOW)
        assert refused.value.status == 403


def test_R_WF_3_an_author_cannot_approve_their_own_version() -> None:
    author_reviewer = Actor(id="eve", role=Role.REVIEWER)
    with pytest.raises(SelfApprovalError) as refused:
        decide(_state(S.UNDER_REVIEW), S.APPROVED, author_reviewer, now=NOW)
    assert refused.value.status == 403


def test_R_WF_3_a_reviewer_who_edited_the_version_cannot_approve_it() -> None:
    edited = decide_edit(_state(S.UNDER_REVIEW), REVIEWER, "h3", now=NOW)
    assert edited.authors == ["eve", "ana"]
    with pytest.raises(SelfApprovalError):
        decide(edited, S.APPROVED, REVIEWER, now=NOW)


def test_R_WF_3_n_distinct_approvals_are_needed_when_configured() -> None:
    state = _state(S.UNDER_REVIEW)
    first = decide(state, S.APPROVED, REVIEWER, approvals_required=2, now=NOW)
    assert first.status is S.UNDER_REVIEW and len(first.approvals) == 1
    with pytest.raises(TransitionError, match="already approved"):
        decide(first, S.APPROVED, REVIEWER, approvals_required=2, now=NOW)
    second = decide(first, S.APPROVED, Actor(id="ben", role=Role.REVIEWER),
                    approvals_required=2, now=NOW)
    assert second.status is S.APPROVED and second.approved_at == NOW
    assert [a.reviewer for a in second.approvals] == ["ana", "ben"]


def test_an_edit_makes_earlier_approvals_lapse() -> None:
    approved_once = decide(_state(S.UNDER_REVIEW), S.APPROVED, REVIEWER, approvals_required=2,
                           now=NOW)
    edited = decide_edit(approved_once, Actor(id="cai", role=Role.REVIEWER), "h9", now=NOW)
    assert edited.approvals == [] and edited.content_hash == "h9"


def test_resubmitting_needs_an_edit_after_changes_were_requested() -> None:
    unchanged = _state(S.CHANGES_REQUESTED, content_hash="h1", changes_requested_hash="h1")
    with pytest.raises(TransitionError, match="nothing was edited"):
        decide(unchanged, S.SUBMITTED, AUTHOR, now=NOW)
    edited = decide_edit(unchanged, AUTHOR, "h2", now=NOW)
    assert decide(edited, S.SUBMITTED, AUTHOR, now=NOW).status is S.SUBMITTED


@pytest.mark.parametrize("status", [S.APPROVED, S.REJECTED])
def test_final_versions_cannot_be_edited(status: ReviewStatus) -> None:
    with pytest.raises(TransitionError, match="cannot be edited"):
        decide_edit(_state(status), AUTHOR, "h3", now=NOW)


def test_editors_cannot_edit_a_version_under_review() -> None:
    with pytest.raises(ForbiddenError):
        decide_edit(_state(S.UNDER_REVIEW), AUTHOR, "h3", now=NOW)


def test_a_new_version_needs_the_previous_one_closed_and_a_higher_number() -> None:
    subject = ReviewSubject(article_id=1, version=2, content_hash="v2")
    assert decide_submit(subject, AUTHOR, None, now=NOW).status is S.SUBMITTED
    with pytest.raises(TransitionError, match="still under review"):
        decide_submit(subject, AUTHOR, _state(S.UNDER_REVIEW), now=NOW)
    approved = _state(S.APPROVED, version=2)
    with pytest.raises(TransitionError, match="exists already"):
        decide_submit(subject, AUTHOR, approved, now=NOW)
    with pytest.raises(ForbiddenError):
        decide_submit(subject, Actor(id="r", role=Role.READER), None, now=NOW)


# --- through the store ---------------------------------------------------------------------


def _submit(store: Store, article_id: int = 1, version: int = 1, actor: Actor = MEDCITE
            ) -> ReviewState:
    subject = ReviewSubject(article_id=article_id, version=version, content_hash=f"c{version}")
    return workflow.submit(store, subject, actor)


def test_the_whole_path_is_stored_and_audited(
    store: Store, review_settings: Settings, team: Team
) -> None:
    """R-AUD-1: each transition writes actor, role, from -> to, article, version, hash, UTC."""
    _submit(store, actor=team.editor.actor)
    workflow.transition(store, review_settings, 1, 1, S.UNDER_REVIEW, team.ana.actor)
    workflow.transition(store, review_settings, 1, 1, S.CHANGES_REQUESTED, team.ana.actor,
                        comment="Cite the dosing passage")
    workflow.edit(store, 1, 1, "c1-edited", team.editor.actor)
    workflow.transition(store, review_settings, 1, 1, S.SUBMITTED, team.editor.actor)
    workflow.transition(store, review_settings, 1, 1, S.UNDER_REVIEW, team.ben.actor)
    final = workflow.transition(store, review_settings, 1, 1, S.APPROVED, team.ben.actor)
    assert final.status is S.APPROVED and final.approvals[0].reviewer == "ben"
    assert workflow.review_state(store, 1, 1) == final
    history = audit.records(store, article_id=1)
    assert [(r.action, r.from_state, r.to_state) for r in history] == [
        ("submit", None, "submitted"),
        ("start_review", "submitted", "under_review"),
        ("request_changes", "under_review", "changes_requested"),
        ("edit", "changes_requested", "changes_requested"),
        ("resubmit", "changes_requested", "submitted"),
        ("start_review", "submitted", "under_review"),
        ("approve", "under_review", "approved"),
    ]
    request = history[2]
    assert (request.actor, request.role, request.version) == ("ana", "reviewer", 1)
    assert request.comment == "Cite the dosing passage" and request.content_hash == "c1"
    assert history[-1].content_hash == "c1-edited"
    assert all(r.at.tzinfo is dt.UTC for r in history)


def test_R_WF_1_a_skipped_step_is_refused_with_409_and_logged(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _submit(store)
    with pytest.raises(TransitionError) as refused:
        workflow.transition(store, review_settings, 1, 1, S.APPROVED, team.ana.actor)
    assert refused.value.status == 409
    assert workflow.review_state(store, 1, 1).status is S.SUBMITTED
    last = audit.records(store, article_id=1)[-1]
    assert (last.action, last.actor, last.from_state, last.to_state) == (
        "refused:approve", "ana", "submitted", "approved")
    assert "cannot become approved" in last.comment


def test_R_WF_3_self_approval_through_the_store_is_refused_and_logged(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _submit(store, actor=team.ana.actor)
    workflow.transition(store, review_settings, 1, 1, S.UNDER_REVIEW, team.ben.actor)
    with pytest.raises(SelfApprovalError):
        workflow.transition(store, review_settings, 1, 1, S.APPROVED, team.ana.actor)
    assert workflow.review_state(store, 1, 1).status is S.UNDER_REVIEW
    assert audit.records(store, article_id=1)[-1].action == "refused:approve"
    approved = workflow.transition(store, review_settings, 1, 1, S.APPROVED, team.ben.actor)
    assert approved.status is S.APPROVED


def test_R_WF_3_the_approvals_required_setting_is_honoured(
    store: Store, review_settings: Settings, team: Team
) -> None:
    two = review_settings.model_copy(update={"review": fast_review(approvals_required=2)})
    _submit(store)
    workflow.transition(store, two, 1, 1, S.UNDER_REVIEW, team.ana.actor)
    after_one = workflow.transition(store, two, 1, 1, S.APPROVED, team.ana.actor)
    assert after_one.status is S.UNDER_REVIEW
    with pytest.raises(TransitionError):
        workflow.transition(store, two, 1, 1, S.APPROVED, team.ana.actor)
    after_two = workflow.transition(store, two, 1, 1, S.APPROVED, team.ben.actor)
    assert after_two.status is S.APPROVED
    assert {a.reviewer for a in workflow.review_state(store, 1, 1).approvals} == {"ana", "ben"}


def test_editing_an_approved_article_is_a_new_version_while_the_old_stays_public(
    store: Store, review_settings: Settings, team: Team
) -> None:
    _submit(store)
    workflow.transition(store, review_settings, 1, 1, S.UNDER_REVIEW, team.ana.actor)
    workflow.transition(store, review_settings, 1, 1, S.APPROVED, team.ana.actor)
    with pytest.raises(TransitionError):
        workflow.edit(store, 1, 1, "changed", team.editor.actor)
    _submit(store, version=2, actor=team.editor.actor)
    public = workflow.public_version(store, 1)
    assert public is not None and public.version == 1
    assert [s.version for s in workflow.queue(store)] == [2]
    with pytest.raises(TransitionError, match="still submitted"):
        _submit(store, version=3, actor=team.editor.actor)


def test_unknown_versions_and_oversized_notes_are_refused(
    store: Store, review_settings: Settings, team: Team
) -> None:
    with pytest.raises(ReviewNotFoundError):
        workflow.transition(store, review_settings, 9, 1, S.UNDER_REVIEW, team.ana.actor)
    _submit(store)
    with pytest.raises(InputTooLargeError):
        workflow.transition(store, review_settings, 1, 1, S.UNDER_REVIEW, team.ana.actor,
                            comment="x" * 10_001)


def test_the_queue_lists_waiting_versions_oldest_first(
    store: Store, review_settings: Settings, team: Team
) -> None:
    for article_id in (3, 1, 2):
        _submit(store, article_id=article_id)
    workflow.transition(store, review_settings, 1, 1, S.UNDER_REVIEW, team.ana.actor)
    workflow.transition(store, review_settings, 1, 1, S.REJECTED, team.ana.actor)
    assert [s.article_id for s in workflow.queue(store)] == [3, 2]
    assert [s.article_id for s in workflow.queue(store, [S.REJECTED])] == [1]


def test_notes_are_audited_without_moving_the_version(
    store: Store, review_settings: Settings, team: Team
) -> None:
    before = _submit(store)
    workflow.add_note(store, 1, 1, team.ana.actor, "Check the renal dosing\nagainst the label")
    assert workflow.review_state(store, 1, 1) == before
    note = audit.records(store, article_id=1)[-1]
    assert (note.action, note.actor, note.from_state, note.to_state) == (
        "note", "ana", "submitted", "submitted")
    with pytest.raises(ForbiddenError):
        workflow.add_note(store, 1, 1, Actor(id="someone", role=Role.READER), "hi")
