"""The review rules on their own: what counts as an edit, a deletion, a stale item; what a merge
keeps; the review file's bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashgen.errors import UsageError
from flashgen.models import Answers, CardSource, Flashcard, RelevanceScore
from flashgen.output.review import (
    CARDS,
    LectureReview,
    ReviewEntry,
    flag_stale,
    item_digest,
    load_review,
    merge,
    reconcile,
    record,
    review_bytes,
)


def make_card(n: int, answer: str = "An answer.") -> Flashcard:
    return Flashcard(
        id=f"lec-fc-{n}",
        type="definition",
        term=f"term {n}",
        question=f"What is term {n}?",
        answers=Answers(concise=answer),
        relevance_score=RelevanceScore(score=5, justification="core"),
        source=CardSource(lecture="lec", chunk=0),
    )


def test_a_new_review_marks_everything_on_disk_new() -> None:
    review, changed = reconcile(None, {CARDS: [make_card(1), make_card(2)], "level 1": None})
    assert changed and review.counts()["new"] == 2


def test_edits_deletions_and_additions_are_read_out_of_a_file() -> None:
    review, _ = reconcile(None, {CARDS: [make_card(1), make_card(2), make_card(3)]})
    on_disk = [make_card(1, "Changed by hand."), make_card(3), make_card(4)]
    review, changed = reconcile(review, {CARDS: on_disk})
    assert changed
    states = {i: e.state for i, e in review.items.items()}
    assert states == {
        "lec-fc-1": "edited",
        "lec-fc-2": "rejected",
        "lec-fc-3": "new",
        "lec-fc-4": "edited",  # added by hand: a person's work
    }
    assert review.items["lec-fc-2"].question == "What is term 2?"
    assert reconcile(review, {CARDS: on_disk}) == (review, False)  # nothing new to read


def test_a_missing_file_tells_nothing() -> None:
    review, _ = reconcile(None, {CARDS: [make_card(1)]})
    assert reconcile(review, {CARDS: None})[0].state("lec-fc-1") == "new"


def test_the_digest_ignores_layout_but_not_content() -> None:
    card = make_card(1)
    reordered = Flashcard.model_validate(dict(reversed(list(card.model_dump().items()))))
    assert item_digest(reordered) == item_digest(card)
    assert item_digest(make_card(1, "Other.")) != item_digest(card)


def test_merge_keeps_a_persons_items_and_leaves_rejected_ones_out() -> None:
    review = LectureReview(
        items={
            "lec-fc-1": ReviewEntry(file=CARDS, state="edited"),
            "lec-fc-2": ReviewEntry(file=CARDS, state="rejected"),
            "lec-fc-5": ReviewEntry(file=CARDS, state="approved"),
        }
    )
    edited, approved = make_card(1, "Mine."), make_card(5)
    generated = [make_card(1), make_card(2), make_card(3)]
    merged = merge(generated, [edited, make_card(3, "old new item"), approved], review)
    assert merged == [edited, make_card(3), approved]


def test_stale_when_the_source_text_is_gone_and_only_for_a_persons_items() -> None:
    review = LectureReview(
        items={
            "a": ReviewEntry(file=CARDS, state="edited", sources=["old"]),
            "b": ReviewEntry(file=CARDS, state="approved", sources=["kept"]),
            "c": ReviewEntry(file=CARDS, state="new", sources=["old"]),
        }
    )
    flag_stale(review, ["kept", "added"])
    assert [review.items[i].stale for i in "abc"] == [True, False, False]
    assert review.counts()["stale"] == 1


def test_record_forgets_replaced_new_items_but_never_a_rejection() -> None:
    review, _ = reconcile(None, {CARDS: [make_card(1), make_card(2)]})
    review.items["lec-fc-2"].state = "rejected"
    record(review, {CARDS: [make_card(3)]}, {"lec-fc-3": ["chunk"]})
    assert set(review.items) == {"lec-fc-2", "lec-fc-3"}
    assert review.items["lec-fc-3"].sources == ["chunk"]


def test_the_review_file_has_stable_bytes_and_a_broken_one_is_an_error(tmp_path: Path) -> None:
    review, _ = reconcile(None, {CARDS: [make_card(2), make_card(1)]})
    data = review_bytes(review)
    assert data == review_bytes(LectureReview.model_validate_json(data))
    assert data.index(b"lec-fc-1") < data.index(b"lec-fc-2")
    (tmp_path / "review.json").write_bytes(data[:-5])
    with pytest.raises(UsageError, match="not a valid review file"):
        load_review(tmp_path)
