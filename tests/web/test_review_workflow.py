"""The review workflow through HTTP (R-WF-1..3, R-AUD-1): the review API with API tokens, the
board's pages with session cookies, concurrent approvals from real concurrent clients."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from web_kit import assert_problem, csrf_token

from medcite.review import audit

REVIEW = "/api/v1/review"


class Board:
    """HTTP calls as named accounts of the live server (API tokens)."""

    def __init__(self, client: httpx.Client, staff: Any) -> None:
        self.client = client
        self.staff = staff

    def ask(self, who: str, question: str) -> dict[str, Any]:
        response = self.client.post("/api/v1/ask", json={"question": question},
                                    headers=self.staff.headers(who))
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        assert not body["answer"]["abstained"], question
        return body

    def move(self, who: str, article_id: int, version: int, to: str,
             comment: str = "") -> httpx.Response:
        return self.client.post(f"{REVIEW}/articles/{article_id}/versions/{version}/transition",
                                json={"to": to, "comment": comment},
                                headers=self.staff.headers(who))

    def review(self, who: str, article_id: int, version: int | None = None) -> dict[str, Any]:
        query = f"?version={version}" if version else ""
        response = self.client.get(f"{REVIEW}/articles/{article_id}{query}",
                                   headers=self.staff.headers(who))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def edit(self, who: str, article_id: int, version: int, **change: Any) -> httpx.Response:
        current = self.review(who, article_id, version)["version"]
        body = {"audience": "clinician", "base_hash": current["content_hash"], **change}
        return self.client.post(f"{REVIEW}/articles/{article_id}/versions/{version}/edit",
                                json=body, headers=self.staff.headers(who))


@pytest.fixture(scope="module")
def board(live_server: Any, staff: Any) -> Any:
    with httpx.Client(base_url=live_server.url, timeout=120) as client:
        yield Board(client, staff)


def _statements(version: dict[str, Any], audience: str = "clinician") -> list[list[str]]:
    return [[s["text"] for s in section["statements"]]
            for section in version[audience]["sections"]]


def _actions(live_server: Any, article_id: int) -> list[tuple[str, str, str | None]]:
    return [(r.actor, r.action, r.to_state)
            for r in audit.records(live_server.store, article_id=article_id, limit=1000)]


def test_an_editors_question_is_submitted_with_the_editor_as_its_author(
    board: Board, live_server: Any
) -> None:
    asked = board.ask("eve", "How is hypothyroidism treated?")
    article_id = asked["article"]["id"]
    assert asked["article"]["status"] == "submitted" and asked["caution"]
    assert asked["article"]["url"].startswith(f"/articles/{article_id}/")  # staff: by id
    state = board.review("eve", article_id)["states"][0]
    assert (state["status"], state["authors"], state["version"]) == ("submitted", ["eve"], 1)
    assert _actions(live_server, article_id) == [("eve", "submit", "submitted")]
    assert board.client.get(f"/api/v1/articles/{article_id}").status_code == 404


def test_R_WF_1_skipped_and_unknown_moves_are_refused_with_409_and_audited(
    board: Board, live_server: Any
) -> None:
    article_id = board.ask("eve", "How is acute sinusitis treated in adults?")["article"]["id"]
    assert_problem(board.move("ana", article_id, 1, "approved"), 409, "transition")
    assert_problem(board.move("eve", article_id, 1, "under_review"), 403, "forbidden")
    assert board.move("ana", article_id, 1, "under_review").status_code == 200
    assert_problem(board.move("ana", article_id, 1, "submitted"), 409, "transition")
    assert_problem(board.move("ana", article_id, 1, "published"), 422, "input")
    assert_problem(board.move("ana", article_id, 7, "approved"), 404)
    actions = [a for _, a, _ in _actions(live_server, article_id)]
    assert actions == ["submit", "refused:approve", "refused:start_review", "start_review",
                       "refused:resubmit"]
    assert audit.verify(live_server.store).ok


def test_R_WF_3_a_reviewer_who_edited_cannot_approve_and_another_reviewer_can(
    board: Board, live_server: Any, client: httpx.Client
) -> None:
    article_id = board.ask("eve", "How is strep throat treated?")["article"]["id"]
    assert board.move("ana", article_id, 1, "under_review").status_code == 200
    before = _statements(board.review("ana", article_id)["version"])
    edited = board.edit("ana", article_id, 1, kind="edit_statement", section=1, statement=1,
                        text="Confirm the diagnosis before treating a sore throat.",
                        comment="plainer wording")
    assert edited.status_code == 200, edited.text
    assert edited.json()["authors"] == ["eve", "ana"]
    assert_problem(board.move("ana", article_id, 1, "approved"), 403, "self-approval")
    approved = board.move("ben", article_id, 1, "approved", comment="checked against sources")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    public = client.get(f"/api/v1/articles/{article_id}").json()
    assert public["article"]["status"] == "approved" and public["caution"] is None
    assert public["answer"]["sections"][0]["statements"][0]["text"] == (
        "Confirm the diagnosis before treating a sore throat.")
    page = client.get(public["article"]["url"]).text
    assert "Dr Ben Example, MD (Neurology)" in page and "Next review due" in page
    assert "Pending review" not in page
    diff = client.get(f"{REVIEW}/articles/{article_id}/diff",
                      headers=board.staff.headers("ben")).json()
    assert (diff["old"], diff["new"]) == ("v1", "v1.2")
    changed = {(line["change"], line["text"].split(" [")[0]) for line in diff["lines"]}
    assert ("removed", "- " + before[0][0]) in changed
    assert ("added", "- Confirm the diagnosis before treating a sore throat.") in changed
    trail = [(who, what) for who, what, _ in _actions(live_server, article_id)]
    assert trail[-3:] == [("ana", "edit"), ("ana", "refused:approve"), ("ben", "approve")]


def test_edits_that_would_break_the_citation_invariants_are_refused(
    board: Board, client: httpx.Client
) -> None:
    article_id = board.ask("eve", "How is knee osteoarthritis managed?")["article"]["id"]
    sections = _statements(board.review("eve", article_id)["version"])
    assert len(sections) >= 2
    bad = [({"kind": "edit_statement", "section": 1, "statement": 99, "text": "x"}, 422),
           ({"kind": "edit_statement", "section": 9, "statement": 1, "text": "x"}, 422),
           ({"kind": "edit_statement", "section": 1, "statement": 1, "text": "   "}, 422),
           ({"kind": "edit_statement", "section": 1, "statement": 1, "text": "x" * 1001}, 422),
           ({"kind": "edit_statement", "section": 1, "statement": 1, "text": "a\u202eb"}, 422),
           ({"kind": "remove_statement", "section": 1}, 422)]
    for change, status in bad:
        assert_problem(board.edit("eve", article_id, 1, **change), status, "invalid-edit")
    stale = client.post(f"{REVIEW}/articles/{article_id}/versions/1/edit", json={
        "kind": "remove_section", "audience": "clinician", "section": 1, "base_hash": "old"},
        headers=board.staff.headers("eve"))
    assert_problem(stale, 409, "stale-edit")
    for _ in range(len(sections) - 1):
        assert board.edit("eve", article_id, 1, kind="remove_section", section=1).status_code \
            == 200
    last = board.edit("eve", article_id, 1, kind="remove_section", section=1)
    assert_problem(last, 422, "invalid-edit")
    assert "leave no statement" in last.json()["detail"]
    kept = board.review("eve", article_id)["version"]["clinician"]
    numbers = [c["number"] for c in kept["citations"]]
    assert numbers == list(range(1, len(numbers) + 1))  # renumbered by first use
    cited = {pid for c in kept["citations"] for pid in c["passage_ids"]}
    for statement in kept["sections"][0]["statements"]:
        assert statement["evidence_ids"] and set(statement["evidence_ids"]) <= cited


def test_editing_an_approved_article_submits_a_new_version_while_the_old_stays_public(
    board: Board, client: httpx.Client, publish: Any
) -> None:
    article_id = board.ask("eve", "How is insomnia treated?")["article"]["id"]
    publish(article_id)
    original = client.get(f"/api/v1/articles/{article_id}").json()
    edited = board.edit("eve", article_id, 1, kind="edit_statement", section=1, statement=1,
                        text="Start with sleep habits and cognitive behavioural therapy.")
    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.json()["status"]) == (2, "submitted")
    states = board.review("eve", article_id)["states"]
    assert [(s["version"], s["status"]) for s in states] == [(1, "approved"), (2, "submitted")]
    public = client.get(f"/api/v1/articles/{article_id}").json()
    assert public["version"] == 1 and public["answer"] == original["answer"]
    assert (public["article"]["status"], public["article"]["latest_version"]) == ("approved", 1)
    assert_problem(board.edit("eve", article_id, 1, kind="remove_section", section=1), 409,
                   "transition")  # v1 is no longer the newest version
    assert board.move("ben", article_id, 2, "under_review").status_code == 200
    assert board.move("ben", article_id, 2, "approved").status_code == 200
    now_public = client.get(f"/api/v1/articles/{article_id}").json()
    assert now_public["version"] == 2
    assert now_public["answer"]["sections"][0]["statements"][0]["text"].startswith(
        "Start with sleep habits")


def test_concurrent_approvals_by_two_reviewers_resolve_to_one_outcome(
    board: Board, live_server: Any, staff: Any
) -> None:
    article_id = board.ask("eve", "How is heart failure treated?")["article"]["id"]
    assert board.move("ana", article_id, 1, "under_review").status_code == 200
    gate = threading.Barrier(2, timeout=30)
    results: dict[str, httpx.Response] = {}

    def approve(who: str) -> None:
        with httpx.Client(base_url=live_server.url, timeout=120) as own:
            own.get("/api/v1/me", headers=staff.headers(who))  # connection open, then race
            gate.wait()
            results[who] = own.post(
                f"{REVIEW}/articles/{article_id}/versions/1/transition",
                json={"to": "approved"}, headers=staff.headers(who))

    threads = [threading.Thread(target=approve, args=(who,)) for who in ("ana", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r.status_code for r in results.values()) == [200, 409]
    winner = next(who for who, r in results.items() if r.status_code == 200)
    final = board.review("eve", article_id)["states"][0]
    assert final["status"] == "approved"
    assert [a["reviewer"] for a in final["approvals"]] == [winner]
    actions = [a for _, a, _ in _actions(live_server, article_id)][-2:]
    assert actions == ["approve", "refused:approve"]
    assert audit.verify(live_server.store).ok


def test_reader_feedback_reaches_the_queue_and_an_editor_closes_it(
    board: Board, client: httpx.Client, published: dict[str, Any], live_server: Any
) -> None:
    article_id = published["article"]["id"]
    sent = client.post("/api/v1/feedback", json={
        "article_id": article_id, "kind": "error", "comment": "Reference 1 is from 2019."})
    assert sent.status_code == 201
    queue = client.get(f"{REVIEW}/queue", headers=board.staff.headers("eve")).json()
    item = next(i for i in queue["feedback"] if i["feedback"]["id"] == sent.json()["id"])
    assert item["question"] == published["article"]["question"]
    closed = client.post(f"{REVIEW}/feedback/{sent.json()['id']}",
                         json={"status": "addressed", "comment": "updated"},
                         headers=board.staff.headers("eve"))
    assert closed.status_code == 200 and closed.json()["status"] == "addressed"
    queue = client.get(f"{REVIEW}/queue", headers=board.staff.headers("eve")).json()
    assert sent.json()["id"] not in [i["feedback"]["id"] for i in queue["feedback"]]
    assert ("eve", "feedback_status", "addressed") in _actions(live_server, article_id)


def test_the_queue_filters_by_status_and_topic_and_flags_overdue_articles(
    board: Board, client: httpx.Client, published: dict[str, Any], live_server: Any
) -> None:
    import datetime as dt

    from medcite.review.board import review_queue

    eve = board.staff.headers("eve")
    waiting = client.get(f"{REVIEW}/queue", headers=eve).json()["items"]
    assert waiting and {i["state"]["status"] for i in waiting} <= {
        "submitted", "under_review", "changes_requested"}
    ages = [i["state"]["submitted_at"] for i in waiting]
    assert ages == sorted(ages)  # oldest first
    approved = client.get(f"{REVIEW}/queue?status=approved&topic=muscle-spasm",
                          headers=eve).json()["items"]
    assert published["article"]["id"] in [i["article"]["id"] for i in approved]
    assert all("muscle-spasm" in i["article"]["topics"] for i in approved)
    assert_problem(client.get(f"{REVIEW}/queue?status=lost", headers=eve), 400)
    later = dt.date.today() + dt.timedelta(days=live_server.settings.review.review_interval_days
                                           + 30)
    flagged = review_queue(live_server.store, live_server.settings, today=later).flagged
    flag = next(f for f in flagged if f.article.id == published["article"]["id"])
    assert flag.due is not None and flag.due.overdue


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ana_pages(live_server: Any, staff: Any) -> Any:
    with httpx.Client(base_url=live_server.url, timeout=120) as pages:
        token = csrf_token(pages.get("/login"))
        pages.post("/login", data={"username": "ana", "password": staff.password,
                                   "csrf_token": token})
        yield pages


def test_the_review_view_shows_each_statement_beside_its_evidence(
    board: Board, ana_pages: httpx.Client
) -> None:
    article_id = board.ask("eve", "How is cellulitis treated?")["article"]["id"]
    html = ana_pages.get(f"/review/articles/{article_id}").text
    assert html.count('<div class="pair">') >= 2 and "<mark>" in html
    assert 'class="evidence-side"' in html and 'href="/sources/doc:cellulitis-' in html
    assert 'value="under_review">Start review</button>' in html
    assert 'value="approved"' not in html  # not a move from Submitted
    queue = ana_pages.get("/review?topic=cellulitis").text
    assert f'href="/review/articles/{article_id}?version=1"' in queue
    assert ana_pages.get("/review?status=lost").status_code == 400


def test_a_refused_move_on_the_page_says_why_and_an_edit_shows_in_the_history(
    board: Board, ana_pages: httpx.Client
) -> None:
    article_id = board.ask("eve", "How is COPD treated?")["article"]["id"]
    page = ana_pages.get(f"/review/articles/{article_id}")
    token = csrf_token(page)
    action = f"/review/articles/{article_id}/versions/1"
    refused = ana_pages.post(f"{action}/transition", data={"to": "approved",
                                                           "csrf_token": token})
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert "a submitted version cannot become approved" in refused.text
    started = ana_pages.post(f"{action}/transition", data={"to": "under_review",
                                                           "csrf_token": token})
    assert started.status_code == 303
    assert started.headers["location"] == f"/review/articles/{article_id}?version=1"
    base = board.review("ana", article_id)["version"]["content_hash"]
    edited = ana_pages.post(f"{action}/edit", data={
        "csrf_token": token, "kind": "edit_statement", "audience": "clinician", "section": "1",
        "statement": "1", "text": "Use an inhaler technique check first.", "base_hash": base})
    assert edited.status_code == 303
    history = ana_pages.get(f"/review/articles/{article_id}/history").text
    assert "v1.2 (current)" in history and "by an edit" in history
    assert '<li class="diff-added"><ins><span class="visually-hidden">Added: </span>- Use an ' \
        'inhaler technique check first.' in history
    assert 'class="diff-removed"' in history
    noted = ana_pages.post(f"{action}/notes", data={"csrf_token": token, "comment": "Ask ben."})
    assert noted.status_code == 303
    assert "Ask ben." in ana_pages.get(f"/review/articles/{article_id}").text


def test_R_SEC_9_review_GETs_change_nothing_and_actions_need_a_post(
    board: Board, ana_pages: httpx.Client, spasm: dict[str, Any], live_server: Any
) -> None:
    article_id = spasm["article"]["id"]
    before = (audit.records(live_server.store, article_id=article_id, limit=10_000),
              board.review("ana", article_id)["states"])
    for path in ["/review", f"/review/articles/{article_id}",
                 f"/review/articles/{article_id}/history",
                 f"/review/articles/{article_id}/versions/1/transition?to=approved",
                 f"/review/articles/{article_id}/versions/1/notes?comment=x",
                 "/review/feedback/1?status=addressed", "/logout"]:
        response = ana_pages.get(path)
        assert response.status_code in (200, 405), path
    for path in [f"{REVIEW}/articles/{article_id}/versions/1/transition?to=approved",
                 f"{REVIEW}/queue", f"{REVIEW}/articles/{article_id}/diff"]:
        board.client.get(path, headers=board.staff.headers("ana"))
    after = (audit.records(live_server.store, article_id=article_id, limit=10_000),
             board.review("ana", article_id)["states"])
    assert after == before
    assert ana_pages.get("/review").status_code == 200  # GET /logout did not sign out
