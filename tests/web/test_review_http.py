"""The review server over plain HTTP: who it refuses (wrong Host, wrong Origin, no token),
and what a change does on disk (through the review state), refused edits, stale pages and a
run holding the course."""

from __future__ import annotations

import http.client
import json

import pytest

from flashgen.output.review import item_digest, load_review
from flashgen.output.store import OutputStore
from flashgen.review.server import TOKEN_HEADER, ReviewServer
from flashgen.run.runlock import run_lock

SAMPLE = "sample-course"


def _request(
    server: ReviewServer,
    method: str,
    path: str,
    body: object | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    site = server.site
    sent = {"Host": f"127.0.0.1:{site.port}", **(headers or {})}
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        sent["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, text


def _store(server: ReviewServer) -> OutputStore:
    return server.site.store


def _first_card(server: ReviewServer) -> tuple[str, str, str]:
    lecture = server.site.lectures[0]
    cards = _store(server).load_flashcards(lecture)
    assert cards is not None
    card = cards.flashcards[0]
    return lecture, card.id, item_digest(card)


def _change(server: ReviewServer, **body: object) -> tuple[int, dict[str, object]]:
    status, text = _request(server, "POST", "/api/change", body, {TOKEN_HEADER: server.site.token})
    return status, json.loads(text)


def test_the_page_needs_the_token(review_server: ReviewServer) -> None:
    token = review_server.site.token
    assert _request(review_server, "GET", f"/?token={token}")[0] == 200
    status, text = _request(review_server, "GET", "/")
    assert status == 403 and "token" in text
    assert _request(review_server, "GET", "/?token=wrong")[0] == 403
    assert _request(review_server, "GET", "/static/review.js")[0] == 403


def test_a_foreign_host_is_refused(review_server: ReviewServer) -> None:
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own Host."""
    site = review_server.site
    status, text = _request(
        review_server, "GET", f"/?token={site.token}", headers={"Host": f"evil.example:{site.port}"}
    )
    assert status == 403 and "Host" in text
    assert (
        _request(
            review_server,
            "GET",
            f"/?token={site.token}",
            headers={"Host": f"localhost:{site.port}"},
        )[0]
        == 200
    )


def test_a_foreign_origin_cannot_write(review_server: ReviewServer) -> None:
    lecture, card_id, seen = _first_card(review_server)
    body = {"lecture": lecture, "id": card_id, "digest": seen, "action": "approve"}
    headers = {TOKEN_HEADER: review_server.site.token, "Origin": "http://evil.example"}
    status, text = _request(review_server, "POST", "/api/change", body, headers)
    assert status == 403 and "other sites" in text
    review = load_review(_store(review_server).lecture_dir(lecture))
    assert review is None or review.state(card_id) == "new"
    status, _ = _request(review_server, "POST", "/api/change", body)  # no token
    assert status == 403


def test_approve_and_reject_are_written_through_the_review_state(
    review_server: ReviewServer,
) -> None:
    lecture, card_id, seen = _first_card(review_server)
    status, reply = _change(
        review_server, lecture=lecture, id=card_id, digest=seen, action="approve"
    )
    assert status == 200 and reply["state"] == "approved"
    lecture_dir = _store(review_server).lecture_dir(lecture)
    review = load_review(lecture_dir)
    assert review is not None and review.state(card_id) == "approved"

    status, reply = _change(
        review_server, lecture=lecture, id=card_id, digest=seen, action="reject"
    )
    assert status == 200 and reply["state"] == "rejected"
    cards = _store(review_server).load_flashcards(lecture)
    assert cards is not None and card_id not in {c.id for c in cards.flashcards}


def test_an_edit_breaking_a_rule_is_refused_with_the_rule(review_server: ReviewServer) -> None:
    lecture = review_server.site.lectures[0]
    quiz = _store(review_server).load_quiz(lecture, 1)
    assert quiz is not None
    question = next(q for q in quiz.questions if q.type == "mcq")

    def edit(data: dict[str, object]) -> tuple[int, dict[str, object]]:
        seen = item_digest(question)
        return _change(
            review_server, lecture=lecture, id=question.id, digest=seen, action="edit", data=data
        )

    status, reply = edit(question.model_dump(mode="json") | {"correct_answer": ["A", "B"]})
    assert status == 422 and "an mcq has exactly one correct answer" in str(reply["error"])
    data = question.model_dump(mode="json") | {"explanation": "Because the text says so."}
    status, reply = edit(data)
    assert status == 200 and reply["state"] == "edited"
    saved = _store(review_server).load_quiz(lecture, 1)
    assert saved is not None
    assert {q.id: q.explanation for q in saved.questions}[question.id] == data["explanation"]


def test_a_page_older_than_the_file_is_refused(review_server: ReviewServer) -> None:
    lecture, card_id, _ = _first_card(review_server)
    status, reply = _change(
        review_server, lecture=lecture, id=card_id, digest="old", action="approve"
    )
    assert status == 409 and "changed on disk" in str(reply["error"])


def test_a_change_is_refused_while_a_run_holds_the_course(review_server: ReviewServer) -> None:
    lecture, card_id, seen = _first_card(review_server)
    with run_lock(_store(review_server).course_dir):
        status, reply = _change(
            review_server, lecture=lecture, id=card_id, digest=seen, action="approve"
        )
    assert status == 409 and "another flashgen run" in str(reply["error"])
    status, _ = _change(review_server, lecture=lecture, id=card_id, digest=seen, action="approve")
    assert status == 200


@pytest.mark.parametrize("action", ["delete", ""])
def test_unknown_actions_are_refused(review_server: ReviewServer, action: str) -> None:
    lecture, card_id, seen = _first_card(review_server)
    status, _ = _change(review_server, lecture=lecture, id=card_id, digest=seen, action=action)
    assert status == 400
